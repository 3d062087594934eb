"""The analysts' pages, rendered on the server from the same queries as the API and the CLI.

``/`` sends to the overview at ``/ui/``; then ``/ui/facts/{fact}`` (timeline, evidence, as-of),
``/ui/changes``, ``/ui/articles/{id}`` (versions and a diff), ``/ui/feeds``, ``/ui/alerts`` and
``/ui/signin``. Every page but the sign-in form needs a session cookie or a bearer token;
without one a browser is sent to the sign-in form and comes back where it was going.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, col, select

from monitor import __version__, query
from monitor.config import Settings
from monitor.display import (
    ARROW,
    KIND_TITLES,
    day_text,
    key_label,
    value_text,
    when_text,
    zone,
)
from monitor.models import Alert, Change, Feed
from monitor.web import chart, data
from monitor.web.auth import COOKIE, Gate
from monitor.web.diff import highlight, word_diff

HERE = Path(__file__).parent
PAGE_SIZE = 50
KINDS = ("first", "change", "refinement", "confirmed", "conflict", "resolved", "backfill")
ALERT_STATES = ("pending", "delivered", "dead", "batched")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}


class SignInRequired(Exception):
    """No valid session or token: the browser is sent to the sign-in form."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class BadToken(Exception):
    """An ``Authorization: Bearer`` header with a wrong token (scripts get 401, not a form)."""


def build_router(settings: Settings, gate: Gate) -> APIRouter:
    """The pages' routes over ``settings``; ``gate`` decides who may see them."""
    tz = zone(settings.display.timezone)
    templates = _templates(settings, tz)
    labels = {f.id: f.label for f in settings.facts}
    term_labels = {f.id: {t.id: t.label for t in getattr(f, "terms", ())} for f in settings.facts}
    router = APIRouter(include_in_schema=False)

    def signed_in(request: Request) -> None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            if gate.token_ok(header[7:].strip()):
                return
            raise BadToken()
        if not gate.session_ok(request.cookies.get(COOKIE)):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)

    guarded = [Depends(signed_in)]

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", name.removesuffix(".html"))
        response = templates.TemplateResponse(
            request,
            name,
            {"signed_in": not gate.open, "path": request.url.path, **context},
            status_code=status,
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    @router.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @router.get("/ui/signin")
    def signin_form(request: Request, next: str = "/ui/") -> Response:
        if gate.open or gate.session_ok(request.cookies.get(COOKIE)):
            return RedirectResponse(_local(next), status_code=303)  # nothing to sign in to
        return page(request, "signin.html", title="Sign in", next=_local(next), error=None)

    @router.post("/ui/signin")
    async def signin(request: Request) -> Response:
        form = await request.form()
        token, target = str(form.get("token", "")), _local(str(form.get("next", "/ui/")))
        client = request.client.host if request.client else "?"
        if not gate.token_ok(token.strip()):
            await gate.failed(client)
            error = (
                "That token is not one of the service's api.tokens. Check it for typing "
                "mistakes, or ask whoever runs the monitor for a token."
            )
            return page(request, "signin.html", 401, title="Sign in", next=target, error=error)
        gate.succeeded(client)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            gate.issue(token.strip()),
            max_age=int(gate.lifetime_s),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/ui/signout")
    def signout() -> Response:
        response = RedirectResponse("/ui/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @router.get("/ui/", dependencies=guarded)
    def overview(
        request: Request, s: Db, fact: str | None = None, as_of: str | None = None
    ) -> Response:
        when, problem = _as_of(as_of, tz)
        rows = query.facts(s, as_of=when, cfg=settings.history)
        known = sorted({f.id for f in settings.facts} | {r["fact"] for r in rows})
        if fact:
            rows = [r for r in rows if r["fact"] == fact]
        last = data.last_changes(s, when)
        lines = (
            data.timelines(s) if when is None else data.timelines_as_of(s, known, when, settings)
        )
        every = [v for vs in lines.values() for v in vs]
        window = chart.extent(every, when) if every else None
        groups: dict[str, list[dict[str, Any]]] = {f: [] for f in known if not fact or f == fact}
        for r in rows:
            key = (r["fact"], r["qualifier"], r["term"])
            groups.setdefault(r["fact"], []).append(
                {
                    **r,
                    "key": key_label(*key),
                    "name": _key_name(dict(r), term_labels),
                    "last_change": last.get(key),
                    "spark": chart.sparkline(lines.get(key, []), tz=tz, window=window),
                    "disputed": bool(r["disputed_by"]),
                }
            )
        return page(
            request,
            "overview.html",
            title="Overview",
            groups=groups,
            labels=labels,
            facts=known,
            fact=fact,
            as_of=when,
            as_of_value=_picker(when, tz),
            problem=problem,
            disputed=sum(1 for g in groups.values() for r in g if r["disputed"]),
        )

    @router.get("/ui/facts/{fact}", dependencies=guarded)
    def timeline(
        request: Request,
        s: Db,
        fact: str,
        as_of: Annotated[str | None, Query()] = None,
    ) -> Response:
        when, problem = _as_of(as_of, tz)
        try:
            versions = query.history(s, fact, as_of=when, cfg=settings.history)
        except query.NotFoundError as exc:
            return page(request, "missing.html", 404, title="Not found", message=str(exc))
        keys: dict[str, list[dict[str, Any]]] = {}
        for v in versions:
            keys.setdefault(v["qualifier"] or v["term"] or "", []).append(dict(v))
        is_terms = any(v["term"] for v in versions)
        label = labels.get(fact) or fact
        charts: list[tuple[str, Any]] = []
        window = chart.extent([dict(v) for v in versions], when) if versions else None
        if versions and is_terms:
            names = {k: term_labels.get(fact, {}).get(k) or k for k in keys}
            charts.append(
                (
                    "",
                    chart.terms_chart(
                        {names[k]: vs for k, vs in keys.items()},
                        label=f"{label}: term statuses over time",
                        tz=tz,
                        as_of=when,
                        window=window,
                    ),
                )
            )
        elif versions:
            for k, vs in keys.items():
                what = f"{label} [{k}]" if k else label
                svg = chart.numeric_chart(
                    vs, label=f"{what} over time", tz=tz, as_of=when, window=window
                )
                charts.append((k, svg))
        sections = []
        for k, vs in keys.items():
            accepted = [v for v in vs if v["state"] not in ("disputed", "rejected")]
            claims = [v for v in vs if v["state"] in ("disputed", "rejected")]
            current = next((v for v in reversed(accepted) if v["state"] == "current"), None)
            sections.append(
                {
                    "key": k,
                    "name": term_labels.get(fact, {}).get(k) or k,
                    "versions": list(reversed(vs)),
                    "current": current,
                    "conflicts": [c for c in claims if c["state"] == "disputed"],
                    "rejected": [c for c in claims if c["state"] == "rejected"],
                }
            )
        return page(
            request,
            "timeline.html",
            title=label,
            fact=fact,
            label=label,
            charts=charts,
            terms=is_terms,
            sections=sections,
            as_of=when,
            as_of_value=_picker(when, tz),
            problem=problem,
            changes_link="/ui/changes?" + urlencode({"fact": fact}),
        )

    @router.get("/ui/changes", dependencies=guarded)
    def changes(
        request: Request,
        s: Db,
        fact: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
    ) -> Response:
        fact, kind, since = fact or None, kind or None, (since or "").strip() or None
        problem, when = None, None
        if since:
            try:
                when = query.parse_since(since, now=datetime.now(UTC), tz=tz)
            except ValueError as exc:
                problem = str(exc)
        if kind is not None and kind not in KINDS:
            problem = f"{kind!r} is not a kind of change; choose one of {', '.join(KINDS)}"
            kind = None
        rows, total = query.changes(
            s,
            since=when,
            fact=fact,
            kind=kind,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        filters = {k: v for k, v in (("fact", fact), ("kind", kind), ("since", since)) if v}
        atom = {k: v for k, v in filters.items() if k != "since"}
        if when is not None:
            atom["since"] = when.isoformat(timespec="seconds")
        pages = max(1, -(-total // PAGE_SIZE))
        return page(
            request,
            "changes.html",
            title="Changes",
            rows=[{**r, "detail": _detail(r["kind"], r["old"], r["new"])} for r in rows],
            total=total,
            filters=filters,
            facts=sorted(
                {f.id for f in settings.facts} | set(s.exec(select(Change.fact).distinct()).all())
            ),
            kinds=KINDS,
            problem=problem,
            page_no=page_no,
            pages=pages,
            prev_link=_with(filters, page=page_no - 1) if page_no > 1 else None,
            next_link=_with(filters, page=page_no + 1) if page_no < pages else None,
            atom_link="/changes.atom" + (f"?{urlencode(atom)}" if atom else ""),
        )

    @router.get("/ui/articles/{article_id}", dependencies=guarded)
    def article(
        request: Request,
        s: Db,
        article_id: int,
        a: int | None = None,
        b: int | None = None,
    ) -> Response:
        try:
            art, versions = query.article_versions(s, article_id)
        except query.NotFoundError as exc:
            return page(request, "missing.html", 404, title="Not found", message=str(exc))
        numbers = [v["number"] for v in versions]
        b = b if b in numbers else (numbers[-1] if numbers else None)
        a = a if a in numbers else (numbers[-2] if len(numbers) > 1 else b)
        texts, spans, found = data.version_texts(
            s, article_id, {n for n in (a, b) if n is not None}
        )
        diff = None
        if a is not None and b is not None:
            markup, removed, added = word_diff(
                texts.get(a, ""), texts.get(b, ""), spans.get(a, []), spans.get(b, [])
            )
            diff = {"a": a, "b": b, "html": markup, "removed": removed, "added": added}
        return page(
            request,
            "article.html",
            title=art.title or art.url,
            article=art,
            versions=versions,
            diff=diff,
            observations=found,
        )

    @router.get("/ui/feeds", dependencies=guarded)
    def feeds(request: Request, s: Db) -> Response:
        rows = s.exec(select(Feed).order_by(col(Feed.name))).all()
        configured = {f.name for f in settings.feeds}
        return page(request, "feeds.html", title="Feeds", feeds=rows, configured=configured)

    @router.get("/ui/alerts", dependencies=guarded)
    def alerts(
        request: Request,
        s: Db,
        state: str | None = None,
        page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
    ) -> Response:
        state = state or None
        rows, total = query.alerts(
            s, state=state, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        counts = dict(s.exec(select(Alert.state, sa.func.count()).group_by(col(Alert.state))).all())
        filters = {"state": state} if state else {}
        pages = max(1, -(-total // PAGE_SIZE))
        return page(
            request,
            "alerts.html",
            title="Alerts",
            rows=rows,
            total=total,
            counts=counts,
            states=sorted(set(ALERT_STATES) | set(counts)),
            state=state,
            page_no=page_no,
            pages=pages,
            prev_link=_with(filters, page=page_no - 1) if page_no > 1 else None,
            next_link=_with(filters, page=page_no + 1) if page_no < pages else None,
        )

    return router


def _session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as s:
        yield s


Db = Annotated[Session, Depends(_session)]


def _templates(settings: Settings, tz: tzinfo) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.filters["value"] = value_text
    env.filters["when"] = lambda t, empty="": when_text(t, tz, empty=empty)
    env.filters["day"] = lambda t: day_text(t, tz)
    env.filters["highlight"] = lambda e: highlight(e["sentence"], e["quote"])
    env.filters["kind"] = lambda k: KIND_TITLES.get(k, k)
    env.filters["urlquote"] = lambda v: quote(str(v), safe="")
    env.globals["version"] = __version__
    env.globals["timezone"] = settings.display.timezone
    return templates


def _local(target: str) -> str:
    """Only paths on this site (no ``//host`` or scheme): the sign-in never redirects away."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ui/"
    return target


def _as_of(value: str | None, tz: tzinfo) -> tuple[datetime | None, str | None]:
    """The page's ``as_of`` (or None) and what is wrong with it (or None)."""
    if not value:
        return None, None
    try:
        return _local_time(value, tz), None
    except ValueError as exc:
        return None, str(exc)


def _picker(when: datetime | None, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if when else ""


def _local_time(value: str, tz: tzinfo) -> datetime:
    """A date/time typed in the page: in the display time zone unless it carries an offset."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a date or time; pick one, or write e.g. 2025-03-05T20:00"
        ) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def _detail(kind: str, old: Any, new: Any) -> str:
    """What a change did, next to its kind: ``26 → 31``, or the value for a new or confirmed one."""
    if kind in ("first", "confirmed") or old is None:
        return value_text(new)
    return f"{value_text(old)} {ARROW} {value_text(new)}"


def _with(filters: dict[str, Any], **more: Any) -> str:
    return "?" + urlencode({**filters, **more})


def _key_name(row: dict[str, Any], term_labels: dict[str, dict[str, str]]) -> str:
    if row["term"]:
        return term_labels.get(row["fact"], {}).get(row["term"]) or row["term"]
    return row["qualifier"] or "overall"

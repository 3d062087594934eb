"""The read-only HTTP API (FastAPI) and ``monitor serve``.

Every endpoint but ``/health`` needs ``Authorization: Bearer TOKEN`` with one of ``api.tokens``
(compared in constant time). ``/changes.atom``, ``/docs`` and ``/openapi.json`` also take
``?token=`` because feed readers and browsers cannot set headers. Without configured tokens the
API is open, so it refuses to bind to anything but a loopback address. Only GET routes exist, so
any other method gets 405.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as FastAPIPath
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor import __version__, query, web
from monitor.config import Settings
from monitor.display import change_text, key_label
from monitor.errors import ConfigError
from monitor.metrics import CONTENT_TYPE, Metrics
from monitor.store import head_revision, schema_problem

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
REALM = 'Bearer realm="monitor"'

# The largest integer the databases store (an offset or id beyond it is a 422, not a 500).
MAX_INT = 2**63 - 1
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT, description="items to skip")]
ArticleId = Annotated[int, FastAPIPath(ge=1, le=MAX_INT, description="the article's id")]
Since = Annotated[str | None, Query(description="ISO date/time, e.g. 2025-09-04 (UTC)")]
_BEARER = HTTPBearer(auto_error=False, description="one of api.tokens")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
Kind = Annotated[
    str | None, Query(description="one kind: first, change, refinement, confirmed, conflict...")
]
AsOf = Annotated[str | None, Query(description="what the monitor believed at this ISO date/time")]
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """``limit`` items from ``offset`` on, of ``total``."""

    items: list[T]
    total: int
    limit: int
    offset: int


# Named subclasses, so the OpenAPI schema keeps one named, described model per response.
class FactsPage(Page[query.FactJSON]):
    """A page of current facts."""


class HistoryPage(Page[query.VersionJSON]):
    """A page of one fact's versions."""


class ChangesPage(Page[query.ChangeJSON]):
    """A page of recorded changes, newest first."""


class ArticleVersions(Page[query.ArticleVersionJSON]):
    """An article and its stored versions."""

    article: int
    url: str
    title: str | None
    outlet: str | None
    published: str | None


class AlertsPage(Page[query.AlertJSON]):
    """A page of the alert outbox, newest first."""


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str
    database: str
    version: str


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(
    engine: Engine, settings: Settings, *, host: str | None = None, metrics: Metrics | None = None
) -> FastAPI:
    """The API over ``engine``; ``host`` is where it will listen (default ``api.host``).

    ``metrics`` are the process's (``monitor run`` passes the pipeline's); by default the
    API exports only what the database says (queue depths, alerts by state).

    Raises :class:`ConfigError` when no tokens are configured and ``host`` is not loopback.
    """
    bind = host or settings.api.host
    secrets = [t.get_secret_value().encode() for t in settings.api.tokens]
    if not secrets and not is_loopback(bind):
        raise ConfigError(
            f"api: refusing to serve on {bind!r} without tokens: anyone who can reach it could "
            "read the history. Set api.tokens: ['${MONITOR_API_TOKEN}'] in the config and export "
            "MONITOR_API_TOKEN, or bind to 127.0.0.1 (--host 127.0.0.1)"
        )
    if not secrets:
        log.warning(
            "api: no tokens configured; serving without authentication on loopback only",
            extra={"stage": "api", "host": bind},
        )

    app = FastAPI(
        title="monitor",
        version=__version__,
        description="Read-only access to the fact history, changes, article versions and alerts.",
        # Served below behind the token like every other route (FastAPI's own are public).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.secrets = secrets
    head = head_revision()
    if metrics is None:
        metrics = Metrics()
        metrics.watch_database(engine)

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Our own access log: the path without its query string, which may carry ?token=.
        start = time.perf_counter()
        response = await call_next(request)
        log.info(
            "api %s %s %s",
            request.method,
            request.url.path,
            response.status_code,
            extra={
                "stage": "api",
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - start) * 1000, 1),
            },
        )
        return response

    web.install(app, settings)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(_url_token)])
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(_url_token)])
    def docs(token: str | None = None) -> HTMLResponse:
        # A browser cannot send the header: the page passes ?token= on to the schema it loads.
        schema = "/openapi.json" + (f"?{urlencode({'token': token})}" if token else "")
        return get_swagger_ui_html(openapi_url=schema, title="monitor API")

    @app.get("/health", response_model=Health, tags=["service"])
    def health(response: Response) -> Health:
        """Liveness; 503 when the database cannot be reached or its schema is not this
        version's (``monitor db upgrade`` not run). No token needed."""
        try:
            problem = schema_problem(engine, head)
        except Exception as exc:
            problem = f"unreachable: {exc}"
        if problem is not None:
            log.warning("api: database not usable: %s", problem, extra={"stage": "api"})
            response.status_code = 503
            what = "unreachable" if problem.startswith(("cannot", "unreachable")) else "outdated"
            return Health(status="degraded", database=what, version=__version__)
        return Health(status="ok", database="ok", version=__version__)

    @app.get(
        "/metrics",
        dependencies=GUARDED,
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}, 401: ERRORS[401]},
        tags=["service"],
    )
    def prometheus() -> Response:
        """Prometheus metrics (text format), every series named ``monitor_...``."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get(
        "/facts", response_model=FactsPage, dependencies=GUARDED, responses=ERRORS, tags=["facts"]
    )
    def facts(
        s: Db, as_of: AsOf = None, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> dict[str, Any]:
        """Every key's current value with status, sources, evidence and disputing claims."""
        rows = query.facts(s, as_of=_time("as_of", as_of), cfg=settings.history)
        return _page(rows, len(rows), limit, offset, sliced=False)

    @app.get(
        "/facts/{fact}/history",
        response_model=HistoryPage,
        dependencies=GUARDED,
        responses=NOT_FOUND,
        tags=["facts"],
    )
    def history(
        s: Db,
        fact: str,
        qualifier: Annotated[str | None, Query(description="a qualifier or term")] = None,
        since: Since = None,
        as_of: AsOf = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Every version of one fact, oldest first; 404 for an unknown fact or qualifier."""
        try:
            rows = query.history(
                s,
                fact,
                qualifier=qualifier,
                since=_time("since", since),
                as_of=_time("as_of", as_of),
                cfg=settings.history,
            )
        except query.NotFoundError as exc:
            raise HTTPException(404, detail=str(exc)) from exc
        return _page(rows, len(rows), limit, offset, sliced=False)

    @app.get(
        "/changes",
        response_model=ChangesPage,
        dependencies=GUARDED,
        responses=ERRORS,
        tags=["changes"],
    )
    def changes(
        s: Db,
        since: Since = None,
        fact: Annotated[str | None, Query(description="glob on fact ids, e.g. force.*")] = None,
        kind: Kind = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Recorded changes, newest first, each with its evidence."""
        rows, total = query.changes(
            s, since=_time("since", since), fact=fact, kind=kind, limit=limit, offset=offset
        )
        return _page(rows, total, limit, offset, sliced=True)

    @app.get(
        "/changes.atom",
        dependencies=[Depends(_url_token)],
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}, **ERRORS},
        tags=["changes"],
    )
    def changes_atom(
        request: Request,
        s: Db,
        since: Since = None,
        fact: Annotated[str | None, Query(description="glob on fact ids")] = None,
        kind: Kind = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response:
        """The changes as an Atom feed (token by header or ``?token=``)."""
        rows, _ = query.changes(s, since=_time("since", since), fact=fact, kind=kind, limit=limit)
        body = _atom(rows, public_url(settings))
        return Response(body, media_type="application/atom+xml")

    @app.get(
        "/articles/{article_id}/versions",
        response_model=ArticleVersions,
        dependencies=GUARDED,
        responses=NOT_FOUND,
        tags=["articles"],
    )
    def article_versions(
        s: Db, article_id: ArticleId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> dict[str, Any]:
        """An article's stored versions, oldest first; 404 for an unknown article."""
        try:
            article, rows = query.article_versions(s, article_id)
        except query.NotFoundError as exc:
            raise HTTPException(404, detail=str(exc)) from exc
        return {
            "article": article.id,
            "url": article.url,
            "title": article.title,
            "outlet": article.outlet,
            "published": query.iso(article.published_at),
            **_page(rows, len(rows), limit, offset, sliced=False),
        }

    @app.get(
        "/alerts",
        response_model=AlertsPage,
        dependencies=GUARDED,
        responses=ERRORS,
        tags=["alerts"],
    )
    def alerts(
        s: Db,
        state: Annotated[str | None, Query(description="pending, delivered, dead...")] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The alert outbox, newest first."""
        rows, total = query.alerts(s, state=state, limit=limit, offset=offset)
        return _page(rows, total, limit, offset, sliced=True)

    return app


def _allowed(request: Request, given: str | None) -> bool:
    secrets: list[bytes] = request.app.state.secrets
    if not secrets:
        return True
    if not given:
        return False
    raw = given.encode()
    ok = False
    for secret in secrets:  # no early exit: every token is compared
        ok |= hmac.compare_digest(raw, secret)
    return ok


def _require_token(request: Request, creds: Credentials) -> None:
    if not _allowed(request, creds.credentials if creds else None):
        raise _unauthorized(creds is not None)


def _url_token(
    request: Request,
    creds: Credentials,
    token: Annotated[str | None, Query(description="the token, for feed readers")] = None,
) -> None:
    given = creds.credentials if creds else token
    if not _allowed(request, given):
        raise _unauthorized(given is not None)


def _session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as s:
        yield s


Db = Annotated[Session, Depends(_session)]
GUARDED = [Depends(_require_token)]


class ErrorBody(BaseModel):
    """What every error answer carries: what went wrong and what to do."""

    detail: str | list[dict[str, Any]]


# As returned: 401 without a valid token, 404 for an unknown fact or article, 422 for a query
# parameter out of range or unreadable.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or invalid bearer token"},
    422: {"model": ErrorBody, "description": "a parameter is out of range or unreadable"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": ErrorBody, "description": "unknown fact, qualifier or article"},
}


def public_url(settings: Settings) -> str:
    """Where clients reach the API: ``api.public_url``, else ``http://host:port`` from the
    configuration (never the request's Host header, which a client chooses)."""
    if settings.api.public_url:
        return settings.api.public_url.rstrip("/")
    host = settings.api.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.api.port}"


def _unauthorized(given: bool) -> HTTPException:
    challenge = f'{REALM}, error="invalid_token"' if given else REALM
    what = "invalid" if given else "missing"
    return HTTPException(
        401,
        detail=f"api: {what} bearer token; send 'Authorization: Bearer TOKEN' "
        "with one of the tokens in api.tokens",
        headers={"WWW-Authenticate": challenge},
    )


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return query.parse_time(value)
    except ValueError as exc:
        raise HTTPException(422, detail=f"api: query parameter {name}: {exc}") from exc


def _page(rows: list[Any], total: int, limit: int, offset: int, *, sliced: bool) -> dict[str, Any]:
    items = rows if sliced else rows[offset : offset + limit]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _atom(rows: list[query.ChangeJSON], base: str) -> bytes:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id("urn:monitor:changes")
    fg.title("monitor: fact changes")
    fg.subtitle("Changes of the tracked facts, newest first")
    fg.link(href=f"{base}/changes.atom", rel="self")
    fg.author({"name": "monitor"})
    fg.generator("monitor", version=__version__)
    decided = [query.parse_time(r["decided"]) for r in rows if r["decided"]]
    fg.updated(max(decided) if decided else datetime(1970, 1, 1, tzinfo=UTC))
    for r in reversed(rows):  # feedgen prepends entries; this keeps the feed newest first
        ev = r["evidence"]
        key = key_label(r["fact"], r["qualifier"], r["term"])
        entry = fg.add_entry()
        # Stable ids whatever host name the reader uses, so readers never show a change twice.
        entry.id(f"urn:monitor:change:{r['id']}")
        entry.title(f"{key}: {_summary(r)}")
        entry.updated(query.parse_time(r["decided"]) if r["decided"] else fg.updated())
        if r["published"]:
            entry.published(query.parse_time(r["published"]))
        lines = [_summary(r)]
        if ev is not None:
            entry.link(href=ev["url"])
            lines.append(f"{ev['outlet'] or 'unknown outlet'}: \u201c{ev['quote']}\u201d")
            lines.append(ev["sentence"])
        entry.content("\n".join(lines), type="text")
    data: bytes = fg.atom_str(pretty=True)
    return data


def _summary(change: query.ChangeJSON) -> str:
    return change_text(change["kind"], change["old"], change["new"])


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``monitor serve`` to the ``monitor`` parser."""
    p = sub.add_parser("serve", help="serve the read-only HTTP API until SIGTERM/SIGINT")
    p.add_argument("--host", help="address to listen on (default: api.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: api.port, 8080)")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from monitor.app import open_app

    app = open_app(args.config)
    host = args.host or app.settings.api.host
    port = args.port or app.settings.api.port

    class _Server(uvicorn.Server):
        # Our handlers below stop the server; uvicorn's would re-raise the signal at exit, and a
        # graceful stop should exit with status 0.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    async def serve(server: uvicorn.Server) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        await server.serve()

    try:
        api = create_app(app.engine, app.settings, host=host, metrics=app.metrics)
        config = uvicorn.Config(api, host=host, port=port, access_log=False, log_config=None)
        log.info("api listening on %s:%s", host, port, extra={"stage": "api", "port": port})
        asyncio.run(serve(_Server(config)))
    finally:
        app.close()
    log.info("api stopped", extra={"stage": "api"})
    return 0

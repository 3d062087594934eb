"""Alert rendering: the webhook payload, the email subject and its plain-text and HTML bodies.

Pure functions over :class:`ChangeView` (what :mod:`monitor.alerts.views` loads from the
database). The payload follows ``monitor/schemas/webhook-v1.json``; every text interpolated into
HTML is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from monitor.display import ARROW, KIND_TITLES, value_text, when_text

SCHEMA_ID = "https://monitor.invalid/schemas/webhook-v1.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Evidence:
    """The observation behind a change: the quote, its sentence and the article."""

    quote: str
    sentence: str
    outlet: str | None
    url: str | None
    title: str | None
    article_id: int | None
    published: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    """One version of the fact (newest first in :attr:`ChangeView.history`)."""

    value: Any
    state: str
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    sources: int


@dataclass(frozen=True)
class ChangeView:
    """A recorded change with what a reader needs to act on it."""

    change_id: int
    fact: str
    label: str
    qualifier: str | None
    term: str | None
    kind: str
    severity: str
    old: Any
    new: Any
    published: datetime | None
    decided_at: datetime | None
    evidence: Evidence | None
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """One message in every form the channels need."""

    event: str
    subject: str
    text: str
    html: str
    payload: dict[str, Any]


def show(value: Any) -> str:
    """A stored value for people (:func:`monitor.display.value_text`): ``up to 10,000``."""
    return value_text(value)


def name_of(view: ChangeView) -> str:
    """``Label [qualifier]`` (or the fact id when it has no label)."""
    name = view.label or view.fact
    key = view.qualifier or view.term
    return f"{name} [{key}]" if key else name


def headline(view: ChangeView) -> str:
    """``new fact: X = 31`` or ``change: X 31 → 35``."""
    title = KIND_TITLES.get(view.kind, view.kind)
    if view.old is None or view.kind == "first":
        return f"{title}: {name_of(view)} = {show(view.new)}"
    return f"{title}: {name_of(view)} {show(view.old)} {ARROW} {show(view.new)}"


def render(
    views: list[ChangeView], *, alert_id: int, key: str, digest: bool, tz: tzinfo = UTC
) -> Rendered:
    """Render one alert (one change, or a digest of several) for every channel; the email
    shows times in ``tz`` (``display.timezone``), the payload in UTC."""
    if not views:
        raise ValueError("an alert needs at least one change")
    event = "fact.digest" if digest else f"fact.{views[0].kind}"
    if len(views) == 1 and not digest:
        subject = f"[monitor] {headline(views[0])}"
    else:
        facts = sorted({name_of(v) for v in views})
        more = f" and {len(facts) - 3} more" if len(facts) > 3 else ""
        subject = f"[monitor] {len(views)} fact updates: {', '.join(facts[:3])}{more}"
    return Rendered(
        event=event,
        subject=subject,
        text=_text(views, tz),
        html=_html(views, subject, tz),
        payload=payload(views, event=event, alert_id=alert_id, key=key, digest=digest),
    )


def payload(
    views: list[ChangeView], *, event: str, alert_id: int, key: str, digest: bool
) -> dict[str, Any]:
    """The webhook body (schema ``webhook-v1.json``); stable across retries of one alert."""
    return {
        "$schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "event": event,
        "idempotency_key": key,
        "alert_id": alert_id,
        "digest": digest,
        "changes": [_change(v) for v in views],
    }


def _change(v: ChangeView) -> dict[str, Any]:
    ev = v.evidence
    return {
        "id": v.change_id,
        "fact": v.fact,
        "label": v.label,
        "qualifier": v.qualifier,
        "term": v.term,
        "kind": v.kind,
        "severity": v.severity,
        "old": _plain(v.old),
        "new": _plain(v.new),
        "old_text": None if v.old is None else show(v.old),
        "new_text": None if v.new is None else show(v.new),
        "published": _iso(v.published),
        "decided_at": _iso(v.decided_at),
        "evidence": None
        if ev is None
        else {
            "quote": ev.quote,
            "sentence": ev.sentence,
            "outlet": ev.outlet,
            "url": ev.url,
            "title": ev.title,
            "article_id": ev.article_id,
            "published": _iso(ev.published),
        },
        "history": [
            {
                "value": _plain(h.value),
                "value_text": show(h.value),
                "state": h.state,
                "status": h.status,
                "valid_from": _iso(h.valid_from),
                "valid_until": _iso(h.valid_until),
                "sources": h.sources,
            }
            for h in v.history
        ],
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


def _when(when: datetime | None, tz: tzinfo) -> str:
    return when_text(when, tz, empty="undated")


def _text(views: list[ChangeView], tz: tzinfo) -> str:
    parts = []
    for v in views:
        lines = [
            headline(v),
            f"Fact: {v.fact}" + (f" [{v.qualifier or v.term}]" if v.qualifier or v.term else ""),
        ]
        ev = v.evidence
        if ev is not None:
            lines.append(
                f"Reported by {ev.outlet or 'unknown outlet'}, published {_when(ev.published, tz)}"
            )
            lines.append(f'Quote: "{ev.quote}"')
            lines.append(f"Sentence: {ev.sentence}")
            if ev.title:
                lines.append(f"Article: {ev.title}")
            if ev.url:
                lines.append(f"Link: {ev.url}")
        if v.history:
            lines.append("Recent history:")
            lines += [
                f"  {show(h.value)}  ({h.state}, {h.status}, from {_when(h.valid_from, tz)}, "
                f"{h.sources} source{'s' if h.sources != 1 else ''})"
                for h in v.history
            ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n\n-- \nmonitor: `monitor history FACT` shows the full history.\n"


def _html(views: list[ChangeView], subject: str, tz: tzinfo) -> str:
    e = html.escape
    blocks = []
    for v in views:
        ev = v.evidence
        rows = [f"<h2>{e(headline(v))}</h2>", f"<p>Fact: <code>{e(v.fact)}</code></p>"]
        if ev is not None:
            rows.append(
                f"<p>Reported by <b>{e(ev.outlet or 'unknown outlet')}</b>, "
                f"published {e(_when(ev.published, tz))}</p>"
            )
            rows.append(f"<blockquote>{e(ev.sentence)}</blockquote>")
            rows.append(f"<p>Quote: <q>{e(ev.quote)}</q></p>")
            if ev.url:
                title = e(ev.title or ev.url)
                link = (
                    f'<a href="{e(ev.url, quote=True)}">{title}</a>'
                    if ev.url.startswith(("http://", "https://"))
                    else f"{title} ({e(ev.url)})"
                )
                rows.append(f"<p>Article: {link}</p>")
        if v.history:
            items = "".join(
                f"<tr><td>{e(show(h.value))}</td><td>{e(h.state)}</td><td>{e(h.status)}</td>"
                f"<td>{e(_when(h.valid_from, tz))}</td><td>{h.sources}</td></tr>"
                for h in v.history
            )
            rows.append(
                "<table><tr><th>value</th><th>state</th><th>status</th><th>valid from</th>"
                f"<th>sources</th></tr>{items}</table>"
            )
        blocks.append("<section>" + "\n".join(rows) + "</section>")
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{e(subject)}</title></head>'
        "<body>\n" + "\n<hr>\n".join(blocks) + "\n</body></html>\n"
    )

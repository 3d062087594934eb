"""Read-only queries over the fact history, shared by the CLI and the HTTP API.

Every function takes an open :class:`Session` and returns plain JSON-ready dicts whose shapes
(the ``*JSON`` TypedDicts below) are the documented, stable output of ``--format json`` and of
the API. Times are the monitor's clock: ``as_of`` answers "what did the monitor believe at that
moment", from each version's ``first_seen_at`` / ``superseded_at`` / ``confirmed_at``, the change
log and the evidence read by then.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from typing_extensions import TypedDict

from monitor.changes import Support, distinct_sources, fingerprint
from monitor.config import HistoryConfig
from monitor.errors import MonitorError
from monitor.models import (
    Alert,
    Article,
    ArticleVersion,
    Change,
    FactEvidence,
    FactVersion,
    Observation,
)

# A fact value as stored: an integer, a [low, high] range (nulls for open ends) or a term status.
JSONValue = int | list[int | None] | str | None
SETTING_KINDS = ("first", "change", "refinement", "conflict")


class NotFoundError(MonitorError):
    """A fact, qualifier or article asked for does not exist (HTTP 404)."""


class EvidenceJSON(TypedDict):
    """An observation supporting a version or a change."""

    article: int
    article_version: int
    outlet: str | None
    url: str
    title: str | None
    published: str | None
    sentence: str
    quote: str


class VersionJSON(TypedDict):
    """One value a key has held, with its state at the time asked about."""

    version: int
    fact: str
    qualifier: str | None
    term: str | None
    value: JSONValue
    state: str
    status: str
    sources: int
    valid_from: str | None
    valid_until: str | None
    first_seen: str | None
    last_seen: str | None
    superseded_at: str | None
    evidence: list[EvidenceJSON]


class FactJSON(VersionJSON):
    """A key's current version plus the claims disputing it."""

    disputed_by: list[VersionJSON]


class ChangeJSON(TypedDict):
    """A recorded decision (first, change, refinement, conflict, resolved, backfill, confirmed)."""

    id: int
    fact: str
    qualifier: str | None
    term: str | None
    kind: str
    old: JSONValue
    new: JSONValue
    published: str | None
    decided: str | None
    alert: bool
    version: int | None
    evidence: EvidenceJSON | None


class ArticleVersionJSON(TypedDict):
    """One stored text of an article."""

    number: int
    fetched: str | None
    published: str | None
    modified: str | None
    title: str | None
    chars: int
    content_hash: str


class AlertJSON(TypedDict):
    """One row of the alert outbox with the change it announces."""

    id: int
    change: int | None
    fact: str | None
    kind: str | None
    channel: str
    state: str
    attempts: int
    created: str | None
    next_attempt: str | None
    delivered: str | None
    last_error: str | None


def parse_time(value: str) -> datetime:
    """Read ``2025-09-04``, ``2025-09-04T12:00`` or ``2025-09-04T12:00+02:00`` as aware UTC.

    A date alone means 00:00 UTC that day; a time without offset is UTC.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"{value!r} is not a date or time; write e.g. 2025-09-04 or 2025-09-04T12:00Z"
        ) from exc


_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_RELATIVE_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, *, now: datetime, tz: tzinfo = UTC) -> datetime:
    """A ``--since`` value: an ISO date/time (:func:`parse_time`), a time ago (``90m``, ``36h``,
    ``2d``, ``1w``), or ``today`` / ``yesterday`` (midnight in ``tz``)."""
    text = value.strip().lower()
    if text in ("today", "yesterday"):
        midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        if text == "yesterday":
            midnight -= timedelta(days=1)
        return midnight.astimezone(UTC)
    m = _RELATIVE.match(text)
    if m:
        return now - timedelta(seconds=int(m.group(1)) * _RELATIVE_UNITS[m.group(2)])
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a date, a time or a time ago; write e.g. 2025-09-04, "
            "2025-09-04T12:00Z, 2d, 36h or yesterday"
        ) from exc


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 with seconds and offset (the JSON form of every time)."""
    return value.isoformat(timespec="seconds") if value else None


def facts(
    s: Session, *, as_of: datetime | None = None, cfg: HistoryConfig | None = None
) -> list[FactJSON]:
    """Every key's current value with status, sources and evidence, and the claims disputing it.

    With ``as_of``: what the monitor believed at that moment.
    """
    stmt = select(FactVersion)
    if as_of is None:
        stmt = stmt.where(col(FactVersion.state).in_(("current", "disputed")))
    else:
        stmt = stmt.where(col(FactVersion.first_seen_at) <= as_of)
    rows = _states(s, s.exec(stmt.order_by(col(FactVersion.id))).all(), as_of)
    shown = [(v, st) for v, st in rows if st in ("current", "disputed")]
    rendered = dict(zip((v.id for v, _ in shown), _render(s, shown, as_of, cfg), strict=True))
    by_key: dict[tuple[str, str, str], list[VersionJSON]] = {}
    for v, _ in shown:
        by_key.setdefault((v.fact, v.qualifier or "", v.term or ""), []).append(rendered[v.id])
    out: list[FactJSON] = []
    for key in sorted(by_key):
        group = by_key[key]
        current = [r for r in group if r["state"] == "current"]
        # decide() never disputes a key without an accepted value, so each key has one.
        if current:
            disputes = [r for r in group if r["state"] == "disputed"]
            out.append(FactJSON(**current[-1], disputed_by=disputes))
    return out


def history(
    s: Session,
    fact: str,
    *,
    qualifier: str | None = None,
    since: datetime | None = None,
    as_of: datetime | None = None,
    cfg: HistoryConfig | None = None,
) -> list[VersionJSON]:
    """Every version of ``fact`` (one qualifier or term with ``qualifier``), oldest first.

    ``since`` keeps the versions still in effect at or after that time; ``as_of`` shows the
    versions the monitor knew then, with the state, status, sources and evidence of that moment.
    """
    stmt = select(FactVersion).where(FactVersion.fact == fact)
    if qualifier is not None:
        stmt = stmt.where(
            sa.or_(col(FactVersion.qualifier) == qualifier, col(FactVersion.term) == qualifier)
        )
    versions = s.exec(stmt.order_by(col(FactVersion.id))).all()
    if not versions:
        raise NotFoundError(_unknown(s, fact, qualifier))
    if as_of is not None:
        versions = [v for v in versions if v.first_seen_at and v.first_seen_at <= as_of]
    rows = _states(s, versions, as_of)
    if since is not None:
        rows = [(v, st) for v, st in rows if _in_effect_after(v, st, since, as_of)]
    rows.sort(
        key=lambda r: (
            r[0].qualifier or r[0].term or "",
            r[0].valid_from is None,
            r[0].valid_from or r[0].first_seen_at or datetime.min.replace(tzinfo=UTC),
            r[0].id or 0,
        )
    )
    return _render(s, rows, as_of, cfg)


def changes(
    s: Session,
    *,
    since: datetime | None = None,
    fact: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ChangeJSON], int]:
    """Recorded decisions, newest first, and how many match in all.

    ``since`` keeps the changes the monitor recorded at or after that time; ``fact`` is a glob on
    fact ids (``force.*``); ``kind`` one kind of decision (``change``, ``conflict``...).
    """
    where: list[Any] = []
    if kind is not None:
        where.append(col(Change.kind) == kind)
    if since is not None:
        where.append(col(Change.decided_at) >= since)
    if fact is not None:
        known = s.exec(select(Change.fact).distinct()).all()
        where.append(col(Change.fact).in_([f for f in known if fnmatch.fnmatchcase(f, fact)]))
    total = s.exec(select(sa.func.count()).select_from(Change).where(*where)).one()
    stmt = (
        select(Change)
        .where(*where)
        .order_by(col(Change.decided_at).desc(), col(Change.id).desc())
        .offset(offset)
        .limit(limit)  # None: no limit
    )
    rows = s.exec(stmt).all()
    evidence = _evidence(s, [c.observation_id for c in rows if c.observation_id is not None])
    return [
        ChangeJSON(
            id=c.id or 0,
            fact=c.fact,
            qualifier=c.qualifier,
            term=c.term,
            kind=c.kind,
            old=_value(c.old_json),
            new=_value(c.new_json),
            published=iso(c.published_at),
            decided=iso(c.decided_at),
            alert=c.alert,
            version=c.fact_version_id,
            evidence=evidence[c.observation_id][1] if c.observation_id in evidence else None,
        )
        for c in rows
    ], total


def article_versions(s: Session, article_id: int) -> tuple[Article, list[ArticleVersionJSON]]:
    """An article and its stored versions, oldest first."""
    article = s.get(Article, article_id)
    if article is None:
        raise NotFoundError(
            f"query: no article with id {article_id}; see `monitor articles` or GET /changes"
        )
    versions = s.exec(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
        .order_by(col(ArticleVersion.number))
    ).all()
    return article, [
        ArticleVersionJSON(
            number=v.number,
            fetched=iso(v.fetched_at),
            published=iso(v.published_at),
            modified=iso(v.modified_at),
            title=v.title,
            chars=len(v.text),
            content_hash=v.content_hash,
        )
        for v in versions
    ]


def alerts(
    s: Session, *, state: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[list[AlertJSON], int]:
    """The alert outbox, newest first (``state``: pending, delivered, dead...)."""
    where = [] if state is None else [Alert.state == state]
    total = s.exec(select(sa.func.count()).select_from(Alert).where(*where)).one()
    stmt = (
        select(Alert, Change.fact, Change.kind)
        .join(Change, col(Change.id) == col(Alert.change_id), isouter=True)
        .where(*where)
        .order_by(col(Alert.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        AlertJSON(
            id=a.id or 0,
            change=a.change_id,
            fact=f,
            kind=k,
            channel=a.channel,
            state=a.state,
            attempts=a.attempts,
            created=iso(a.created_at),
            next_attempt=iso(a.next_attempt_at),
            delivered=iso(a.delivered_at),
            last_error=a.last_error,
        )
        for a, f, k in s.exec(stmt).all()
    ], total


def _unknown(s: Session, fact: str, qualifier: str | None) -> str:
    known = s.exec(select(FactVersion.fact).distinct().order_by(col(FactVersion.fact))).all()
    if fact not in known:
        listed = ", ".join(known) or "none yet"
        return f"query: no history for fact {fact!r}; facts with a history: {listed}"
    quals = s.exec(
        select(FactVersion.qualifier, FactVersion.term).where(FactVersion.fact == fact).distinct()
    ).all()
    names = sorted({n for q, t in quals if (n := q or t) is not None})
    return (
        f"query: fact {fact!r} has no qualifier or term {qualifier!r}; "
        f"it has: {', '.join(names) or 'none (omit --qualifier)'}"
    )


def _value(raw: str | None) -> JSONValue:
    value: JSONValue = None if raw is None else json.loads(raw)
    return value


def _states(
    s: Session, versions: Sequence[FactVersion], as_of: datetime | None
) -> list[tuple[FactVersion, str]]:
    """Each version with its state now, or at ``as_of`` as the monitor saw it then."""
    if as_of is None:
        return [(v, v.state) for v in versions]
    ids = [v.id for v in versions if v.id is not None]
    # The latest decision that set a version by then says whether it was accepted or disputed
    # (a disputed claim can later be promoted to current by a change).
    setting: dict[int, str] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(Change.fact_version_id, Change.kind)
            .where(
                col(Change.fact_version_id).in_(chunk),
                col(Change.kind).in_(SETTING_KINDS),
                col(Change.decided_at) <= as_of,
            )
            .order_by(col(Change.decided_at), col(Change.id))
        )
        for vid, kind in s.exec(stmt).all():
            if vid is not None:
                setting[vid] = "disputed" if kind == "conflict" else "current"
    out: list[tuple[FactVersion, str]] = []
    for v in versions:
        if v.first_seen_at is None or v.first_seen_at > as_of:
            continue
        if v.state == "history" or (v.superseded_at is not None and v.superseded_at <= as_of):
            out.append((v, v.state))
        else:
            fallback = "disputed" if v.state in ("disputed", "rejected") else "current"
            out.append((v, setting.get(v.id or 0, fallback)))
    return out


def _in_effect_after(v: FactVersion, state: str, since: datetime, as_of: datetime | None) -> bool:
    end = _valid_until(v, state, as_of)
    if state == "rejected":
        end = v.superseded_at
    return end is None or end >= since


def _valid_until(v: FactVersion, state: str, as_of: datetime | None) -> datetime | None:
    # At ``as_of`` a version that was still current had no end yet.
    if as_of is not None and state in ("current", "disputed"):
        return None
    return v.valid_until


def _render(
    s: Session,
    rows: Sequence[tuple[FactVersion, str]],
    as_of: datetime | None,
    cfg: HistoryConfig | None,
) -> list[VersionJSON]:
    evidence = _version_evidence(s, [v.id for v, _ in rows if v.id is not None], as_of)
    out: list[VersionJSON] = []
    for v, state in rows:
        found = evidence.get(v.id or 0, [])
        status, sources = v.status, v.sources
        if as_of is not None:
            status = "confirmed" if v.confirmed_at and v.confirmed_at <= as_of else "unconfirmed"
            sources = _sources_at(s, found, cfg or HistoryConfig())
        ended = state in ("superseded", "rejected")
        out.append(
            VersionJSON(
                version=v.id or 0,
                fact=v.fact,
                qualifier=v.qualifier,
                term=v.term,
                value=_value(v.value_json),
                state=state,
                status=status,
                sources=sources,
                valid_from=iso(v.valid_from),
                valid_until=iso(_valid_until(v, state, as_of)),
                first_seen=iso(v.first_seen_at),
                last_seen=iso(v.last_seen_at if as_of is None else _last_seen(v, found)),
                superseded_at=iso(v.superseded_at) if ended else None,
                evidence=[e for _, e in found],
            )
        )
    return out


def _last_seen(
    v: FactVersion, found: Sequence[tuple[datetime | None, EvidenceJSON]]
) -> datetime | None:
    seen = [t for t, _ in found if t is not None]
    return max(seen) if seen else v.first_seen_at


def _sources_at(
    s: Session, found: Sequence[tuple[datetime | None, EvidenceJSON]], cfg: HistoryConfig
) -> int:
    """Distinct sources by the history's own rule (wire copy counts once) over earlier evidence."""
    if not found:
        return 0
    wanted = {(e["article"], e["article_version"]) for _, e in found}
    stmt = select(ArticleVersion.article_id, ArticleVersion.number, ArticleVersion.text).where(
        col(ArticleVersion.article_id).in_({a for a, _ in wanted})
    )
    texts = {(a, n): t for a, n, t in s.exec(stmt).all() if (a, n) in wanted}
    support = [
        Support(
            outlet=e["outlet"],
            published=None,
            article_id=e["article"],
            fingerprint=fingerprint(texts.get((e["article"], e["article_version"]), "")),
        )
        for _, e in found
    ]
    return distinct_sources(support, cfg)


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _evidence_select() -> Any:
    return (
        sa.select(
            col(Observation.id),
            col(Observation.created_at),
            col(Observation.sentence),
            col(Observation.text),
            col(ArticleVersion.number),
            col(Article.id),
            col(Article.outlet),
            col(Article.url),
            # The title as it was in the version that said it, not the article's newest title.
            sa.func.coalesce(col(ArticleVersion.title), col(Article.title)),
            col(Article.published_at),
        )
        .join(ArticleVersion, col(ArticleVersion.id) == col(Observation.version_id))
        .join(Article, col(Article.id) == col(ArticleVersion.article_id))
    )


def _evidence_row(row: Any) -> tuple[datetime | None, EvidenceJSON]:
    _oid, created, sentence, quote, number, aid, outlet, url, title, published = row
    return created, EvidenceJSON(
        article=aid,
        article_version=number,
        outlet=outlet,
        url=url,
        title=title,
        published=iso(published),
        sentence=sentence,
        quote=quote,
    )


def _evidence(
    s: Session, observation_ids: Sequence[int]
) -> dict[int | None, tuple[datetime | None, EvidenceJSON]]:
    out: dict[int | None, tuple[datetime | None, EvidenceJSON]] = {}
    for chunk in _chunks(sorted(set(observation_ids))):
        for row in s.execute(_evidence_select().where(col(Observation.id).in_(chunk))).all():
            out[row[0]] = _evidence_row(row)
    return out


def _version_evidence(
    s: Session, version_ids: Sequence[int], as_of: datetime | None
) -> dict[int, list[tuple[datetime | None, EvidenceJSON]]]:
    """Each version's supporting observations, in the order they were added."""
    out: dict[int, list[tuple[datetime | None, EvidenceJSON]]] = {}
    for chunk in _chunks(version_ids):
        stmt = (
            _evidence_select()
            .add_columns(col(FactEvidence.fact_version_id))
            .join(FactEvidence, col(FactEvidence.observation_id) == col(Observation.id))
            .where(col(FactEvidence.fact_version_id).in_(chunk))
            .order_by(col(FactEvidence.id))
        )
        if as_of is not None:
            stmt = stmt.where(col(Observation.created_at) <= as_of)
        for row in s.execute(stmt).all():
            out.setdefault(row[-1], []).append(_evidence_row(row[:-1]))
    return out

"""What the pages read beyond :mod:`monitor.query`: last changes per key, light timelines for
the overview, and article versions with the evidence spans found in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor import query
from monitor.config import Settings
from monitor.display import key_label, value_text
from monitor.models import ArticleVersion, Change, FactVersion, Observation

Key = tuple[str, str | None, str | None]


def last_changes(s: Session, as_of: datetime | None) -> dict[Key, datetime]:
    """When the last change of each key was recorded (by ``as_of``)."""
    stmt = select(
        Change.fact, Change.qualifier, Change.term, sa.func.max(Change.decided_at)
    ).group_by(col(Change.fact), col(Change.qualifier), col(Change.term))
    if as_of is not None:
        stmt = stmt.where(col(Change.decided_at) <= as_of)
    out = {}
    for fact, qualifier, term, at in s.exec(stmt).all():
        if at is not None:
            out[(fact, qualifier, term)] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return out


def timelines(s: Session) -> dict[Key, list[dict[str, Any]]]:
    """Every key's versions, light (no evidence), for the overview's small timelines."""
    out: dict[Key, list[dict[str, Any]]] = {}
    for v in s.exec(select(FactVersion).order_by(col(FactVersion.id))).all():
        out.setdefault((v.fact, v.qualifier, v.term), []).append(
            {
                "version": v.id,
                "value": json.loads(v.value_json),
                "state": v.state,
                "status": v.status,
                "sources": v.sources,
                "valid_from": query.iso(v.valid_from),
                "valid_until": query.iso(v.valid_until),
                "first_seen": query.iso(v.first_seen_at),
                "last_seen": query.iso(v.last_seen_at),
                "superseded_at": query.iso(v.superseded_at),
            }
        )
    return out


def timelines_as_of(
    s: Session, facts: list[str], as_of: datetime, settings: Settings
) -> dict[Key, list[dict[str, Any]]]:
    """Every key's versions as the monitor knew them at ``as_of``."""
    out: dict[Key, list[dict[str, Any]]] = {}
    for fact in facts:
        try:
            versions = query.history(s, fact, as_of=as_of, cfg=settings.history)
        except query.NotFoundError:
            continue
        for v in versions:
            out.setdefault((v["fact"], v["qualifier"], v["term"]), []).append(dict(v))
    return out


def version_texts(
    s: Session, article_id: int, numbers: set[int]
) -> tuple[dict[int, str], dict[int, list[tuple[int, int]]], list[dict[str, Any]]]:
    """The texts of some versions, the evidence spans in each, and those observations."""
    rows = s.exec(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article_id, col(ArticleVersion.number).in_(numbers)
        )
    ).all()
    texts = {v.number: v.text for v in rows}
    by_id = {v.id: v.number for v in rows}
    spans: dict[int, list[tuple[int, int]]] = {}
    found = []
    if by_id:
        obs = s.exec(
            select(Observation)
            .where(col(Observation.version_id).in_(list(by_id)))
            .order_by(col(Observation.version_id), col(Observation.start))
        ).all()
        for o in obs:
            number = by_id[o.version_id]
            text = texts[number]
            start, end = o.start, o.end
            if text[start:end] != o.text:  # offsets from another reading of the page
                at = text.find(o.text)
                if at < 0:
                    continue
                start, end = at, at + len(o.text)
            spans.setdefault(number, []).append((start, end))
            item = {
                "version": number,
                "fact": o.fact,
                "key": key_label(o.fact, o.qualifier, o.term),
                "value": value_text(o.status if o.term else json.loads(o.value_json or "null")),
                "quote": o.text,
                "mention": o.mention,
            }
            if item not in found:  # a headline and its body often say the same
                found.append(item)
    return texts, spans, found

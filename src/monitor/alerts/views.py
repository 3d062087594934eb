"""Load what an alert says from the database: changes, their evidence and recent history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from monitor.alerts.render import ChangeView, Evidence, HistoryEntry
from monitor.alerts.rules import severity
from monitor.config import Settings
from monitor.models import Article, ArticleVersion, Change, FactVersion, Observation

HISTORY_ROWS = 5


def load_views(s: Session, change_ids: Sequence[int], settings: Settings) -> list[ChangeView]:
    """The changes in ``change_ids`` (in that order) ready to render."""
    labels = {f.id: f.label for f in settings.facts}
    out = []
    for change_id in change_ids:
        change = s.get(Change, change_id)
        if change is None:
            continue
        out.append(
            ChangeView(
                change_id=change_id,
                fact=change.fact,
                label=labels.get(change.fact, ""),
                qualifier=change.qualifier,
                term=change.term,
                kind=change.kind,
                severity=severity(change),
                old=_value(change.old_json),
                new=_value(change.new_json),
                published=change.published_at,
                decided_at=change.decided_at,
                evidence=_evidence(s, change),
                history=_history(s, change),
            )
        )
    return out


def _value(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


def _evidence(s: Session, change: Change) -> Evidence | None:
    if change.observation_id is None:
        return None
    row = s.exec(
        select(Observation, Article, ArticleVersion.title)
        .join(ArticleVersion, col(ArticleVersion.id) == col(Observation.version_id))
        .join(Article, col(Article.id) == col(ArticleVersion.article_id))
        .where(Observation.id == change.observation_id)
    ).first()
    if row is None:
        return None
    obs, article, title = row
    return Evidence(
        quote=obs.text,
        sentence=obs.sentence,
        outlet=article.outlet,
        url=article.url,
        title=title or article.title,  # the title of the version that said it
        article_id=article.id,
        published=article.published_at,
    )


def _history(s: Session, change: Change) -> tuple[HistoryEntry, ...]:
    """The key's last versions as first seen by the time of the change (stable on retries)."""
    stmt = select(FactVersion).where(FactVersion.fact == change.fact)
    for column, value in (
        (FactVersion.qualifier, change.qualifier),
        (FactVersion.term, change.term),
    ):
        stmt = stmt.where(col(column).is_(None) if value is None else col(column) == value)
    if change.decided_at is not None:
        stmt = stmt.where(col(FactVersion.first_seen_at) <= change.decided_at)
    rows = s.exec(stmt.order_by(col(FactVersion.id).desc()).limit(HISTORY_ROWS)).all()
    return tuple(
        HistoryEntry(
            value=_value(r.value_json),
            state=r.state,
            status=r.status,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            sources=r.sources,
        )
        for r in rows
    )

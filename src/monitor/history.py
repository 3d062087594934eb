"""The versioned fact history: turns a version's observations into decisions and stores them.

:func:`record_observations` runs inside the transaction that stored the article version, so the
observations, the fact versions, the changes and the alerts in the outbox commit together (or not
at all). The decisions themselves are taken by the pure :func:`monitor.changes.decide`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.changes import (
    Claim,
    Decision,
    KeyState,
    Report,
    Support,
    Value,
    compatible,
    decide,
    distinct_sources,
    fingerprint,
)
from monitor.config import HistoryConfig, Settings
from monitor.display import change_text, key_label
from monitor.models import Article, ArticleVersion, Change, FactEvidence, FactVersion, Observation

log = logging.getLogger(__name__)

Key = tuple[str, str | None, str | None]
CURRENT_MENTIONS = frozenset({"current", "corrected"})
EARLIER_MENTIONS = frozenset({"historical"})
RECORDED = frozenset({"first", "change", "refinement", "conflict", "resolved", "backfill"})
SUPPORT_LIMIT = 25


def value_of(obs: Observation) -> Value | None:
    """An observation's value: a term status, an integer or a ``(low, high)`` range."""
    if obs.term is not None:
        return obs.status
    return decode(obs.value_json)


def decode(raw: str | None) -> Value | None:
    """A stored JSON value back to ``int | (low, high) | status``."""
    if raw is None:
        return None
    data = json.loads(raw)
    if isinstance(data, list):
        return (data[0], data[1])
    if isinstance(data, int | str):
        return data
    return None


def encode(value: Value | None) -> str | None:
    """A value as stored JSON (ranges as ``[low, high]`` with nulls for open ends)."""
    if value is None:
        return None
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def record_observations(
    s: Session,
    *,
    article: Article,
    version: ArticleVersion,
    observations: Sequence[Observation],
    settings: Settings,
    now: datetime,
) -> list[Change]:
    """Decide what the observations of one new article version mean; store and return changes.

    Alerting changes are queued in the outbox in the same transaction.
    """
    from monitor.alerts.outbox import enqueue

    assert article.id is not None
    if not observations:  # most pages state no tracked fact: skip the text's fingerprint
        return []
    cfg = settings.history
    support = Support(
        outlet=article.outlet,
        published=article.published_at,
        article_id=article.id,
        fingerprint=fingerprint(version.text),
    )
    changes: list[Change] = []
    for key, group in _by_key(observations).items():
        report = _report(group, support)
        if report is None:
            continue
        state, rows = _load_state(s, key)
        decision = decide(state, report, cfg)
        evidence = _evidence(group, decision)
        change = _apply(s, key, decision, rows, evidence, article, cfg, now)
        log.info(
            "fact decision: %s: %s",
            key_label(*key),
            change_text(decision.kind, decision.old, decision.new),
            extra={
                "stage": "changes",
                "fact": key[0],
                "qualifier": key[1],
                "term": key[2],
                "kind": decision.kind,
                "article_id": article.id,
                "reason": decision.reason,
            },
        )
        if change is not None:
            changes.append(change)
            enqueue(s, change, settings.alerts, now=now)
    return changes


def _by_key(observations: Sequence[Observation]) -> dict[Key, list[Observation]]:
    groups: dict[Key, list[Observation]] = {}
    for obs in observations:
        groups.setdefault((obs.fact, obs.qualifier, obs.term), []).append(obs)
    return groups


def _report(group: Sequence[Observation], support: Support) -> Report | None:
    # A correction outranks the figure it corrects, then the firmest, then the first stated.
    ranked = sorted(group, key=lambda o: (o.mention != "corrected", -o.confidence, o.start))
    values: list[Value] = []
    confidence: list[float] = []
    earlier: list[Value] = []
    corrections: list[Value] = []
    for obs in ranked:
        value = value_of(obs)
        if value is None:
            continue
        if obs.mention == "corrected" and value not in corrections:
            corrections.append(value)
        if obs.mention in CURRENT_MENTIONS and value not in values:
            values.append(value)
            confidence.append(obs.confidence)
        elif obs.mention in EARLIER_MENTIONS and value not in earlier:
            earlier.append(value)
    if not values and not earlier:
        return None
    return Report(
        values=tuple(values),
        support=support,
        earlier=tuple(earlier),
        confidence=tuple(confidence),
        corrections=tuple(corrections),
    )


def _evidence(group: Sequence[Observation], decision: Decision) -> Observation:
    """The observation that shows the decided value: a current mention first, then an earlier
    figure (a change made by an unseen earlier figure), then the firmest mention."""
    same = [o for o in group if value_of(o) == decision.new] or [
        o
        for o in group
        if (v := value_of(o)) is not None
        and decision.new is not None
        and compatible(v, decision.new)
    ]
    for obs in same:
        if obs.mention in CURRENT_MENTIONS:
            return obs
    return (same or sorted(group, key=lambda o: -o.confidence))[0]


def _key_filter(key: Key) -> list[Any]:
    fact, qualifier, term = key
    return [
        col(FactVersion.fact) == fact,
        col(FactVersion.qualifier).is_(None)
        if qualifier is None
        else col(FactVersion.qualifier) == qualifier,
        col(FactVersion.term).is_(None) if term is None else col(FactVersion.term) == term,
    ]


def _load_state(s: Session, key: Key) -> tuple[KeyState, dict[str, list[FactVersion]]]:
    rows = s.exec(select(FactVersion).where(*_key_filter(key)).order_by(col(FactVersion.id))).all()
    by_state: dict[str, list[FactVersion]] = {}
    for row in rows:
        by_state.setdefault(row.state, []).append(row)
    current = by_state.get("current", [])
    state = KeyState(
        current=_claim(s, current[-1]) if current else None,
        held=tuple(
            v for r in by_state.get("superseded", []) if (v := decode(r.value_json)) is not None
        ),
        disputes=tuple(_claim(s, r) for r in by_state.get("disputed", [])),
    )
    return state, by_state


def _claim(s: Session, row: FactVersion) -> Claim:
    stmt = (
        select(Article.outlet, Article.published_at, Article.id, ArticleVersion.text)
        .join(ArticleVersion, col(ArticleVersion.article_id) == col(Article.id))
        .join(Observation, col(Observation.version_id) == col(ArticleVersion.id))
        .join(FactEvidence, col(FactEvidence.observation_id) == col(Observation.id))
        .where(FactEvidence.fact_version_id == row.id)
        .order_by(col(FactEvidence.id).desc())
        .limit(SUPPORT_LIMIT)
    )
    support = tuple(
        Support(outlet=o, published=p, article_id=a or 0, fingerprint=fingerprint(t))
        for o, p, a, t in reversed(s.exec(stmt).all())
    )
    value = decode(row.value_json)
    assert value is not None
    return Claim(value=value, valid_from=row.valid_from, support=support)


def _apply(
    s: Session,
    key: Key,
    decision: Decision,
    rows: dict[str, list[FactVersion]],
    evidence: Observation,
    article: Article,
    cfg: HistoryConfig,
    now: datetime,
) -> Change | None:
    published = article.published_at
    current = rows.get("current", [None])[-1]
    kind = decision.kind
    target: FactVersion | None = None
    if kind in ("first", "change", "refinement"):
        if current is not None:
            current.state, current.valid_until = "superseded", published or now
            current.superseded_at = now
            s.add(current)
        for row in rows.get("disputed", []):
            if kind == "change" and decode(row.value_json) == decision.new:
                target = row
            else:
                row.state, row.superseded_at = "rejected", now
            s.add(row)
        if target is None:
            target = _new_version(s, key, decision.new, "current", published, now)
            if kind == "refinement" and current is not None:
                _copy_evidence(s, current, target)
        target.state, target.valid_from = "current", target.valid_from or published
    elif kind in ("confirmation", "resolved"):
        target = current
        if kind == "resolved":
            for row in rows.get("disputed", []):
                row.state, row.superseded_at = "rejected", now
                s.add(row)
    elif kind == "conflict":
        target = next(
            (r for r in rows.get("disputed", []) if decode(r.value_json) == decision.new), None
        ) or _new_version(s, key, decision.new, "disputed", published, now)
    elif kind == "backfill":
        target = next(
            (r for r in rows.get("history", []) if decode(r.value_json) == decision.new), None
        ) or _new_version(s, key, decision.new, "history", published, now)
        target.valid_until = current.valid_from if current is not None else None
    if target is None:
        return None
    was_confirmed = target.status == "confirmed"
    _add_evidence(s, target, evidence, article, cfg, now)
    if kind == "confirmation" and target.status == "confirmed" and not was_confirmed:
        kind = "confirmed"
    elif kind not in RECORDED:
        return None
    change = Change(
        fact=key[0],
        qualifier=key[1],
        term=key[2],
        kind=kind,
        old_json=encode(decision.old),
        new_json=encode(decision.new),
        observation_id=evidence.id,
        fact_version_id=target.id,
        article_id=article.id,
        published_at=published,
        decided_at=now,
        alert=decision.alert,
    )
    s.add(change)
    s.flush()
    return change


def _new_version(
    s: Session, key: Key, value: Value | None, state: str, published: datetime | None, now: datetime
) -> FactVersion:
    row = FactVersion(
        fact=key[0],
        qualifier=key[1],
        term=key[2],
        value_json=encode(value) or "null",
        state=state,
        valid_from=published,
        first_seen_at=now,
        last_seen_at=now,
    )
    s.add(row)
    s.flush()
    return row


def _copy_evidence(s: Session, old: FactVersion, new: FactVersion) -> None:
    assert new.id is not None
    for ev in s.exec(select(FactEvidence).where(FactEvidence.fact_version_id == old.id)).all():
        s.add(
            FactEvidence(fact_version_id=new.id, observation_id=ev.observation_id, outlet=ev.outlet)
        )
    s.flush()


def _add_evidence(
    s: Session,
    row: FactVersion,
    obs: Observation,
    article: Article,
    cfg: HistoryConfig,
    now: datetime,
) -> None:
    assert row.id is not None and obs.id is not None
    exists = s.exec(
        select(FactEvidence.id).where(
            FactEvidence.fact_version_id == row.id, FactEvidence.observation_id == obs.id
        )
    ).first()
    if exists is None:
        s.add(FactEvidence(fact_version_id=row.id, observation_id=obs.id, outlet=article.outlet))
        s.flush()
    row.last_seen_at = now
    row.sources = distinct_sources(_claim(s, row).support, cfg)
    row.status = "confirmed" if row.sources >= cfg.min_sources else "unconfirmed"
    if row.status == "confirmed":
        row.confirmed_at = row.confirmed_at or now
    s.add(row)
    s.flush()


def current_values(s: Session) -> list[FactVersion]:
    """Every key's accepted version (for summaries; the query module has the full views)."""
    stmt = (
        select(FactVersion)
        .where(FactVersion.state == "current")
        .order_by(col(FactVersion.fact), sa.func.coalesce(col(FactVersion.qualifier), ""))
    )
    return list(s.exec(stmt).all())

"""Deliver due alerts from the outbox, at least once, each channel on its own.

One call of :func:`dispatch_due`:

1. **claim**: one ``UPDATE ... RETURNING`` leases a batch of due alerts (``pending``/``failed``,
   ``next_attempt_at <= now``, no live lease). On PostgreSQL the candidates are picked with
   ``FOR UPDATE SKIP LOCKED``, so several dispatchers never take the same alert; SQLite has one
   writer at a time. A process killed after claiming leaves a lease that expires after
   :data:`LEASE`; the alert is then claimed again with the same idempotency key.
2. **render** each alert (a digest leader carries its ``batched`` followers).
3. **deliver** every channel concurrently, alerts of one channel in order, each attempt bounded
   by the channel's timeout. A temporary failure postpones the rest of that channel's batch to
   the same retry time, so a dead receiver costs one timeout per pass, and never delays others.
4. **record** every attempt in ``alert_attempts`` and the outcome on the alert, in its own
   transaction: ``delivered``, or ``failed`` with the next attempt after capped exponential
   back-off (at least the receiver's Retry-After), or ``dead`` after ``max_attempts`` or a
   permanent refusal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts import email, webhook
from monitor.alerts.outbox import DUE_STATES
from monitor.alerts.render import Rendered, render
from monitor.alerts.views import load_views
from monitor.config import AlertsConfig, EmailChannel, Settings, WebhookChannel
from monitor.display import zone
from monitor.errors import AlertError, UnexpectedError
from monitor.models import Alert, AlertAttempt
from monitor.store import session_scope
from monitor.store.engine import is_sqlite

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
BATCH = 50
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    """One claimed alert, rendered."""

    alert_id: int
    channel: str
    key: str
    rendered: Rendered | None
    followers: tuple[int, ...] = ()
    problem: str = ""


@dataclass
class Outcome:
    """What one attempt gave."""

    ok: bool
    status: int | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None
    duration_ms: float = 0.0
    next_at: datetime | None = None


def next_attempt(
    now: datetime, attempts: int, cfg: AlertsConfig, retry_after: float | None = None
) -> datetime:
    """When to try again after ``attempts`` failed attempts: ``min_backoff * 2**(n-1)``, capped
    at ``max_backoff``, and never before the receiver's Retry-After (itself capped at a day)."""
    delay = min(cfg.max_backoff, cfg.min_backoff * (1 << min(max(attempts - 1, 0), 30)))
    if retry_after is not None:
        # Clamped before it becomes a timedelta: a 20-digit Retry-After overflows one (issue 10).
        wait = min(max(retry_after, 0.0), MAX_RETRY_AFTER.total_seconds())
        delay = max(delay, timedelta(seconds=wait))
    return now + delay


async def dispatch_due(
    engine: Engine, settings: Settings, *, now: datetime, http: httpx.AsyncClient
) -> int:
    """Deliver every due alert; returns how many were delivered."""
    delivered = 0
    down: dict[str, datetime] = {}
    while True:
        with session_scope(engine) as s:
            _release_orphans(s, now)
            ids = claim(s, now=now, limit=BATCH, postgres=not is_sqlite(engine))
        if not ids:
            return delivered
        with Session(engine) as s:
            jobs = [_safe_job(s, alert_id, settings) for alert_id in ids]
        by_channel: dict[str, list[Job]] = {}
        for job in jobs:
            by_channel.setdefault(job.channel, []).append(job)
        # Every channel finishes (and records what it sent) even when another one fails.
        results = await asyncio.gather(
            *(
                _deliver_channel(engine, settings.alerts, name, batch, http, now, down)
                for name, batch in by_channel.items()
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        delivered += sum(r for r in results if isinstance(r, int))
        if len(ids) < BATCH:
            return delivered


def claim(s: Session, *, now: datetime, limit: int, postgres: bool) -> list[int]:
    """Lease up to ``limit`` due alerts to this dispatcher; returns their ids, oldest due first."""
    due = (
        col(Alert.state).in_(DUE_STATES),
        col(Alert.next_attempt_at) <= now,
        sa.or_(col(Alert.lease_until).is_(None), col(Alert.lease_until) <= now),
    )
    pick = (
        select(Alert.id)
        .where(*due)
        .order_by(col(Alert.next_attempt_at), col(Alert.id))
        .limit(limit)
    )
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        sa.update(Alert)
        .where(col(Alert.id).in_(pick.scalar_subquery()), *due)
        .values(lease_until=now + LEASE)
        .returning(col(Alert.id), col(Alert.next_attempt_at))
    )
    rows = s.connection().execute(stmt).all()
    return [row[0] for row in sorted(rows, key=lambda r: (r[1], r[0]))]


def _release_orphans(s: Session, now: datetime) -> None:
    """Followers that joined a digest after it was sent (clock skew between processes) become
    alerts of their own, so they are not lost."""
    finished = select(Alert.id).where(col(Alert.state).in_(("delivered", "dead")))
    s.connection().execute(
        sa.update(Alert)
        .where(col(Alert.state) == "batched", col(Alert.digest_of).in_(finished.scalar_subquery()))
        .values(state="pending", digest_of=None, next_attempt_at=now)
    )


def _safe_job(s: Session, alert_id: int, settings: Settings) -> Job:
    """The job of one alert; an alert that cannot be rendered goes dead instead of blocking the
    batch (a bug: the log has the traceback)."""
    try:
        return _job(s, alert_id, settings)
    except Exception as exc:
        log.exception("alert cannot be rendered", extra={"stage": "alerts", "alert_id": alert_id})
        alert = s.get_one(Alert, alert_id)
        return Job(
            alert_id=alert_id,
            channel=alert.channel,
            key=alert.idempotency_key,
            rendered=None,
            problem=f"alerts: alert {alert_id} cannot be rendered ({exc!r}); please report it",
        )


def _job(s: Session, alert_id: int, settings: Settings) -> Job:
    alert = s.get_one(Alert, alert_id)
    followers = s.exec(
        select(Alert)
        .where(Alert.digest_of == alert_id, Alert.state == "batched")
        .order_by(col(Alert.id))
    ).all()
    change_ids = [a.change_id for a in (alert, *followers) if a.change_id is not None]
    views = load_views(s, change_ids, settings)
    rules = settings.alerts.rules
    digest = bool(followers) or (alert.rule < len(rules) and bool(rules[alert.rule].digest))
    rendered = (
        render(
            views,
            alert_id=alert_id,
            key=alert.idempotency_key,
            digest=digest,
            tz=zone(settings.display.timezone),
        )
        if views
        else None
    )
    return Job(
        alert_id=alert_id,
        channel=alert.channel,
        key=alert.idempotency_key,
        rendered=rendered,
        followers=tuple(f.id for f in followers if f.id is not None),
    )


async def _deliver_channel(
    engine: Engine,
    cfg: AlertsConfig,
    name: str,
    jobs: Sequence[Job],
    http: httpx.AsyncClient,
    now: datetime,
    down: dict[str, datetime],
) -> int:
    """Deliver one channel's jobs in order; stop at its first temporary failure."""
    channel = next((c for c in cfg.channels if c.name == name), None)
    delivered = 0
    for i, job in enumerate(jobs):
        if name in down:
            _postpone(engine, [j.alert_id for j in jobs[i:]], down[name])
            break
        try:
            outcome = await _attempt(channel, name, job, http, now)
        except Exception as exc:
            # A bug for one alert is that alert's recorded failure, never a stopped dispatch.
            log.exception("alert delivery failed unexpectedly", extra={"alert_id": job.alert_id})
            outcome = Outcome(ok=False, error=str(UnexpectedError("alerts", exc)))
        outcome.next_at = _record(engine, cfg, job, outcome, now)
        if outcome.ok:
            delivered += 1
        elif not outcome.permanent and outcome.next_at is not None:
            down[name] = outcome.next_at
    return delivered


async def _attempt(
    channel: EmailChannel | WebhookChannel | None,
    name: str,
    job: Job,
    http: httpx.AsyncClient,
    now: datetime,
) -> Outcome:
    loop = asyncio.get_running_loop()
    started = loop.time()
    status: int | None = None
    try:
        if channel is None:
            raise AlertError(
                f"alerts: channel {name!r} is no longer configured; add it back under "
                "alerts.channels, or the alert ends up dead"
            )
        if job.rendered is None:
            raise AlertError(
                job.problem or f"alerts: alert {job.alert_id} has no change to announce",
                permanent=True,
            )
        budget = channel.timeout.total_seconds()
        try:
            async with asyncio.timeout(budget + 1):
                if isinstance(channel, WebhookChannel):
                    status = await webhook.deliver(http, channel, job.rendered, job.key, now=now)
                else:
                    await email.deliver(channel, job.rendered, job.key, now=now)
        except TimeoutError as exc:
            raise AlertError(f"{channel.kind} {name!r}: no answer within {budget:g} s") from exc
    except AlertError as exc:
        return Outcome(
            ok=False,
            status=exc.status,
            error=str(exc),
            permanent=exc.permanent,
            retry_after=exc.retry_after,
            duration_ms=(loop.time() - started) * 1000,
        )
    return Outcome(ok=True, status=status, duration_ms=(loop.time() - started) * 1000)


def _record(
    engine: Engine, cfg: AlertsConfig, job: Job, outcome: Outcome, now: datetime
) -> datetime | None:
    """Store the attempt and the alert's new state; returns the next attempt time, if any."""
    next_at: datetime | None = None
    with session_scope(engine) as s:
        alert = s.get_one(Alert, job.alert_id)
        alert.attempts += 1
        alert.lease_until = None
        s.add(
            AlertAttempt(
                alert_id=job.alert_id,
                at=now,
                ok=outcome.ok,
                status_code=outcome.status,
                error=outcome.error,
            )
        )
        if outcome.ok:
            alert.state, alert.delivered_at, alert.next_attempt_at = "delivered", now, None
            alert.last_error = None
        elif outcome.permanent or alert.attempts >= cfg.max_attempts:
            alert.state, alert.next_attempt_at = "dead", None
            alert.last_error = _dead_error(outcome, alert.attempts)
        else:
            next_at = next_attempt(now, alert.attempts, cfg, outcome.retry_after)
            alert.state, alert.next_attempt_at, alert.last_error = "failed", next_at, outcome.error
        s.add(alert)
        if job.followers and alert.state in ("delivered", "dead"):
            s.connection().execute(
                sa.update(Alert)
                .where(col(Alert.id).in_(job.followers))
                .values(
                    state=alert.state,
                    delivered_at=alert.delivered_at,
                    last_error=alert.last_error,
                )
            )
        state, attempts = alert.state, alert.attempts
    level = logging.INFO if outcome.ok else logging.WARNING
    log.log(
        level,
        "alert %s: %s",
        state,
        outcome.error or "accepted",
        extra={
            "stage": "alerts",
            "alert_id": job.alert_id,
            "channel": job.channel,
            "state": state,
            "attempts": attempts,
            "status": outcome.status,
            "duration_ms": round(outcome.duration_ms, 1),
            "next_attempt_at": next_at.isoformat() if next_at else None,
        },
    )
    return next_at


def _dead_error(outcome: Outcome, attempts: int) -> str:
    """The last error of an alert that will not be tried again: no "will retry" in it."""
    error = (outcome.error or "failed").removesuffix("; will retry")
    if outcome.permanent:
        return error
    return (
        f"{error}; gave up after {attempts} attempts (alerts.max_attempts): fix the receiver, "
        "then `monitor alerts --retry ID`"
    )


def _postpone(engine: Engine, ids: list[int], when: datetime) -> None:
    """Give back claimed alerts that were not attempted, due when their channel is retried."""
    if not ids:
        return
    with session_scope(engine) as s:
        s.connection().execute(
            sa.update(Alert)
            .where(col(Alert.id).in_(ids))
            .values(lease_until=None, next_attempt_at=when)
        )

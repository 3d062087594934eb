"""The alert outbox: alerts are written in the same transaction as the change they announce.

An alert row is one message to one channel. Its ``state`` is one of

- ``pending``: waiting for ``next_attempt_at`` (now, or the end of a digest window);
- ``failed``: the last attempt failed; retried at ``next_attempt_at`` (capped exponential
  back-off, or the receiver's Retry-After);
- ``delivered``: the channel accepted it (``delivered_at``);
- ``dead``: ``max_attempts`` attempts failed, or the channel refused it for good; re-queued only
  by ``monitor alerts --retry ID``;
- ``batched``: part of a digest: it travels in the message of the alert named by ``digest_of``
  and takes that alert's final state.

The ``idempotency_key`` is chosen once, here, and sent with every attempt, so a receiver can
drop the duplicates an at-least-once delivery may produce.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from monitor.alerts.rules import routes
from monitor.config import AlertsConfig
from monitor.errors import MonitorError
from monitor.models import Alert, Change

log = logging.getLogger(__name__)

STATES = ("pending", "failed", "delivered", "dead", "batched")
DUE_STATES = ("pending", "failed")


def enqueue(s: Session, change: Change, cfg: AlertsConfig, *, now: datetime) -> list[int]:
    """Queue one alert per matching rule channel for ``change``; returns the alert ids.

    Runs in the caller's transaction: the alerts commit (or roll back) with the change.
    """
    if change.id is None:
        raise ValueError("enqueue needs a flushed change (with an id)")
    ids: list[int] = []
    for route in routes(change, cfg):
        alert = Alert(
            change_id=change.id,
            channel=route.channel,
            rule=route.rule,
            idempotency_key=str(uuid.uuid4()),
            state="pending",
            next_attempt_at=now,
            created_at=now,
        )
        if route.digest:
            leader = _open_digest(s, route.channel, route.rule, now)
            if leader is None:
                alert.next_attempt_at = now + route.digest
            else:
                alert.state, alert.digest_of, alert.next_attempt_at = "batched", leader.id, None
        s.add(alert)
        s.flush()
        assert alert.id is not None
        ids.append(alert.id)
        log.info(
            "alert queued",
            extra={
                "stage": "alerts",
                "alert_id": alert.id,
                "change_id": change.id,
                "channel": route.channel,
                "fact": change.fact,
                "digest_of": alert.digest_of,
            },
        )
    return ids


def _open_digest(s: Session, channel: str, rule: int, now: datetime) -> Alert | None:
    """The digest of this rule and channel whose window is still open (locked on PostgreSQL)."""
    stmt = (
        select(Alert)
        .where(
            Alert.channel == channel,
            Alert.rule == rule,
            Alert.state == "pending",
            Alert.attempts == 0,
            col(Alert.digest_of).is_(None),
            col(Alert.lease_until).is_(None),
            col(Alert.next_attempt_at) > now,
        )
        .order_by(col(Alert.id))
        .limit(1)
        .with_for_update()
    )
    return s.exec(stmt).first()


def requeue(s: Session, alert_id: int, *, now: datetime) -> Alert:
    """Put a dead or failed alert back in the queue, due now, with its idempotency key.

    Raises :class:`MonitorError` with advice when the alert does not exist or is not re-sendable.
    """
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise MonitorError(
            f"alerts: no alert with id {alert_id}; list them with `monitor alerts --state dead`"
        )
    if alert.state == "batched" or (alert.digest_of is not None and alert.state == "dead"):
        raise MonitorError(
            f"alerts: alert {alert_id} travels in digest alert {alert.digest_of}; "
            f"run `monitor alerts --retry {alert.digest_of}` instead"
        )
    if alert.state == "delivered":
        raise MonitorError(
            f"alerts: alert {alert_id} was delivered at {alert.delivered_at:%Y-%m-%d %H:%M} UTC; "
            "there is nothing to retry"
        )
    if alert.state == "pending":
        raise MonitorError(
            f"alerts: alert {alert_id} is already queued; `monitor alerts --dispatch` sends "
            "due alerts now"
        )
    alert.state, alert.attempts, alert.next_attempt_at, alert.lease_until = "pending", 0, now, None
    s.add(alert)
    for follower in s.exec(select(Alert).where(Alert.digest_of == alert_id)).all():
        if follower.state == "dead":
            follower.state = "batched"
            s.add(follower)
    s.flush()
    log.info(
        "alert re-queued",
        extra={"stage": "alerts", "alert_id": alert_id, "channel": alert.channel},
    )
    return alert

"""Giving back the leases of a failed pass, so its work is due again at once (issue 10).

Every claim of a pass leases its rows until ``now + LEASE`` (feeds and articles) or
``now + alerts LEASE`` (alerts), with the pass's own ``now``: that timestamp identifies the
pass's leases without a column of its own. Rows another process claimed carry another.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from monitor.models import Alert, Article, Feed
from monitor.store.engine import session_scope
from monitor.store.feeds import LEASE

log = logging.getLogger(__name__)


def release_leases(engine: Engine, passes: list[datetime]) -> None:
    """Clear the leases taken by the passes that ran at ``passes``; those given back are
    removed from the list. A database that still fails keeps them for a later call."""
    if not passes:
        return
    from monitor.alerts.dispatch import LEASE as ALERT_LEASE

    try:
        with session_scope(engine) as s:
            for table, lease in ((Feed, LEASE), (Article, LEASE), (Alert, ALERT_LEASE)):
                until = [now + lease for now in passes]
                s.execute(
                    sa.update(table)
                    .where(col(table.lease_until).in_(until))
                    .values(lease_until=None)
                )
    except sa.exc.SQLAlchemyError as exc:
        log.warning(
            "leases of a failed pass not given back yet: %s",
            exc.__class__.__name__,
            extra={"stage": "store", "passes": len(passes)},
        )
        return
    passes.clear()

"""``monitor alerts``: list the outbox, re-queue dead alerts, deliver due alerts now."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.alerts.outbox import STATES
from monitor.commands import print_json, print_table
from monitor.display import when_text, zone
from monitor.query import iso

if TYPE_CHECKING:
    from rich.table import Table


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this module's sub-commands to the ``monitor`` parser."""
    p = sub.add_parser(
        "alerts",
        help="list alerts (state, channel, attempts, last error); --retry ID; --dispatch",
    )
    p.add_argument("--state", choices=STATES, help="only alerts in this state")
    p.add_argument("--channel", help="only alerts of this channel (its name)")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default: 100)")
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for reading (default) or json for scripts",
    )
    p.add_argument(
        "--retry",
        type=int,
        action="append",
        metavar="ID",
        help="re-queue a dead or failed alert (same idempotency key); repeatable",
    )
    p.add_argument(
        "--dispatch", action="store_true", help="deliver every due alert now, then list them"
    )
    p.set_defaults(func=_cmd_alerts)


def _cmd_alerts(args: argparse.Namespace) -> int:
    from monitor.app import open_app

    app = open_app(args.config)
    try:
        if args.retry:
            _retry(app, args.retry, dispatching=args.dispatch)
        if args.dispatch:
            _dispatch(app)
        _list(app, args)
    finally:
        app.close()
    return 0


def _retry(app: Any, ids: list[int], *, dispatching: bool) -> None:
    from monitor.alerts.outbox import requeue
    from monitor.store import session_scope

    now = datetime.now(UTC)
    with session_scope(app.engine) as s:
        for alert_id in ids:
            alert = requeue(s, alert_id, now=now)
            sys.stderr.write(
                f"alert {alert_id} ({alert.channel}) re-queued with its idempotency key"
                + ("" if dispatching else "; `monitor alerts --dispatch` sends it now")
                + "\n"
            )


def _dispatch(app: Any) -> None:
    import asyncio

    from monitor.alerts.dispatch import dispatch_due
    from monitor.fetch import build_client

    async def run() -> int:
        client = build_client(app.settings.fetch)
        try:
            return await dispatch_due(app.engine, app.settings, now=datetime.now(UTC), http=client)
        finally:
            await client.aclose()

    if not app.settings.alerts.channels:
        sys.stderr.write("no alert channels configured (alerts.channels in the config file)\n")
    delivered = asyncio.run(run())
    sys.stderr.write(f"delivered {delivered} alert(s)\n")


def _list(app: Any, args: argparse.Namespace) -> None:
    import sqlalchemy as sa
    from sqlmodel import Session, col, select

    from monitor.models import Alert, AlertAttempt, Change

    tries = (
        select(AlertAttempt.alert_id, sa.func.count().label("n"))
        .group_by(col(AlertAttempt.alert_id))
        .subquery()
    )
    stmt = (
        select(Alert, Change, tries.c.n)
        .join(Change, col(Change.id) == col(Alert.change_id), isouter=True)
        .join(tries, tries.c.alert_id == col(Alert.id), isouter=True)
    )
    if args.state:
        stmt = stmt.where(Alert.state == args.state)
    if args.channel:
        stmt = stmt.where(Alert.channel == args.channel)
    stmt = stmt.order_by(col(Alert.id).desc()).limit(args.limit)
    with Session(app.engine) as s:
        rows = s.exec(stmt).all()
    records: list[dict[str, Any]] = [
        {
            "id": a.id,
            "state": a.state,
            "channel": a.channel,
            "attempts": n or 0,
            "last_error": a.last_error,
            "fact": c.fact if c else None,
            "qualifier": (c.qualifier or c.term) if c else None,
            "kind": c.kind if c else None,
            "change_id": a.change_id,
            "digest_of": a.digest_of,
            "idempotency_key": a.idempotency_key,
            "created": iso(a.created_at),
            "next_attempt": iso(a.next_attempt_at),
            "delivered": iso(a.delivered_at),
        }
        for a, c, n in rows
    ]
    if args.format == "json":
        print_json(records)
        return
    tz = zone(app.settings.display.timezone)
    if not records:
        which = f" in state {args.state!r}" if args.state else ""
        sys.stdout.write(f"no alerts{which}\n")
        return
    print_table(
        ["id", "state", "channel", "tries", "fact", "kind", "created", "next / delivered", "error"],
        [
            [
                r["id"],
                r["state"] + (f" (in #{r['digest_of']})" if r["digest_of"] else ""),
                r["channel"],
                r["attempts"],
                (r["fact"] or "") + (f" [{r['qualifier']}]" if r["qualifier"] else ""),
                r["kind"],
                when_text(r["created"], tz),
                when_text(r["delivered"] or r["next_attempt"], tz),
                r["last_error"] or "",
            ]
            for r in records
        ],
        width=160,  # piped: one full line per alert, for grep
        shape=_one_line,
    )


def _one_line(table: Table) -> None:
    """One line per alert: long errors are cut (``--format json`` has them whole)."""
    for column in table.columns:
        column.no_wrap, column.overflow = True, "ellipsis"
        column.min_width = min(len(str(column.header)), 8)
    table.columns[-1].max_width = 48

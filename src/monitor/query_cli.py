"""Sub-commands over the fact history: ``facts``, ``history FACT`` and ``changes``.

``--format json`` prints the shapes of :mod:`monitor.query` (documented in the README);
``csv`` prints one line per piece of evidence; ``table`` goes through a pager when stdout is a
terminal and the table is taller than it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from monitor.commands import print_table
from monitor.display import key_label, value_text, when_text, zone
from monitor.query import (
    ChangeJSON,
    EvidenceJSON,
    FactJSON,
    VersionJSON,
    parse_since,
    parse_time,
)

FORMATS = ("table", "json", "csv")
FORMAT_HELP = "table for reading (default), json for scripts, csv for spreadsheets"
EVIDENCE_SHOWN = 3
HISTORY_COLUMNS = [
    *("key", "value", "state", "status", "sources"),
    *("valid from", "valid until", "first seen", "evidence"),
]


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``facts``, ``history`` and ``changes`` to the ``monitor`` parser."""
    p = sub.add_parser("facts", help="current value of every tracked fact, with status and sources")
    p.add_argument("--as-of", type=_time, help="what the monitor believed at this date/time")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.set_defaults(func=_cmd_facts)

    p = sub.add_parser("history", help="every version of one fact, with its evidence")
    p.add_argument("fact", metavar="FACT", help="fact id, e.g. force.troops (see `monitor facts`)")
    p.add_argument("--qualifier", metavar="Q", help="only this qualifier or term, e.g. France")
    p.add_argument(
        "--since",
        type=_since,
        metavar="WHEN",
        help="only versions still in effect at or after WHEN (a date, 2d, 36h, yesterday)",
    )
    p.add_argument("--as-of", type=_time, help="the history as the monitor knew it at DATE")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("changes", help="recorded changes, newest first, with their evidence")
    p.add_argument(
        "--since",
        type=_since,
        metavar="WHEN",
        help="only changes recorded at or after WHEN (a date, 2d, 36h, yesterday)",
    )
    p.add_argument("--fact", metavar="GLOB", help="only facts matching this glob, e.g. 'force.*'")
    p.add_argument("--limit", type=_positive, default=None, help="at most this many")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.set_defaults(func=_cmd_changes)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)


def _since(value: str) -> str:
    # Checked now, read in the command once display.timezone is known ("yesterday" is local).
    try:
        parse_since(value, now=datetime.now(UTC))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


def _when(value: str | None, tz: tzinfo) -> datetime | None:
    return None if value is None else parse_since(value, now=datetime.now(UTC), tz=tz)


def _time(value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _cmd_facts(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from monitor import query
    from monitor.app import open_app

    with open_app(args.config) as app, Session(app.engine) as s:
        rows = query.facts(s, as_of=args.as_of, cfg=app.settings.history)
        tz = zone(app.settings.display.timezone)
    if args.format == "json":
        return _emit(args.format, rows, FactJSON)
    if args.format == "csv":
        # Disputing claims get their own lines (their state column says "disputed").
        return _emit(args.format, [v for r in rows for v in (r, *r["disputed_by"])], VersionJSON)
    if not rows and args.as_of is not None:
        sys.stdout.write(
            f"no fact had a value yet at {when_text(args.as_of, tz)}; "
            "try a later --as-of, or none for today's values\n"
        )
        return 0
    if not rows:
        sys.stdout.write("no fact has a value yet; run `monitor poll --once` or `monitor demo`\n")
        return 0
    _table(
        ["fact", "value", "status", "sources", "since", "evidence"],
        [
            [
                key_label(r["fact"], r["qualifier"], r["term"]),
                value_text(r["value"])
                + "".join(f"\ndisputed: {value_text(d['value'])}" for d in r["disputed_by"]),
                r["status"],
                r["sources"],
                when_text(r["valid_from"], tz),
                _evidence_cell(r["evidence"], tz),
            ]
            for r in rows
        ],
    )
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from monitor import query
    from monitor.app import open_app

    with open_app(args.config) as app, Session(app.engine) as s:
        rows = query.history(
            s,
            args.fact,
            qualifier=args.qualifier,
            since=_when(args.since, zone(app.settings.display.timezone)),
            as_of=args.as_of,
            cfg=app.settings.history,
        )
        tz = zone(app.settings.display.timezone)
    if args.format != "table":
        return _emit(args.format, rows, VersionJSON)
    if not rows:
        sys.stdout.write(f"{args.fact}: no versions match; try without --since/--as-of\n")
        return 0
    _table(
        HISTORY_COLUMNS,
        [
            [
                key_label(r["fact"], r["qualifier"], r["term"]),
                value_text(r["value"]),
                r["state"],
                r["status"],
                r["sources"],
                when_text(r["valid_from"], tz),
                when_text(r["valid_until"], tz),
                when_text(r["first_seen"], tz),
                _evidence_cell(r["evidence"], tz),
            ]
            for r in rows
        ],
    )
    return 0


def _cmd_changes(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from monitor import query
    from monitor.app import open_app

    with open_app(args.config) as app, Session(app.engine) as s:
        since = _when(args.since, zone(app.settings.display.timezone))
        rows, _total = query.changes(s, since=since, fact=args.fact, limit=args.limit)
        tz = zone(app.settings.display.timezone)
    if args.format != "table":
        return _emit(args.format, rows, ChangeJSON)
    if not rows:
        sys.stdout.write("no changes recorded match\n")
        return 0
    _table(
        ["decided", "published", "fact", "kind", "old → new", "alert", "evidence"],
        [
            [
                when_text(r["decided"], tz),
                when_text(r["published"], tz),
                key_label(r["fact"], r["qualifier"], r["term"]),
                r["kind"],
                f"{value_text(r['old'])} → {value_text(r['new'])}",
                "yes" if r["alert"] else "",
                _evidence_cell([r["evidence"]] if r["evidence"] else [], tz),
            ]
            for r in rows
        ],
    )
    return 0


def _emit(fmt: str, rows: Sequence[Mapping[str, Any]], shape: type[Any]) -> int:
    if fmt == "json":
        json.dump(list(rows), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _csv(rows, shape)
    return 0


def _csv(rows: Sequence[Mapping[str, Any]], shape: type[Any]) -> None:
    """One line per piece of evidence (an item without evidence still gets one line)."""
    fields = [k for k in shape.__annotations__ if k not in ("evidence", "disputed_by")]
    ev_keys = list(EvidenceJSON.__annotations__)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(fields + [f"evidence_{k}" for k in ev_keys])
    for row in rows:
        base = [_cell(row[k]) for k in fields]
        evidence = row.get("evidence")
        items = evidence if isinstance(evidence, list) else [evidence] if evidence else []
        for ev in items or [None]:
            writer.writerow(base + [_cell(ev[k]) if ev else "" for k in ev_keys])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _evidence_cell(evidence: Sequence[EvidenceJSON], tz: tzinfo) -> str:
    lines = [
        f"{e['outlet'] or '?'} (article {e['article']}, "
        f"{when_text(e['published'], tz, empty='undated')}): "
        f"“{e['quote']}”\n  {e['url']}"
        for e in evidence[:EVIDENCE_SHOWN]
    ]
    if len(evidence) > EVIDENCE_SHOWN:
        lines.append(f"+{len(evidence) - EVIDENCE_SHOWN} more (--format json)")
    return "\n".join(lines)


def _table(columns: list[str], rows: list[list[Any]]) -> None:
    # Piped: do not wrap to a made-up 80 columns.
    print_table(columns, rows, width=240)

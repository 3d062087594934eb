"""Sub-commands of the pipeline: ``poll``, ``run``, ``feeds``, ``articles``, ``article``, ``db``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.config import parse_duration
from monitor.display import when_text, zone
from monitor.errors import MonitorError
from monitor.query import iso

if TYPE_CHECKING:
    from rich.table import Table


def _add_workers(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="extraction processes, at a lower CPU priority (default: one per core)",
    )


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the pipeline's sub-commands to the ``monitor`` parser."""
    p = sub.add_parser("poll", help="one pass over due feeds and articles (with --once)")
    p.add_argument(
        "--once",
        action="store_true",
        help="do one pass over due work and exit (without it: like `monitor run`)",
    )
    p.add_argument(
        "--now",
        type=_when,
        default=None,
        help="pretend the current time is this ISO time (replays, tests)",
    )
    _add_workers(p)
    p.set_defaults(func=_cmd_poll)

    p = sub.add_parser("run", help="run the scheduled service until SIGTERM/SIGINT")
    p.add_argument(
        "--tick",
        type=parse_duration,
        default=parse_duration("60s"),
        help="how often due work is looked for (default: 60s)",
    )
    _add_workers(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "feeds",
        help="list feeds: enabled, disabled, removed from the config or new, and polling state",
    )
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for reading (default) or json for scripts",
    )
    p.set_defaults(func=_cmd_feeds)

    p = sub.add_parser("articles", help="list stored articles, newest first")
    p.add_argument("--feed", help="only articles listed by this feed (its name)")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for reading (default) or json for scripts",
    )
    p.set_defaults(func=_cmd_articles)

    p = sub.add_parser("article", help="show one article, its versions, or a diff of two")
    p.add_argument("id", type=int, help="article id (see `monitor articles`)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--versions", action="store_true", help="list the stored versions")
    g.add_argument(
        "--diff",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="unified diff of the text of versions A and B",
    )
    g.add_argument("--text", type=int, metavar="N", help="print the text of version N")
    g.add_argument("--html", type=int, metavar="N", help="print the stored raw HTML of version N")
    p.set_defaults(func=_cmd_article)

    p = sub.add_parser(
        "db", help="database schema: upgrade, show the current revision, or check it (health)"
    )
    p.add_argument(
        "action",
        choices=("upgrade", "current", "check"),
        help="check: exit 0 if the database is reachable and at this version's schema, else 1",
    )
    p.set_defaults(func=_cmd_db)


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO time like 2025-09-04T12:00Z"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _cmd_poll(args: argparse.Namespace) -> int:
    if not args.once:
        return _cmd_run(argparse.Namespace(**vars(args), tick=parse_duration("60s")))
    from monitor.app import open_app
    from monitor.pipeline import open_runtime, poll_once

    app = open_app(args.config)

    async def one_pass(progress: Any) -> Any:
        async with open_runtime(app, workers=args.workers) as rt:
            return await poll_once(
                app,
                rt.fetcher,
                now=args.now or datetime.now(UTC),
                pool=rt.pool,
                progress=progress,
            )

    try:
        with _progress_bar("articles") as progress:
            report = asyncio.run(one_pass(progress))
    finally:
        app.close()
    sys.stdout.write(
        f"feeds checked {report.feeds_checked} (unchanged {report.feeds_not_modified}, "
        f"failed {report.feeds_failed}); articles new {report.articles_new}, "
        f"checked {report.articles_checked}, failed {report.articles_failed}; "
        f"new versions {report.versions_new}, observations {report.observations_new}, "
        f"changes {report.changes_new}, alerts delivered {report.alerts_delivered}\n"
    )
    if report.network_down:
        sys.stderr.write("monitor: every feed failed with a network error; check connectivity\n")
        return 1
    return 0


@contextlib.contextmanager
def _progress_bar(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _cmd_run(args: argparse.Namespace) -> int:
    from monitor.app import open_app
    from monitor.service import run_service

    app = open_app(args.config)
    try:
        asyncio.run(run_service(app, tick=args.tick, workers=args.workers))
    finally:
        app.close()
    return 0


def print_table(
    columns: list[str],
    rows: list[list[Any]],
    *,
    width: int | None = None,
    shape: Callable[[Table], None] | None = None,
) -> None:
    """A table on stdout, every cell plain text (never rich markup: keys like
    ``guarantee.terms [us_backstop]`` print as they are); ``shape`` may set the columns up.

    On a terminal, a table taller than the screen goes through the pager ($PAGER); piped, it
    never pages and is laid out as wide as its widest line, so nothing is cut off (``width``
    is a floor).
    """
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, box=None, pad_edge=False)
    if shape is not None:
        shape(table)
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console = Console()
    if not console.is_terminal:
        wide = Console(width=1_000_000, soft_wrap=False)
        natural = Measurement.get(wide, wide.options, table).maximum
        Console(width=max(natural, width or 0), soft_wrap=False).print(table)
        return
    with console.capture() as capture:
        console.print(table)
    text = capture.get()
    if text.count("\n") > console.height:
        # Bold headers only when the pager shows colours (less -R); otherwise plain text.
        with console.pager(styles="R" in os.environ.get("LESS", "").upper()):
            console.print(table)
    else:
        sys.stdout.write(text)


def print_json(records: list[dict[str, Any]]) -> None:
    """``records`` as indented JSON on stdout."""
    json.dump(records, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _cmd_feeds(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from monitor.app import open_app
    from monitor.models import Feed

    with open_app(args.config) as app:
        with Session(app.engine) as s:
            feeds = s.exec(select(Feed).order_by(Feed.name)).all()
        tz = zone(app.settings.display.timezone)
        configured = app.settings.feeds_by_name
        records: list[dict[str, Any]] = [
            {
                "name": f.name,
                "url": f.url,
                "enabled": f.enabled,
                "state": _feed_state(f.name, f.enabled, configured),
                "last_check": iso(f.last_checked_at),
                "next_check": iso(f.next_check_at),
                "last_status": f.last_status,
                "outcome": f.last_outcome,
                "error_count": f.error_count,
                "error": f.error_message,
                "entries_seen": f.entries_seen,
            }
            for f in feeds
        ]
        known = {f.name for f in feeds}
        records += [
            {"name": c.name, "url": c.url, "enabled": c.enabled, "state": "new"}
            | dict.fromkeys(("last_check", "next_check", "last_status", "outcome", "error"))
            | {"error_count": 0, "entries_seen": 0}
            for c in app.settings.feeds
            if c.name not in known
        ]
        if args.format == "json":
            print_json(records)
        elif not records:
            sys.stdout.write("no feeds configured; add some under feeds: in the config\n")
        else:
            print_table(
                [
                    "feed",
                    "state",
                    "last check",
                    "next check",
                    "status",
                    "errors",
                    "entries",
                    "last error",
                ],
                [
                    [
                        r["name"],
                        r["state"],
                        when_text(r["last_check"], tz, empty="never"),
                        when_text(r["next_check"], tz),
                        r["last_status"] or r["outcome"],
                        r["error_count"],
                        r["entries_seen"],
                        r["error"] or "",
                    ]
                    for r in records
                ],
            )
        return 0


def _feed_state(name: str, enabled: bool, configured: dict[str, Any]) -> str:
    """``enabled``, ``disabled`` (``enabled: false`` in the config) or ``removed`` (no longer in
    the config: kept with its articles, never polled)."""
    if name not in configured:
        return "removed"
    return "enabled" if enabled else "disabled"


def _cmd_articles(args: argparse.Namespace) -> int:
    from sqlmodel import Session, col, select

    from monitor.app import open_app
    from monitor.models import Article, Feed, FeedEntry

    with open_app(args.config) as app:
        with Session(app.engine) as s:
            stmt = select(Article)
            if args.feed:
                feed = s.exec(select(Feed).where(Feed.name == args.feed)).first()
                if feed is None:
                    raise MonitorError(
                        f"articles: no feed named {args.feed!r}; see `monitor feeds`"
                    )
                stmt = stmt.join(FeedEntry, col(FeedEntry.article_id) == col(Article.id)).where(
                    FeedEntry.feed_id == feed.id
                )
            stmt = stmt.order_by(col(Article.first_seen_at).desc(), col(Article.id).desc())
            rows = s.exec(stmt.limit(args.limit)).all()
        tz = zone(app.settings.display.timezone)
        records: list[dict[str, Any]] = [
            {
                "id": a.id,
                "title": a.title,
                "outlet": a.outlet,
                "url": a.url,
                "published": iso(a.published_at),
                "first_seen": iso(a.first_seen_at),
                "versions": a.version_count,
                "last_status": a.last_status,
                "error": a.error_message,
            }
            for a in rows
        ]
        if args.format == "json":
            print_json(records)
        else:
            print_table(
                ["id", "published", "outlet", "versions", "title"],
                [
                    [
                        r["id"],
                        when_text(r["published"], tz, empty="undated"),
                        r["outlet"],
                        r["versions"],
                        r["title"] or r["url"],
                    ]
                    for r in records
                ],
            )
        return 0


def _cmd_article(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from monitor.app import open_app
    from monitor.models import Article, ArticleVersion

    with open_app(args.config) as app:
        with Session(app.engine) as s:
            article = s.get(Article, args.id)
            if article is None:
                raise MonitorError(f"article: no article with id {args.id}; see `monitor articles`")
            versions = {
                v.number: v
                for v in s.exec(
                    select(ArticleVersion).where(ArticleVersion.article_id == args.id)
                ).all()
            }

        def version(n: int) -> ArticleVersion:
            if n not in versions:
                known = sorted(versions) or "none"
                raise MonitorError(f"article {args.id}: no version {n}; it has versions {known}")
            return versions[n]

        out = sys.stdout
        tz = zone(app.settings.display.timezone)
        if args.diff:
            a, b = (version(n) for n in args.diff)
            out.writelines(
                difflib.unified_diff(
                    a.text.splitlines(keepends=True),
                    b.text.splitlines(keepends=True),
                    fromfile=f"article {args.id} version {a.number} ({iso(a.fetched_at)})",
                    tofile=f"article {args.id} version {b.number} ({iso(b.fetched_at)})",
                )
            )
        elif args.text is not None:
            out.write(version(args.text).text + "\n")
        elif args.html is not None:
            from monitor.extract import decompress_html

            raw = version(args.html).raw_html_z
            out.write(decompress_html(raw).decode("utf-8", "replace") if raw else "")
        else:
            out.write(
                f"article {article.id}: {article.title or '(no title)'}\n  {article.url}\n"
                f"  outlet {article.outlet}, "
                f"published {when_text(article.published_at, tz, empty='undated')}, "
                f"first seen {when_text(article.first_seen_at, tz)}, "
                f"next check {when_text(article.next_check_at, tz, empty='none')}\n"
            )
            if args.versions or versions:
                print_table(
                    ["version", "fetched", "chars", "hash", "title"],
                    [
                        [
                            v.number,
                            when_text(v.fetched_at, tz),
                            f"{len(v.text):,}",
                            v.content_hash[:12],
                            v.title,
                        ]
                        for v in sorted(versions.values(), key=lambda v: v.number)
                    ],
                )
        return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from alembic import command

    from monitor.app import open_app
    from monitor.store import alembic_config

    with open_app(args.config, migrate_schema=args.action == "upgrade") as app:
        if args.action == "check":
            from monitor.store import head_revision, schema_problem

            problem = schema_problem(app.engine, head_revision())
            sys.stdout.write(f"database: {problem or 'ok'}\n")
            return 0 if problem is None else 1
        if args.action == "current":
            command.current(alembic_config(app.engine), verbose=False)
        else:
            sys.stdout.write("database schema is up to date\n")
        return 0

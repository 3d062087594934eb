"""``monitor demo``: the whole pipeline over the bundled sample corpus, offline.

A local server on 127.0.0.1 replays five sample outlets over ten weeks; the demo moves a
simulated clock through those weeks one step at a time and runs the same :func:`poll_once` as the
service at each step, into the embedded SQLite database ``db/demo.sqlite`` (fresh each run). It
prints every change the monitor records, with the sentence that shows it, then the current facts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session, col, select

from monitor.app import App
from monitor.config import Defaults, FeedConfig, FetchLimits, Settings, load_settings
from monitor.display import stored_text
from monitor.models import Article, ArticleVersion, Change, FactVersion, Observation
from monitor.sample import Corpus, SampleServer, load_corpus
from monitor.store import create_db_engine, migrate

STEP = timedelta(hours=12)
# The module docstring in words for a terminal (no Sphinx markup).
DESCRIPTION = """\
Run the whole pipeline over the bundled sample corpus, offline.

A local server on 127.0.0.1 replays five sample outlets over ten weeks; the demo moves a
simulated clock through those weeks one step at a time and runs the same polling pass as the
service at each step, into the embedded SQLite database db/demo.sqlite (fresh each run). It
prints every change the monitor records, with the sentence that shows it, then the current
facts. Look at them in a browser afterwards with `monitor serve` (see README, "Web pages")."""


def demo_settings(settings: Settings, server: SampleServer, corpus: Corpus, db: Path) -> Settings:
    """The user's fact definitions and history policy, with the sample feeds and no channels."""
    feeds = tuple(
        FeedConfig(name=o.id, url=server.feed_url(o), outlet=o.name, interval=STEP)
        for o in corpus.outlets
    )
    return settings.model_copy(
        update={
            "database_url": f"sqlite:///{db}",
            "feeds": feeds,
            "defaults": Defaults(interval=STEP, min_interval=timedelta(minutes=1), jitter=0.0),
            "fetch": FetchLimits(
                allow_networks=("127.0.0.0/8",), per_host_delay=timedelta(0), concurrency=8
            ),
            "alerts": settings.alerts.model_copy(update={"channels": (), "rules": ()}),
        }
    )


async def replay(app: App, corpus: Corpus, clock: list[datetime], out: TextIO) -> int:
    """Step the clock through the corpus, polling at each step; return the changes recorded."""
    from monitor.pipeline import open_runtime, poll_once

    end = corpus.stories[-1].published + timedelta(days=3)
    total = 0
    async with open_runtime(app, workers=1) as rt:
        while clock[0] <= end:
            report = await poll_once(app, rt.fetcher, now=clock[0], pool=rt.pool, dispatch=False)
            if report.changes_new:
                total += report.changes_new
                _print_changes(app, clock[0], out)
            clock[0] += STEP
    return total


def _print_changes(app: App, now: datetime, out: TextIO) -> None:
    with Session(app.engine) as s:
        rows = s.exec(
            select(Change, Observation, Article)
            .join(Observation, col(Observation.id) == col(Change.observation_id))
            .join(ArticleVersion, col(ArticleVersion.id) == col(Observation.version_id))
            .join(Article, col(Article.id) == col(ArticleVersion.article_id))
            .where(Change.decided_at == now)
            .order_by(col(Change.id))
        ).all()
    for change, obs, article in rows:
        what = change.fact + "".join(f" [{x}]" for x in (change.qualifier, change.term) if x)
        mark = "ALERT" if change.alert else "     "
        out.write(
            f"{now:%Y-%m-%d %H:%M}  {mark} {change.kind:<12} {what}: "
            f"{stored_text(change.old_json)} → {stored_text(change.new_json)}  ({article.outlet})\n"
            f"{'':19}“{obs.sentence.strip()}”\n"
        )


def _print_facts(app: App, out: TextIO) -> None:
    with Session(app.engine) as s:
        rows = s.exec(
            select(FactVersion)
            .where(col(FactVersion.state).in_(("current", "disputed")))
            .order_by(col(FactVersion.fact), col(FactVersion.term), col(FactVersion.qualifier))
        ).all()
    out.write("\nCurrent facts:\n")
    for row in rows:
        what = row.fact + "".join(f" [{x}]" for x in (row.qualifier, row.term) if x)
        flag = "disputed claim" if row.state == "disputed" else row.status
        out.write(
            f"  {what:<42} {stored_text(row.value_json):<16} {flag}, {row.sources} source(s)\n"
        )


def run_demo(config: Path, db: Path, out: TextIO) -> int:
    """Run the demo; return the number of changes recorded."""
    corpus = load_corpus()
    clock = [corpus.stories[0].published - STEP]
    with SampleServer(corpus, lambda: clock[0]) as server:
        db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        settings = demo_settings(load_settings(config), server, corpus, db)
        engine = create_db_engine(settings.database_url)
        migrate(engine)
        app = App(settings=settings, engine=engine, config_path=config)
        try:
            out.write(
                f"Replaying {len(corpus.stories)} sample articles from {len(corpus.outlets)} "
                f"outlets ({server.base}) into {db}\n\n"
            )
            total = asyncio.run(replay(app, corpus, clock, out))
            _print_facts(app, out)
            with Session(engine) as s:
                versions = len(s.exec(select(ArticleVersion.id)).all())
            out.write(
                f"\n{total} decisions recorded from {versions} article versions. Explore them:\n"
                f"  MONITOR_DATABASE_URL=sqlite:///{db} monitor changes\n"
                f"  MONITOR_DATABASE_URL=sqlite:///{db} monitor history coalition.countries\n"
                f"  MONITOR_DATABASE_URL=sqlite:///{db} monitor serve   "
                "# then open http://127.0.0.1:8080/ in a browser\n"
            )
        finally:
            engine.dispose()
    return total


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``monitor demo``."""
    p = sub.add_parser(
        "demo",
        help="replay the bundled sample feeds offline through the whole pipeline",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db",
        type=Path,
        default=Path("db/demo.sqlite"),
        help="SQLite file to (re)create (default: db/demo.sqlite)",
    )
    p.set_defaults(func=_cmd_demo, quiet_level="warning")


def _cmd_demo(args: argparse.Namespace) -> int:
    run_demo(Path(args.config), args.db.resolve(), sys.stdout)
    return 0

"""Several real `monitor` processes on one PostgreSQL database share the work.

They start at the same instant on an empty schema (so they race to migrate and to sync the feed
list), and must fetch every feed and page exactly once between them (counted from the loopback
server's own log), finish all the work, and record the same fact history as one worker does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config import load_settings
from tests.conftest import PG_URL, REPO
from tests.servers import LocalServer, Route, page, rss

NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
FEEDS = 24
ITEMS = 5
# One story told by every feed over the days before NOW: the figure moves, outlets disagree,
# and late reports restate old figures, so the order of decisions shows in the history.
FIGURES = [26, 26, 27, 26, 30, 30, 31, 26, 35, 35, 31, 35]


def _story(i: int) -> str:
    n = FIGURES[i % len(FIGURES)]
    return f"{n} countries pledged to deploy troops to Ukraine after a ceasefire, officials said."


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        for f in range(FEEDS):
            items = []
            for k in range(ITEMS):
                n = f * ITEMS + k
                published = NOW - timedelta(days=10) + timedelta(minutes=37 * n)
                path = f"/news/{f}/{k}"
                paras = ["Leaders met in Paris on Thursday to discuss security guarantees."]
                if n % 2 == 0:
                    paras.append(_story(n // 2))
                paras.append("The talks continue next week, a spokesperson said in a statement.")
                srv.routes[path] = Route(
                    body=page(f"Report {n}", paras, date=published.date().isoformat()),
                    etag=f'"p{n}"',
                )
                items.append(
                    {
                        "title": f"Report {n}",
                        "link": srv.url(path),
                        "date": format_datetime(published),
                    }
                )
            srv.routes[f"/feed/{f}.xml"] = Route(
                body=rss(items), content_type="application/rss+xml", etag=f'"f{f}"'
            )
        yield srv


@pytest.fixture
def pg_schema() -> Iterator[Any]:
    """A factory of empty PostgreSQL schemas (nothing migrated), dropped at the end."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    made: list[str] = []

    def make() -> str:
        schema = f"w_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for schema in made:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _config(tmp: Path, srv: LocalServer) -> Path:
    repo = load_settings(REPO / "feeds.yaml")
    doc = {
        "defaults": {"interval": "30m", "min_interval": "1m", "jitter": 0},
        "fetch": {
            "allow_networks": ["127.0.0.0/8"],
            "per_host_delay": "0s",
            "per_host_concurrency": 8,
            "timeout": "10s",
            "respect_robots": False,
        },
        "feeds": [
            {"name": f"feed-{f}", "url": srv.url(f"/feed/{f}.xml"), "outlet": f"outlet-{f % 6}"}
            for f in range(FEEDS)
        ],
        "facts": [f.model_dump(mode="json", exclude_defaults=True) for f in repo.facts],
    }
    path = tmp / "feeds.yaml"
    path.write_text(json.dumps(doc))
    return path


def _run_workers(
    n: int, config: Path, url: str, tmp: Path
) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "MONITOR_DATABASE_URL": url}
    exe = str(Path(sys.executable).with_name("monitor"))
    cmd = [
        exe,
        "--config",
        str(config),
        "poll",
        "--once",
        "--now",
        NOW.isoformat(),
        "--workers",
        "1",
    ]
    # Started back to back, before any has imported anything: they meet at the migration.
    procs = [
        subprocess.Popen(
            cmd, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=240)
        out.append(subprocess.CompletedProcess(cmd, p.returncode, stdout, stderr))
    return out


def _history(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text(
                        "SELECT c.fact, c.qualifier, c.term, c.kind, c.old_json, c.new_json, "
                        "a.url, c.published_at, c.alert FROM changes c "
                        "JOIN articles a ON a.id = c.article_id ORDER BY c.id"
                    )
                )
            ]
    finally:
        engine.dispose()


def _work_left(url: str) -> tuple[int, int, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(
                    sa.text("SELECT count(*) FROM feeds WHERE last_checked_at IS NULL")
                ).scalar_one(),
                conn.execute(
                    sa.text("SELECT count(*) FROM articles WHERE version_count = 0")
                ).scalar_one(),
                conn.execute(
                    sa.text("SELECT count(*) FROM article_versions WHERE decided_at IS NULL")
                ).scalar_one(),
            )
    finally:
        engine.dispose()


def test_workers_share_the_work_without_duplicates_and_agree_with_one_worker(
    site: LocalServer, pg_schema: Any, tmp_path: Path
) -> None:
    config = _config(tmp_path, site)
    histories = {}
    for n in (1, 4):
        site.requests.clear()
        url = pg_schema()
        results = _run_workers(n, config, url, tmp_path)
        for r in results:
            assert r.returncode == 0, r.stderr[-3000:]
        paths = [r.path for r in site.requests]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        assert dupes == [], f"{n} workers fetched {len(dupes)} paths twice: {dupes[:5]}"
        assert len(paths) == FEEDS * (ITEMS + 1), "every feed and page once"
        assert _work_left(url) == (0, 0, 0), "feeds unchecked, pages unread or undecided"
        if n > 1:
            # Each worker did a share of the pages, not one worker all of them.
            shares = [int(r.stdout.split("checked ")[2].split(",")[0]) for r in results]
            assert sum(shares) == FEEDS * ITEMS
            assert sum(1 for s in shares if s > 0) >= 2, shares
        histories[n] = _history(url)
    assert histories[1], "the story made no changes: the test would prove nothing"
    assert histories[4] == histories[1]

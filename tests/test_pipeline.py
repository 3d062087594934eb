"""The pipeline end to end: a local server, real SQLite/PostgreSQL, the CLI and the Python API."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
import trafilatura
from sqlmodel import Session, select

from monitor.app import App
from monitor.cli import main
from monitor.config import load_settings
from monitor.extract import OPTIONS
from monitor.models import Article, ArticleVersion, Feed, FeedEntry, Observation
from monitor.pipeline import PollReport, open_runtime, poll_once, refresh_feeds
from monitor.store import create_db_engine, migrate
from monitor.store.articles import content_hash
from tests.conftest import REPO, SHARED
from tests.corpus import aeb_pages, aeb_truth, token_f1
from tests.servers import LocalServer, Route, page, rss, wait_for

T0 = datetime(2025, 9, 5, 12, 0, tzinfo=UTC)
PARAS = [
    "Leaders of 35 countries met in Paris on Thursday as the coalition of the willing.",
    "Twenty-six countries pledged to deploy troops to Ukraine after a ceasefire, officials said.",
    "The pledges were described as a first step by the French president, who hosted the talks.",
]


def write_config(tmp_path: Path, db_url: str, feeds: list[dict[str, str]], **extra: Any) -> Path:
    """A feeds.yaml for a test: the repo's fact definitions, the given feeds, loopback allowed."""
    repo = load_settings(REPO / "feeds.yaml")
    doc: dict[str, Any] = {
        "database_url": db_url,
        "defaults": {"interval": "30m", "min_interval": "1m", "jitter": 0},
        "fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay": "0s", "timeout": "5s"},
        "feeds": feeds,
        "facts": [f.model_dump(mode="json", exclude_defaults=True) for f in repo.facts],
    } | extra
    path = tmp_path / "feeds.yaml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def open_test_app(config: Path) -> App:
    settings = load_settings(config)
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    return App(settings=settings, engine=engine, config_path=config)


def poll(app: App, now: datetime, *, workers: int | None = 1) -> PollReport:
    async def go() -> PollReport:
        async with open_runtime(app, workers=workers) as rt:
            return await poll_once(app, rt.fetcher, now=now, pool=rt.pool, rng=random.Random(1))

    return asyncio.run(go())


@pytest.fixture
def srv() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


@pytest.fixture
def app(srv: LocalServer, db_url: str, tmp_path: Path) -> Iterator[App]:
    srv.routes["/feed.xml"] = Route(
        body=rss(
            [
                {
                    "title": "Paris talks",
                    "link": srv.url("/a1"),
                    "date": "Fri, 05 Sep 2025 08:00:00 GMT",
                },
                {
                    "title": "Pledges",
                    "link": srv.url("/a2"),
                    "date": "Fri, 05 Sep 2025 09:00:00 GMT",
                },
            ]
        ),
        etag='"feed-1"',
        content_type="application/rss+xml",
    )
    srv.routes["/a1"] = Route(body=page("Paris talks", PARAS))
    srv.routes["/a2"] = Route(body=page("Pledges", [*PARAS[1:], "A second story about pledges."]))
    config = write_config(
        tmp_path, db_url, [{"name": "wire", "url": srv.url("/feed.xml"), "outlet": "Wire"}]
    )
    application = open_test_app(config)
    yield application
    application.close()


def rows(app: App, model: Any) -> list[Any]:
    with Session(app.engine) as s:
        return list(s.exec(select(model)).all())


def test_poll_stores_articles_versions_and_observations(app: App, srv: LocalServer) -> None:
    report = poll(app, T0)
    assert (report.feeds_checked, report.articles_new, report.versions_new) == (1, 2, 2)
    articles = sorted(rows(app, Article), key=lambda a: a.url)
    assert [a.url for a in articles] == [srv.url("/a1"), srv.url("/a2")]
    assert all(a.version_count == 1 and a.outlet == "Wire" for a in articles)
    versions = rows(app, ArticleVersion)
    assert any("Leaders of 35 countries" in v.text for v in versions)
    # The pool computes the hash; it is the store's own function of the stored text.
    assert all(v.raw_html_z and v.content_hash == content_hash(v.text) for v in versions)
    assert report.observations_new == len(rows(app, Observation)) > 0
    (feed,) = rows(app, Feed)
    assert (feed.last_status, feed.entries_seen, feed.error_count, feed.etag) == (
        200,
        2,
        0,
        '"feed-1"',
    )
    assert feed.next_check_at == T0 + timedelta(minutes=30)
    assert all(a.next_check_at == a.first_seen_at + timedelta(hours=1) for a in articles)


def test_second_poll_is_conditional_and_skips_pages_not_due(app: App, srv: LocalServer) -> None:
    poll(app, T0)
    report = poll(app, T0 + timedelta(minutes=31))
    assert report.feeds_not_modified == 1 and report.articles_checked == 0
    assert srv.hits("/feed.xml")[-1].headers["if-none-match"] == '"feed-1"'
    assert len(srv.hits("/a1")) == 1
    (feed,) = rows(app, Feed)
    assert feed.last_outcome == "not_modified" and feed.last_status == 304


def test_revisit_makes_a_version_only_when_the_text_changed(
    app: App, srv: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    poll(app, T0)
    srv.routes["/a1"] = Route(
        body=page("Paris talks", [*PARAS, "Update: officials now say 36 countries."])
    )
    report = poll(app, T0 + timedelta(hours=1, minutes=1))
    assert report.versions_new == 1
    a1 = next(a for a in rows(app, Article) if a.url.endswith("/a1"))
    assert a1.version_count == 2
    report = poll(app, T0 + timedelta(hours=6, minutes=1))
    assert report.articles_checked == 2 and report.versions_new == 0
    a1 = next(a for a in rows(app, Article) if a.url.endswith("/a1"))
    assert a1.version_count == 2 and a1.last_checked_at == T0 + timedelta(hours=6, minutes=1)
    assert a1.next_check_at == a1.first_seen_at + timedelta(hours=24)
    assert app.config_path is not None
    assert main(["--config", str(app.config_path), "article", str(a1.id), "--diff", "1", "2"]) == 0
    assert "+Update: officials now say 36 countries." in capsys.readouterr().out
    # The raw page of each version is kept, so text can be re-extracted from what was served.
    assert main(["--config", str(app.config_path), "article", str(a1.id), "--html", "2"]) == 0
    assert capsys.readouterr().out == srv.routes["/a1"].body.decode()


def test_429_retry_after_sets_the_next_check(app: App, srv: LocalServer) -> None:
    srv.routes["/feed.xml"].fail = [429]
    srv.routes["/feed.xml"].fail_headers = {"Retry-After": "7200"}
    report = poll(app, T0)
    assert report.feeds_failed == 1
    (feed,) = rows(app, Feed)
    assert (feed.error_kind, feed.error_count, feed.last_status) == ("http_status", 1, 429)
    assert feed.next_check_at is not None and feed.next_check_at >= T0 + timedelta(hours=2)
    assert "429" in (feed.error_message or "")


def test_failures_back_off_and_success_resets(app: App, srv: LocalServer) -> None:
    srv.routes["/feed.xml"].fail = [500, 500]
    now = T0
    delays = []
    for _ in range(2):
        poll(app, now)
        (feed,) = rows(app, Feed)
        assert feed.next_check_at is not None
        delays.append(feed.next_check_at - now)
        now = feed.next_check_at
    assert delays == [timedelta(minutes=30), timedelta(hours=1)]
    assert rows(app, Feed)[0].error_count == 2
    poll(app, now)
    (feed,) = rows(app, Feed)
    assert (feed.error_count, feed.error_kind, feed.last_status) == (0, None, 200)


def test_network_down_is_one_service_error(
    srv: LocalServer, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer() as dead:
        gone = [dead.url("/a.xml"), dead.url("/b.xml")]
    config = write_config(
        tmp_path, db_url, [{"name": "a", "url": gone[0]}, {"name": "b", "url": gone[1]}]
    )
    code = main(
        ["--config", str(config), "--log-format", "json", "poll", "--once", "--now", T0.isoformat()]
    )
    assert code == 1
    err = capsys.readouterr().err
    errors = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [e["msg"] for e in errors if e["level"] == "error"] == [
        next(e["msg"] for e in errors if "network" in e["msg"] and e["level"] == "error")
    ]
    app = open_test_app(config)
    try:
        feeds = rows(app, Feed)
        assert {f.error_count for f in feeds} == {0}
        assert {f.error_kind for f in feeds} == {"network"}
    finally:
        app.close()


def test_article_in_two_feeds_is_stored_once(srv: LocalServer, db_url: str, tmp_path: Path) -> None:
    srv.routes["/one.xml"] = Route(
        body=rss([{"title": "A", "link": srv.url("/story?utm_source=one")}])
    )
    srv.routes["/two.xml"] = Route(body=rss([{"title": "A", "link": srv.url("/story#top")}]))
    srv.routes["/story"] = Route(body=page("Story", PARAS))
    config = write_config(
        tmp_path,
        db_url,
        [{"name": "one", "url": srv.url("/one.xml")}, {"name": "two", "url": srv.url("/two.xml")}],
    )
    app = open_test_app(config)
    try:
        poll(app, T0)
        (article,) = rows(app, Article)
        assert article.url == srv.url("/story")
        assert len(rows(app, FeedEntry)) == 2
        assert len(srv.hits("/story")) == 1
    finally:
        app.close()


def test_oversized_and_robots_denied_pages_are_recorded_not_retried(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    srv.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    srv.routes["/f.xml"] = Route(
        body=rss(
            [{"title": "big", "link": srv.url("/big")}, {"title": "p", "link": srv.url("/private")}]
        )
    )
    srv.routes["/big"] = Route(stream=30 * 1024 * 1024)
    config = write_config(
        tmp_path,
        db_url,
        [{"name": "f", "url": srv.url("/f.xml")}],
        fetch={"allow_networks": ["127.0.0.0/8"], "per_host_delay": "0s", "max_bytes": 1048576},
    )
    app = open_test_app(config)
    try:
        report = poll(app, T0)
        assert report.articles_failed == 2
        kinds = {
            a.url.rsplit("/", 1)[1]: (a.error_kind, a.next_check_at) for a in rows(app, Article)
        }
        assert kinds == {"big": ("too_large", None), "private": ("robots", None)}
        assert srv.hits("/private") == []
    finally:
        app.close()


def test_every_corpus_feed_yields_entries_or_a_recorded_error(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    files = sorted(p for p in (SHARED / "corpora" / "feeds").rglob("*") if p.is_file())
    assert len(files) > 10
    feeds = []
    for i, path in enumerate(files):
        srv.routes[f"/c{i}"] = Route(body=path.read_bytes(), content_type="application/xml")
        feeds.append({"name": f"c{i}", "url": srv.url(f"/c{i}")})
    app = open_test_app(write_config(tmp_path, db_url, feeds))
    try:

        async def go() -> PollReport:
            report = PollReport()
            async with open_runtime(app, workers=None) as rt:
                await refresh_feeds(app, rt.fetcher, now=T0, rng=random.Random(1), report=report)
            return report

        report = asyncio.run(go())
        assert report.feeds_checked == len(files)
        for feed in rows(app, Feed):
            # A valid feed with no items is "empty", not an error; anything else is one or other.
            outcomes = (
                feed.entries_seen > 0,
                feed.error_kind is not None,
                feed.last_outcome == "empty",
            )
            assert sum(outcomes) == 1, (feed.name, outcomes)
        # Every file in which feedparser itself finds an item with a web link gave us entries.
        with_links = {
            f"c{i}"
            for i, path in enumerate(files)
            if any(
                str(e.get("link", "")).startswith(("http://", "https://"))
                for e in feedparser.parse(path.read_bytes()).entries
            )
        }
        assert len(with_links) > 100
        assert with_links <= {f.name for f in rows(app, Feed) if f.entries_seen > 0}
    finally:
        app.close()


def test_real_pages_through_the_pipeline_keep_trafilatura_quality(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    pages = aeb_pages()
    items = []
    for key, html in pages.items():
        srv.routes[f"/p/{key}"] = Route(body=html)
        items.append({"title": key, "link": srv.url(f"/p/{key}"), "guid": key})
    srv.routes["/aeb.xml"] = Route(body=rss(items))
    app = open_test_app(
        write_config(tmp_path, db_url, [{"name": "aeb", "url": srv.url("/aeb.xml")}])
    )
    try:
        report = poll(app, T0, workers=None)
        assert report.articles_new == len(pages)
        with Session(app.engine) as s:
            stored = {
                url.rsplit("/", 1)[1]: text
                for url, text in s.exec(
                    select(Article.url, ArticleVersion.text).join(ArticleVersion)
                ).all()
            }
    finally:
        app.close()
    plain = {k: trafilatura.extract(h, **OPTIONS) or "" for k, h in pages.items()}
    truth = aeb_truth()
    assert abs(token_f1(stored, truth) - token_f1(plain, truth)) <= 0.01


def test_sigterm_stops_the_service_gracefully(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    srv.routes["/feed.xml"] = Route(body=rss([{"title": "A", "link": srv.url("/a")}]))
    srv.routes["/a"] = Route(body=page("A", PARAS))
    config = write_config(tmp_path, db_url, [{"name": "f", "url": srv.url("/feed.xml")}])
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "--config",
            str(config),
            "--log-format",
            "json",
            "run",
            "--tick",
            "1s",
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert wait_for(lambda: len(srv.hits("/a")) == 1, timeout=60)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err or "shut" in err
    app = open_test_app(config)
    try:
        (article,) = rows(app, Article)
        assert article.version_count == 1 and article.lease_until is None
        (feed,) = rows(app, Feed)
        assert feed.lease_until is None and feed.last_status == 200
    finally:
        app.close()

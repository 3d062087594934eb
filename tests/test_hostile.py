"""One bad feed, page or receiver never stops the service (issue 10).

Hostile loopback servers serve each case next to a healthy feed; every test runs on SQLite and
PostgreSQL and asserts that the healthy feed's articles are stored in the same pass and that the
hostile source's error is recorded on its own row.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard
from sqlmodel import Session, select

from monitor.app import App
from monitor.models import Article, ArticleVersion, Feed
from tests.hostile import HostileServer, drip, response, send
from tests.servers import LocalServer, Route, page, rss
from tests.test_pipeline import PARAS, T0, open_test_app, poll, write_config

HUGE = "9" * 20
DECODED_CAP = 4 * 1024 * 1024


def _feed(items: list[dict[str, str]], headers: dict[str, str] | None = None) -> bytes:
    body = rss(items)
    return response("200 OK", {"Content-Type": "application/rss+xml", **(headers or {})}, body)


def _bomb(encoding: str) -> bytes:
    zeros = b"\0" * (DECODED_CAP * 3)
    if encoding == "gzip":
        return gzip.compress(zeros, 9)
    if encoding == "deflate":
        return zlib.compress(zeros, 9)
    if encoding == "br":
        return bytes(brotli.compress(zeros, quality=11))
    return zstandard.ZstdCompressor(level=19).compress(zeros)


@pytest.fixture
def healthy() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        srv.routes["/feed.xml"] = Route(
            body=rss(
                [
                    {"title": "Paris talks", "link": srv.url("/a1")},
                    {"title": "Pledges", "link": srv.url("/a2")},
                ]
            ),
            content_type="application/rss+xml",
        )
        srv.routes["/a1"] = Route(body=page("Paris talks", PARAS))
        srv.routes["/a2"] = Route(body=page("Pledges", [*PARAS[1:], "A second story."]))
        yield srv


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as h:
        yield h


def _app(tmp_path: Path, db_url: str, feeds: dict[str, str], **extra: Any) -> App:
    fetch = {
        "allow_networks": ["127.0.0.0/8"],
        "per_host_delay": "0s",
        "timeout": "2s",
        "max_decoded_bytes": DECODED_CAP,
        "respect_robots": False,
    }
    config = write_config(
        tmp_path,
        db_url,
        [{"name": name, "url": url} for name, url in feeds.items()],
        fetch=fetch,
        **extra,
    )
    return open_test_app(config)


def _feeds(app: App) -> dict[str, Feed]:
    with Session(app.engine) as s:
        return {f.name: f for f in s.exec(select(Feed)).all()}


def _healthy_stored(app: App, srv: LocalServer) -> None:
    with Session(app.engine) as s:
        urls = set(s.exec(select(Article.url).join(ArticleVersion)).all())
    assert {srv.url("/a1"), srv.url("/a2")} <= urls


def test_hostile_feeds_next_to_a_healthy_one(
    healthy: LocalServer, hostile: HostileServer, db_url: str, tmp_path: Path
) -> None:
    """Every row of issue 10's table that a feed server can do, in one pass."""
    ok_item = [{"title": "Third", "link": healthy.url("/a3")}]
    healthy.routes["/a3"] = Route(body=page("Third", PARAS))
    hostile.paths["/retry-after"] = send(response("503 Service Unavailable", {"Retry-After": HUGE}))
    hostile.paths["/max-age"] = send(_feed(ok_item, {"Cache-Control": f"max-age={HUGE}"}))
    hostile.paths["/drip-headers"] = drip(_feed(ok_item), every=0.2)
    hostile.paths["/drip-body"] = drip(
        b"x" * 10_000, every=0.2, head=b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n"
    )
    for enc in ("gzip", "deflate", "br", "zstd"):
        hostile.paths[f"/bomb-{enc}"] = send(
            response(
                "200 OK",
                {"Content-Type": "application/rss+xml", "Content-Encoding": enc},
                _bomb(enc),
            )
        )
    feeds = {"wire": healthy.url("/feed.xml")} | {
        path.strip("/"): hostile.url(path) for path in hostile.paths
    }
    app = _app(tmp_path, db_url, feeds)
    try:
        started = time.monotonic()
        report = poll(app, T0)
        took = time.monotonic() - started
        rows = _feeds(app)
        _healthy_stored(app, healthy)
    finally:
        app.close()
    assert took < 60, took  # the drips are cut by the 2 s whole-request deadline
    assert rows["wire"].error_count == 0 and rows["wire"].entries_seen == 2
    # A 20-digit Retry-After: recorded, backed off within max_backoff, no overflow.
    r = rows["retry-after"]
    assert (r.error_kind, r.last_status, r.error_count) == ("http_status", 503, 1)
    assert r.next_check_at is not None and r.next_check_at <= T0 + timedelta(hours=24)
    # A 20-digit max-age: the feed is read, next check within max_interval.
    m = rows["max-age"]
    assert (m.error_count, m.entries_seen) == (0, 1)
    assert m.next_check_at is not None and m.next_check_at <= T0 + timedelta(hours=24)
    for name in ("drip-headers", "drip-body"):
        assert rows[name].error_kind == "network", name
        assert "within 2 s" in (rows[name].error_message or ""), name
    for enc in ("gzip", "deflate", "br", "zstd"):
        assert rows[f"bomb-{enc}"].error_kind == "too_large", enc
    assert report.feeds_failed == 7

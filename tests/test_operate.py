"""Operator controls: SIGHUP reloads the configuration, `monitor feeds` tells enabled, disabled,
removed and new feeds apart, `--config` goes before or after the sub-command."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trafilatura  # noqa: F401  (imported at collection, as the CLI's modules import it)

from monitor.app import open_app
from monitor.cli import main
from monitor.pipeline import open_runtime, poll_once
from monitor.store import session_scope
from monitor.store.feeds import LEASE, claim_due_feeds, sync_feeds
from tests.servers import LocalServer, Route, rss, wait_for
from tests.test_pipeline import T0, open_test_app, poll, srv, write_config

__all__ = ["srv"]  # the local server fixture


def _write(path: Path, db: Path, feeds: list[dict[str, Any]]) -> None:
    doc = {
        "database_url": f"sqlite:///{db}",
        "fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay": "0s"},
        "feeds": feeds,
    }
    path.write_text(json.dumps(doc))


def test_feeds_shows_enabled_disabled_removed_and_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = tmp_path / "feeds.yaml", tmp_path / "m.sqlite"
    feed = {"url": "http://127.0.0.1:9/feed.xml"}
    _write(
        config,
        db,
        [
            {"name": "a", **feed},
            {"name": "b", **feed, "url": "http://127.0.0.1:9/b", "enabled": False},
            {"name": "c", "url": "http://127.0.0.1:9/c"},
        ],
    )
    with open_app(config) as app:
        sync_feeds(app.engine, app.settings.feeds, datetime.now(UTC))
    _write(
        config,
        db,
        [
            {"name": "a", **feed},
            {"name": "b", "url": "http://127.0.0.1:9/b", "enabled": False},
            {"name": "d", "url": "http://127.0.0.1:9/d"},
        ],
    )
    assert main(["feeds", "--format", "json", "--config", str(config)]) == 0
    states = {r["name"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert states == {"a": "enabled", "b": "disabled", "c": "removed", "d": "new"}
    assert main(["--config", str(config), "feeds"]) == 0
    table = capsys.readouterr().out
    assert "removed" in table and "disabled" in table


def test_sighup_reloads_the_feeds_and_refuses_a_bad_file(tmp_path: Path) -> None:
    config, db = tmp_path / "feeds.yaml", tmp_path / "m.sqlite"
    with LocalServer() as srv:
        for name in ("one", "two"):
            srv.routes[f"/{name}.xml"] = Route(body=rss([]), content_type="application/rss+xml")
        one = {"name": "one", "url": srv.url("/one.xml")}
        _write(config, db, [one])
        exe = str(Path(sys.executable).with_name("monitor"))
        service = subprocess.Popen(
            [exe, "--config", str(config), "--log-format", "json", "run", "--tick", "1s"],
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(service.stderr or []), daemon=True)
        reader.start()

        def logged(text: str) -> bool:
            return any(text in line for line in list(lines))

        try:
            assert wait_for(lambda: srv.hits("/one.xml"), timeout=60)
            config.write_text("feeds: [ {name: 'broken'")  # not YAML
            service.send_signal(signal.SIGHUP)
            assert wait_for(lambda: logged("keeping the running configuration"), timeout=30)
            assert service.poll() is None, "a bad file must not stop the service"
            _write(config, db, [one, {"name": "two", "url": srv.url("/two.xml")}])
            service.send_signal(signal.SIGHUP)
            assert wait_for(lambda: srv.hits("/two.xml"), timeout=60), "the new feed was not polled"
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=60)
            reader.join(10)
            if service.stderr is not None:
                service.stderr.close()
    assert service.returncode == 0, "".join(lines)[-2000:]
    assert logged("configuration reloaded")


def test_a_crashed_workers_claims_are_taken_over_after_the_lease(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    srv.routes["/feed.xml"] = Route(body=rss([]), content_type="application/rss+xml")
    app = open_test_app(
        write_config(tmp_path, db_url, [{"name": "wire", "url": srv.url("/feed.xml")}])
    )
    try:
        sync_feeds(app.engine, app.settings.feeds, T0)
        # A worker claims the feed and dies: the feed waits for its lease, then anyone takes it.
        assert [f.name for f in claim_due_feeds(app.engine, T0, limit=10)] == ["wire"]
        assert poll(app, T0 + timedelta(minutes=5)).feeds_checked == 0
        assert not srv.hits("/feed.xml")
        assert poll(app, T0 + LEASE + timedelta(seconds=1)).feeds_checked == 1
        assert app.metrics.takeovers.labels("feed")._value.get() == 1
    finally:
        app.close()


def test_a_stopping_worker_hands_back_what_it_has_not_started(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    feeds = []
    for i in range(12):
        srv.routes[f"/f{i}.xml"] = Route(
            body=rss([]), content_type="application/rss+xml", delay=0.3
        )
        feeds.append({"name": f"f{i}", "url": srv.url(f"/f{i}.xml")})
    config = write_config(tmp_path, db_url, feeds)
    doc = json.loads(config.read_text())
    doc["fetch"]["concurrency"] = 1
    config.write_text(json.dumps(doc))
    app = open_test_app(config)

    async def go() -> Any:
        stop = asyncio.Event()
        async with open_runtime(app, workers=1) as rt:
            asyncio.get_running_loop().call_later(0.5, stop.set)
            return await poll_once(app, rt.fetcher, now=T0, pool=rt.pool, stop=stop)

    try:
        report = asyncio.run(go())
        # Two fetch slots with concurrency 1: a few feeds were fetched, the rest handed back.
        assert 0 < report.feeds_checked < 12
        assert report.feeds_checked + report.feeds_released == 12
        assert len(srv.requests) == report.feeds_checked
        with session_scope(app.engine) as s:
            leased = s.execute(sa.text("SELECT count(*) FROM feeds WHERE lease_until IS NOT NULL"))
            assert leased.scalar_one() == 0
        # Handed back means due at once for any worker, not after a lease.
        assert poll(app, T0 + timedelta(seconds=1)).feeds_checked == report.feeds_released
    finally:
        app.close()

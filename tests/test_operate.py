"""Operator controls: SIGHUP reloads the configuration, `monitor feeds` tells enabled, disabled,
removed and new feeds apart, `--config` goes before or after the sub-command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trafilatura  # noqa: F401  (imported at collection, as the CLI's modules import it)

from monitor.app import open_app
from monitor.cli import main
from monitor.store.feeds import sync_feeds
from tests.servers import LocalServer, Route, rss, wait_for


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

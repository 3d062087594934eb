"""The HTTP API over real HTTP: uvicorn on 127.0.0.1 in a thread, httpx as the client."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.api import create_app
from monitor.cli import main
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.models import Alert, Change

from .factories import Story, beta_evidence, build_history
from .servers import free_port

TOKEN = "t0ken-for-tests-1"
OTHER = "second-token-2"
SETTINGS = Settings.model_validate({"api": {"tokens": [TOKEN, OTHER]}})
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GUARDED = [
    "/facts",
    "/facts/coalition.countries/history",
    "/changes",
    "/changes.atom",
    "/articles/1/versions",
    "/alerts",
    "/openapi.json",
    "/docs",
]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def story(engine: Engine) -> Story:
    built = build_history(engine)
    with Session(engine) as s:
        change = s.exec(select(Change).where(Change.kind == "change")).one()
        s.add(
            Alert(
                change_id=change.id,
                channel="ops-mail",
                idempotency_key="k-1",
                state="dead",
                attempts=5,
                last_error="smtp: 550 mailbox unavailable",
                created_at=datetime(2025, 9, 11, 8, 5, tzinfo=UTC),
            )
        )
        s.commit()
    return built


@pytest.fixture
def api(engine: Engine, story: Story) -> Iterator[httpx.Client]:
    with serve(create_app(engine, SETTINGS)) as base, httpx.Client(base_url=base) as client:
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_endpoint_but_health_needs_a_valid_token(api: httpx.Client) -> None:
    health = api.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    for path in GUARDED:
        missing = api.get(path)
        assert missing.status_code == 401, path
        assert missing.headers["www-authenticate"] == 'Bearer realm="monitor"'
        assert "missing bearer token" in missing.json()["detail"]
        wrong = api.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        assert "invalid bearer token" in wrong.json()["detail"]
        assert api.get(path, headers=AUTH).status_code == 200, path
    # Every configured token works; a query-string token only where headers cannot be sent.
    assert api.get("/facts", headers={"Authorization": f"Bearer {OTHER}"}).status_code == 200
    assert api.get("/facts", params={"token": TOKEN}).status_code == 401
    assert api.get("/changes.atom", params={"token": TOKEN}).status_code == 200
    assert api.get("/changes.atom", params={"token": "nope"}).status_code == 401


def test_read_only_other_methods_are_405(api: httpx.Client) -> None:
    assert api.post("/facts", headers=AUTH, json={}).status_code == 405
    assert api.post("/health").status_code == 405
    assert api.delete("/changes", headers=AUTH).status_code == 405
    assert api.put("/alerts", headers=AUTH).status_code == 405


def test_facts_and_history_json(api: httpx.Client, story: Story) -> None:
    page = get(api, "/facts")
    assert (page["total"], page["limit"], page["offset"]) == (2, 100, 0)
    coalition, troops = page["items"]
    assert (coalition["fact"], coalition["value"], coalition["status"], coalition["sources"]) == (
        "coalition.countries",
        35,
        "confirmed",
        2,
    )
    assert coalition["evidence"][0] == beta_evidence(story)
    assert (troops["qualifier"], troops["value"]) == ("France", [25000, 30000])
    assert [d["value"] for d in troops["disputed_by"]] == [[15000, 20000]]
    assert get(api, "/facts", limit=1, offset=1)["items"][0]["fact"] == "force.troops"

    history = get(api, "/facts/coalition.countries/history")
    assert [(v["value"], v["state"]) for v in history["items"]] == [
        (31, "superseded"),
        (35, "current"),
    ]
    assert history["items"][0]["superseded_at"] == "2025-09-11T08:05:00+00:00"
    then = get(api, "/facts/coalition.countries/history", as_of="2025-09-05")
    assert [(v["value"], v["state"], v["valid_until"]) for v in then["items"]] == [
        (31, "current", None)
    ]
    since = get(api, "/facts/coalition.countries/history", since="2025-09-11T12:00Z")
    assert [v["value"] for v in since["items"]] == [35]
    france = get(api, "/facts/force.troops/history", qualifier="France")
    assert [v["state"] for v in france["items"]] == ["current", "disputed"]
    believed = get(api, "/facts", as_of="2025-09-21T09:00Z")["items"]
    assert [f["disputed_by"] for f in believed if f["fact"] == "force.troops"] == [[]]


def test_changes_articles_and_alerts_json(api: httpx.Client, story: Story) -> None:
    page = get(api, "/changes")
    assert page["total"] == 5
    assert [c["kind"] for c in page["items"]] == [
        "conflict",
        "first",
        "confirmed",
        "change",
        "first",
    ]
    change = page["items"][3]
    assert (change["fact"], change["old"], change["new"], change["alert"]) == (
        "coalition.countries",
        31,
        35,
        True,
    )
    assert change["evidence"]["url"] == "https://beta.example/news/2"
    second = get(api, "/changes", limit=2, offset=2)
    assert (second["total"], [c["id"] for c in second["items"]]) == (
        5,
        [c["id"] for c in page["items"][2:4]],
    )
    assert [c["kind"] for c in get(api, "/changes", fact="force.*")["items"]] == [
        "conflict",
        "first",
    ]
    recent = get(api, "/changes", since="2025-09-11T09:00:00Z")
    assert recent["total"] == 3

    versions = get(api, f"/articles/{story.articles[2]}/versions")
    assert (versions["article"], versions["outlet"], versions["url"]) == (
        story.articles[2],
        "beta",
        "https://beta.example/news/2",
    )
    assert [(v["number"], v["chars"] > 0) for v in versions["items"]] == [(1, True)]

    alerts = get(api, "/alerts")
    assert alerts["total"] == 1
    (alert,) = alerts["items"]
    assert (alert["state"], alert["channel"], alert["fact"], alert["kind"]) == (
        "dead",
        "ops-mail",
        "coalition.countries",
        "change",
    )
    assert alert["last_error"] == "smtp: 550 mailbox unavailable"
    assert get(api, "/alerts", state="delivered")["items"] == []


def test_unknown_things_are_404_and_bad_dates_422(api: httpx.Client) -> None:
    missing = api.get("/facts/coalition.members/history", headers=AUTH)
    assert missing.status_code == 404
    detail = missing.json()["detail"]
    assert "no history for fact 'coalition.members'" in detail
    assert "coalition.countries, force.troops" in detail
    qualifier = api.get("/facts/force.troops/history?qualifier=Spain", headers=AUTH)
    assert qualifier.status_code == 404 and "it has: France" in qualifier.json()["detail"]
    article = api.get("/articles/987654/versions", headers=AUTH)
    assert article.status_code == 404
    assert "no article with id 987654" in article.json()["detail"]
    bad = api.get("/changes", params={"since": "yesterday"}, headers=AUTH)
    assert bad.status_code == 422
    assert "since: 'yesterday' is not a date or time" in bad.json()["detail"]
    assert api.get("/changes", params={"limit": 0}, headers=AUTH).status_code == 422


def test_openapi_lists_the_endpoints(api: httpx.Client) -> None:
    schema = get(api, "/openapi.json")
    assert set(schema["paths"]) >= {
        "/facts",
        "/facts/{fact}/history",
        "/changes",
        "/changes.atom",
        "/articles/{article_id}/versions",
        "/alerts",
        "/health",
    }
    assert all(set(ops) == {"get"} for ops in schema["paths"].values())
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    docs = api.get("/docs", params={"token": TOKEN})
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert f"/openapi.json?token={TOKEN}" in docs.text


def test_atom_feed_has_one_entry_per_change(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="monitor.api"):
        response = api.get("/changes.atom", params={"token": TOKEN})
    assert "GET /changes.atom 200" in caplog.text
    assert TOKEN not in caplog.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    changes = get(api, "/changes")["items"]
    assert len(feed.entries) == len(changes) == 5
    assert [e.id.rsplit(":", 1)[-1] for e in feed.entries] == [str(c["id"]) for c in changes]
    change = feed.entries[3]
    assert change.title == "coalition.countries: change: 31 → 35"
    assert feed.entries[2].title == "coalition.countries: 35 confirmed"
    assert change.link == "https://beta.example/news/2"
    assert "beta: \u201c35 quoted by beta\u201d" in change.content[0].value
    only = feedparser.parse(
        api.get("/changes.atom", params={"fact": "force.*"}, headers=AUTH).content
    )
    assert [e.title for e in only.entries] == [
        "force.troops [France]: disputed: 25,000 to 30,000 → 15,000 to 20,000",
        "force.troops [France]: new fact: 25,000 to 30,000",
    ]


def test_without_tokens_only_loopback(engine: Engine, story: Story) -> None:
    open_settings = Settings()
    with pytest.raises(ConfigError, match=r"refusing to serve on '0\.0\.0\.0' without tokens"):
        create_app(engine, open_settings, host="0.0.0.0")
    with serve(create_app(engine, open_settings, host="127.0.0.1")) as base:
        assert httpx.get(f"{base}/facts").status_code == 200


def test_health_says_when_the_database_is_down(tmp_path: Path) -> None:
    gone = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'monitor.sqlite'}")
    with serve(create_app(gone, SETTINGS)) as base:
        response = httpx.get(f"{base}/health")
    gone.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_monitor_serve_command(
    engine: Engine,
    story: Story,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("api:\n  tokens: ['${MONITOR_API_TOKEN}']\n", encoding="utf-8")
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    env = {**os.environ, "MONITOR_API_TOKEN": TOKEN}
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "--config",
            str(config),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "monitor serve did not start"
                time.sleep(0.1)
        assert httpx.get(f"{base}/changes").status_code == 401
        assert httpx.get(f"{base}/changes", headers=AUTH).json()["total"] == 5
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert b"api stopped" in err
    assert TOKEN.encode() not in err

    # Without tokens, a non-loopback address is refused with a message saying what to do.
    config.write_text("feeds: []\n", encoding="utf-8")
    assert main(["--config", str(config), "serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    message = capsys.readouterr().err
    assert "refusing to serve on '0.0.0.0' without tokens" in message
    assert "api.tokens" in message

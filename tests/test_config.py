"""Configuration: typed settings, errors that name the key and the line, secrets redacted."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_settings, parse_duration, parse_settings, redacted
from monitor.errors import ConfigError
from monitor.logs import JsonFormatter, TextFormatter

from .conftest import REPO

BASE = """\
feeds:
  - name: wire
    url: https://wire.example/rss
    interval: 15m
  - name: paper
    url: https://paper.example/atom
"""


def test_shipped_feeds_yaml_is_valid() -> None:
    settings = load_settings(REPO / "feeds.yaml", env={})
    assert len([f for f in settings.feeds if f.enabled]) >= 8
    assert all(f.url.startswith("https://") for f in settings.feeds)


def test_defaults_and_durations() -> None:
    s = parse_settings(BASE, env={})
    assert s.feed_interval(s.feeds[0]) == timedelta(minutes=15)
    assert s.feed_interval(s.feeds[1]) == timedelta(minutes=30)
    assert s.fetch.max_bytes == 10 * 1024 * 1024 and s.fetch.max_redirects == 5
    assert s.defaults.revisit[-1] == timedelta(days=7)


@pytest.mark.parametrize(
    ("value", "seconds"), [(90, 90), ("90s", 90), ("30m", 1800), ("6h", 21600), ("7d", 604800)]
)
def test_parse_duration(value: object, seconds: int) -> None:
    assert parse_duration(value).total_seconds() == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE.replace("interval: 15m", "interval: soon"), r"feeds\[0\]\.interval \(line 4\)"),
        (BASE + "  - name: x\n    url: ftp://x\n", r"feeds\[2\]\.url \(line 8\).*http"),
        (
            BASE.replace("    interval: 15m\n", "    intervall: 15m\n"),
            r"feeds\[0\]\.intervall \(line 4\): unknown key",
        ),
        (BASE + "fetch:\n  max_bytes: -1\n", r"fetch\.max_bytes \(line 8\)"),
        (BASE + "feeds: []\n", r"feeds \(line 7\): duplicate key; .* line 1"),
        (
            BASE.replace("name: paper", "name: wire"),
            r"feeds\[1\]\.name \(line 5\): duplicate feed name 'wire'; feeds\[0\] \(line 2\)",
        ),
        ("feeds: [\n", r"not valid YAML"),
        ("- just\n- a list\n", r"top level must be a mapping"),
        (BASE + "alerts:\n  rules:\n    - channels: [nowhere]\n", r"names channel 'nowhere'"),
    ],
)
def test_errors_name_key_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(text, env={})


CHANNEL = (
    BASE
    + """\
alerts:
  channels:
    - kind: webhook
      name: hook
      url: https://hooks.example/in
      secret: ${HOOK_SECRET}
api:
  tokens: ["${API_TOKEN}"]
"""
)


def test_secrets_come_from_environment_and_are_redacted() -> None:
    env = {"HOOK_SECRET": "s3cr3t-hook", "API_TOKEN": "tok-123"}
    s = parse_settings(CHANNEL, env=env)
    hook = s.alerts.channels[0]
    assert hook.kind == "webhook" and hook.secret.get_secret_value() == "s3cr3t-hook"
    dumped = json.dumps(redacted(s))
    assert "s3cr3t-hook" not in dumped and "tok-123" not in dumped
    assert "s3cr3t-hook" not in repr(s)


def test_missing_environment_variable_is_named() -> None:
    with pytest.raises(ConfigError, match=r"secret \(line 12\): environment variable HOOK_SECRET"):
        parse_settings(CHANNEL, env={"API_TOKEN": "x"})


def test_every_problem_is_reported_at_once_in_plain_words() -> None:
    text = """\
feeds:
  - name: wire
    url: https://wire.example/rss
    interval: soon
alerts:
  channels:
    - kind: webhook
      name: hook
      url: https://hooks.example/in
      secret: ${HOOK_SECRET}
fetch:
  allow_networks: [nowhere]
display:
  timezone: Mars/Olympus
api:
  tokens: ["${API_TOKEN}"]
"""
    with pytest.raises(ConfigError) as exc:
        parse_settings(text, env={})
    message = str(exc.value)
    # Both unset variables, the bad duration, the bad network, the bad zone: all at once.
    assert message.startswith("feeds.yaml: 5 problem(s):")
    assert "alerts.channels[0].secret (line 10): environment variable HOOK_SECRET" in message
    assert "api.tokens[0] (line 16): environment variable API_TOKEN is not set" in message
    assert "feeds[0].interval (line 4): 'soon' is not a duration" in message
    assert "fetch.allow_networks (line 12): 'nowhere' is not a network" in message
    assert "display.timezone (line 14): 'Mars/Olympus' is not a time zone" in message
    assert "Value error" not in message


def test_duplicate_feed_name_is_reported_at_its_own_line() -> None:
    text = BASE + "  - name: wire\n    url: https://third.example/rss\n"
    with pytest.raises(ConfigError) as exc:
        parse_settings(text, env={})
    assert "feeds[2].name (line 7): duplicate feed name 'wire'" in str(exc.value)
    assert "(top level)" not in str(exc.value)


def test_database_url_from_environment() -> None:
    s = parse_settings(BASE, env={"MONITOR_DATABASE_URL": "postgresql://db/monitor"})
    assert s.database_url == "postgresql://db/monitor"


def test_config_cli_check_and_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(CHANNEL)
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t-hook")
    monkeypatch.setenv("API_TOKEN", "tok-123")
    assert main(["--config", str(path), "config", "--check"]) == 0
    assert "ok (2 feeds" in capsys.readouterr().out
    assert main(["--config", str(path), "config", "--show"]) == 0
    out = capsys.readouterr().out
    assert "**********" in out and "s3cr3t-hook" not in out and "tok-123" not in out
    path.write_text(BASE.replace("15m", "sometime"))
    assert main(["--config", str(path), "config", "--check"]) == 2
    assert "feeds[0].interval (line 4)" in capsys.readouterr().err


def test_uvicorn_colour_codes_stay_out_of_json_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Uvicorn running on %s", ("http://x",), None
    )
    record.color_message = "Uvicorn running on \x1b[1m%s\x1b[0m"
    out = json.loads(JsonFormatter().format(record))
    assert "color_message" not in out and out["msg"] == "Uvicorn running on http://x"
    assert "\x1b" not in TextFormatter().format(record)

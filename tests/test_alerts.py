"""Alerts, the pure parts: rules, back-off, signatures, rendering, the payload schema, config."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from monitor.alerts.dispatch import next_attempt
from monitor.alerts.render import ChangeView, Evidence, HistoryEntry, render, show
from monitor.alerts.rules import matches, routes, severity
from monitor.alerts.webhook import body_of, schema, sign, verify_signature
from monitor.config import AlertRule, AlertsConfig, parse_settings
from monitor.display import zone
from monitor.errors import ConfigError
from monitor.models import Change

from .conftest import REPO

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
SECRET = "s3cret-s3cret-s3cret"


def change(kind: str, old: Any, new: Any, *, alert: bool, fact: str = "force.troops") -> Change:
    return Change(
        id=1,
        fact=fact,
        kind=kind,
        old_json=None if old is None else json.dumps(old),
        new_json=None if new is None else json.dumps(new),
        decided_at=T0,
        alert=alert,
    )


FIRST = change("first", None, 31, alert=True)
CHANGE = change("change", 31, 35, alert=True)
SMALL = change("change", 1000, 1020, alert=True)
RANGE = change("change", [25000, 30000], [15000, 20000], alert=True)
REFINE = change("refinement", [31, None], 31, alert=False)
CONFLICT = change("conflict", 31, 26, alert=False)
CONFIRMED = change("confirmed", 31, 31, alert=False)
BACKFILL = change("backfill", 31, 20, alert=False)


@pytest.mark.parametrize(
    ("rule", "item", "fires"),
    [
        (AlertRule(channels=("c",)), FIRST, True),
        (AlertRule(channels=("c",)), CHANGE, True),
        (AlertRule(channels=("c",)), CONFLICT, False),
        (AlertRule(channels=("c",)), REFINE, False),
        (AlertRule(channels=("c",)), CONFIRMED, False),
        (AlertRule(channels=("c",)), BACKFILL, False),
        (AlertRule(channels=("c",), include_first=False), FIRST, False),
        (AlertRule(channels=("c",), include_refinements=True), REFINE, True),
        (AlertRule(channels=("c",), min_severity="conflict"), CONFLICT, True),
        (AlertRule(channels=("c",), min_severity="conflict"), CONFIRMED, False),
        (AlertRule(channels=("c",), min_severity="info"), BACKFILL, True),
        (AlertRule(channels=("c",), facts=("force.*",)), CHANGE, True),
        (AlertRule(channels=("c",), facts=("coalition.*", "guarantee.*")), CHANGE, False),
        (AlertRule(channels=("c",), min_delta=100), SMALL, False),
        (AlertRule(channels=("c",), min_delta=20), SMALL, True),
        (AlertRule(channels=("c",), min_delta_rel=0.05), SMALL, False),
        (AlertRule(channels=("c",), min_delta_rel=0.05), CHANGE, True),
        (AlertRule(channels=("c",), min_delta=5000), RANGE, True),
        (AlertRule(channels=("c",), min_delta=6000), RANGE, False),
        (AlertRule(channels=("c",), min_delta=10**6), FIRST, True),
    ],
)
def test_rules_pick_changes_by_fact_severity_and_size(
    rule: AlertRule, item: Change, fires: bool
) -> None:
    assert matches(rule, item) is fires


def test_severity_of_each_kind() -> None:
    assert [severity(c) for c in (FIRST, CHANGE, CONFLICT, REFINE, BACKFILL)] == [
        "change",
        "change",
        "conflict",
        "info",
        "info",
    ]


def test_first_matching_rule_wins_once_per_channel() -> None:
    cfg = AlertsConfig.model_validate(
        {
            "channels": [
                {"kind": "webhook", "name": "a", "url": "http://x/", "secret": SECRET},
                {"kind": "webhook", "name": "b", "url": "http://y/", "secret": SECRET},
            ],
            "rules": [
                {"facts": ["coalition.*"], "channels": ["a"]},
                {"facts": ["force.*"], "channels": ["a", "b"], "digest": "15m"},
                {"channels": ["a", "b"]},
            ],
        }
    )
    got = [(r.channel, r.rule, r.digest) for r in routes(CHANGE, cfg)]
    assert got == [("a", 1, timedelta(minutes=15)), ("b", 1, timedelta(minutes=15))]
    assert routes(CONFIRMED, cfg) == []


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after() -> None:
    cfg = AlertsConfig(min_backoff=timedelta(seconds=30), max_backoff=timedelta(minutes=5))
    delays = [(next_attempt(T0, n, cfg) - T0).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]
    assert next_attempt(T0, 1, cfg, retry_after=600) == T0 + timedelta(seconds=600)
    assert next_attempt(T0, 3, cfg, retry_after=5) == T0 + timedelta(seconds=120)
    assert next_attempt(T0, 1, cfg, retry_after=10**9) == T0 + timedelta(days=1)


def test_signature_verifies_only_the_same_body_secret_and_a_fresh_time() -> None:
    body = b'{"event":"fact.change"}'
    header = sign(SECRET, 1_700_000_000, body)
    assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", header)
    assert verify_signature(SECRET, body, header, now=1_700_000_100)
    assert not verify_signature(SECRET, body + b" ", header, now=1_700_000_100)
    assert not verify_signature("another-secret-value", body, header, now=1_700_000_100)
    assert not verify_signature(SECRET, body, header, now=1_700_000_000 + 301)
    assert not verify_signature(SECRET, body, "v1=" + header.split("v1=")[1], now=1_700_000_000)
    assert not verify_signature(SECRET, body, "garbage", now=1_700_000_000)


def view(**over: Any) -> ChangeView:
    base: dict[str, Any] = {
        "change_id": 7,
        "fact": "force.troops",
        "label": "Troops pledged",
        "qualifier": "France",
        "term": None,
        "kind": "change",
        "severity": "change",
        "old": [25000, 30000],
        "new": 15000,
        "published": T0,
        "decided_at": T0 + timedelta(minutes=5),
        "evidence": Evidence(
            quote="15,000 troops",
            sentence='Paris said <b>15,000 troops</b> & "more" would go.',
            outlet="Le <Monde>",
            url="https://lemonde.example/a?x=1&y=2",
            title="Troops <update>",
            article_id=3,
            published=T0,
        ),
        "history": (
            HistoryEntry(15000, "current", "unconfirmed", T0, None, 1),
            HistoryEntry([25000, 30000], "superseded", "confirmed", T0 - timedelta(days=9), T0, 2),
        ),
    }
    base.update(over)
    return ChangeView(**base)


def test_values_read_naturally() -> None:
    assert [show(v) for v in (31, [25000, 30000], [31, None], [None, 50], "removed", None)] == [
        "31",
        "25,000 to 30,000",
        "more than 30",
        "up to 50",
        "removed",
        "none",
    ]


def test_email_bodies_say_old_new_quote_outlet_link_history_and_escape_html() -> None:
    out = render([view()], alert_id=1, key="k-1", digest=False)
    assert out.event == "fact.change"
    assert out.subject == "[monitor] change: Troops pledged [France] 25,000 to 30,000 → 15,000"
    assert '"15,000 troops"' in out.text
    assert "Le <Monde>" in out.text and "Link: https://lemonde.example/a?x=1&y=2" in out.text
    assert "25,000 to 30,000  (superseded, confirmed" in out.text
    assert "<b>15,000" not in out.html and "&lt;b&gt;15,000 troops&lt;/b&gt; &amp;" in out.html
    assert "Le &lt;Monde&gt;" in out.html
    assert '<a href="https://lemonde.example/a?x=1&amp;y=2">Troops &lt;update&gt;</a>' in out.html


def test_only_http_links_become_links() -> None:
    ev = view().evidence
    assert ev is not None
    bad = view(evidence=Evidence(**{**ev.__dict__, "url": "javascript:alert(1)"}))
    out = render([bad], alert_id=1, key="k", digest=False)
    assert "href" not in out.html


def test_payload_follows_the_published_schema() -> None:
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    term = view(
        fact="guarantee.terms", qualifier=None, term="us_backstop", old="proposed", new="removed"
    )
    first = view(kind="first", old=None, evidence=None, history=())
    for views, digest in (([view()], False), ([view(), term, first], True)):
        payload = render(views, alert_id=4, key="key-4", digest=digest).payload
        validator.validate(json.loads(body_of(payload)))
        props = schema()["$defs"]["change"]["properties"]
        assert set(payload) <= set(schema()["properties"])
        assert all(set(c) <= set(props) for c in payload["changes"])
    bad = render([view()], alert_id=4, key="key-4", digest=False).payload
    bad["changes"][0]["new"] = {"not": "a value"}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)


def test_digest_subject_counts_the_changes() -> None:
    out = render([view(), view(qualifier="Germany")], alert_id=1, key="k", digest=True)
    assert out.event == "fact.digest"
    assert out.subject.startswith("[monitor] 2 fact updates: Troops pledged [France]")


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        ("alerts:\n  rules:\n    - channels: [ops]\n", "not defined under alerts.channels"),
        (
            "alerts:\n  channels:\n    - {kind: webhook, name: h, url: ftp://x, secret: "
            + SECRET
            + "}\n",
            "is not an http(s) URL",
        ),
        (
            "alerts:\n  channels:\n"
            "    - {kind: webhook, name: 'bad name', url: 'http://x', secret: s}\n",
            "alerts.channels[0].name",
        ),
        (
            "alerts:\n  channels:\n"
            "    - {kind: email, name: m, host: h, sender: me, to: [a@b.c]}\n",
            "'me' is not an email address",
        ),
        ("alerts:\n  min_backoff: 0s\n", "min_backoff must be at least 1s"),
        ("alerts:\n  rules:\n    - {channels: [], facts: ['*']}\n", "alerts.rules[0].channels"),
    ],
)
def test_alert_config_errors_name_the_key_and_the_fix(yaml_text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        parse_settings(yaml_text, env={})


def test_unset_secret_variable_is_named() -> None:
    text = (
        "alerts:\n  channels:\n    - kind: webhook\n      name: h\n      url: http://x/\n"
        "      secret: ${HOOK_SECRET}\n"
    )
    with pytest.raises(ConfigError, match="HOOK_SECRET is not set"):
        parse_settings(text, env={})
    settings = parse_settings(text, env={"HOOK_SECRET": SECRET})
    assert SECRET not in json.dumps(settings.model_dump(mode="json"))


def test_readme_alerts_example_is_valid() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:alerts")[1].split("<!-- /section:alerts")[0]
    example = re.search(r"```yaml\n(alerts:.*?)```", section, re.S)
    assert example, "README's alerts section must show an alerts: example"
    env = {name: SECRET for name in re.findall(r"\$\{(\w+)\}", example.group(1))}
    settings = parse_settings(example.group(1), env=env)
    assert settings.alerts.channels and settings.alerts.rules


def test_readme_receiver_snippet_verifies_our_signature() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:alerts")[1].split("<!-- /section:alerts")[0]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    assert snippet
    scope: dict[str, Any] = {}
    exec(snippet.group(1), scope)
    body = b'{"event":"fact.change","version":1}'
    header = sign(SECRET, int(datetime.now(UTC).timestamp()), body)
    assert scope["verify"](SECRET, body, header)
    assert not scope["verify"](SECRET, body + b"x", header)
    assert not scope["verify"](SECRET, body, sign(SECRET, 1_000_000_000, body))


def test_feeds_yaml_alerts_example_is_valid_once_uncommented() -> None:
    text = (REPO / "feeds.yaml").read_text(encoding="utf-8")
    block = re.search(r"^alerts:\n(?:[ #].*\n?)*", text, re.M)
    assert block, "feeds.yaml must have an alerts: section"
    lines = [re.sub(r"^  # ?", "  ", line) for line in block.group(0).splitlines()]
    example = "\n".join(lines)
    env = {name: SECRET for name in re.findall(r"\$\{(\w+)\}", example)}
    settings = parse_settings(example, env=env)
    assert len(settings.alerts.channels) == 2 and len(settings.alerts.rules) == 2
    assert parse_settings(text, env={}).alerts.channels == ()


def test_emails_show_times_in_the_display_time_zone() -> None:
    out = render([view()], alert_id=1, key="k-1", digest=False, tz=zone("Europe/Paris"))
    assert " CEST" in out.text or " CET" in out.text
    assert " UTC" not in out.text
    # The webhook payload stays in UTC, ISO 8601.
    assert out.payload["changes"][0]["decided_at"].endswith("Z")

"""Alerts end to end: the outbox, real SMTP and webhook receivers, retries, dead letters, digests,
a killed process, and ``monitor alerts`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import jsonschema
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.dispatch import LEASE, claim, dispatch_due
from monitor.alerts.webhook import schema, verify_signature
from monitor.cli import main
from monitor.config import Settings, parse_settings
from monitor.models import Alert, AlertAttempt, Change

from .conftest import REPO
from .factories import T0, Said, add_report, store_report, words
from .receivers import Reply, SMTPReceiver, WebhookReceiver, self_signed_cert

SECRET = "hook-secret-0123456789abcdef"
FACTS = """
facts:
  - {id: coalition.countries, label: Countries in the coalition, kind: count, units: [countries]}
"""


def settings_for(alerts_yaml: str, **env: str) -> Settings:
    return parse_settings(FACTS + alerts_yaml, env={"HOOK_SECRET": SECRET, **env})


def hook_yaml(*urls: str, rule: str = "{channels: [hook]}", extra: str = "") -> str:
    names = ["hook", "other", "third"]
    channels = "".join(
        f"    - {{kind: webhook, name: {names[i]}, url: '{u}', secret: '${{HOOK_SECRET}}',"
        " timeout: 1s}\n"
        for i, u in enumerate(urls)
    )
    return f"alerts:\n  min_backoff: 30s\n{extra}  channels:\n{channels}  rules:\n    - {rule}\n"


def report(
    engine: Engine,
    settings: Settings,
    n: int,
    outlet: str,
    value: int,
    *,
    published: datetime,
    now: datetime | None = None,
    fact: str = "coalition.countries",
    earlier: int | None = None,
    sentence: str | None = None,
) -> list[Change]:
    """Store article ``n`` from ``outlet`` saying ``value`` and record the decision on it."""
    stated = [(value, "current")] + ([(earlier, "historical")] if earlier else [])
    return store_report(
        engine,
        n,
        outlet,
        [Said(v, mention, sentence=sentence) for v, mention in stated],
        published=published,
        now=now or published + timedelta(minutes=5),
        settings=settings,
        text=f"Article {n}: {words(n)}",
        title=f"Report {n} from {outlet}",
        fact=fact,
    ).changes


def dispatch(engine: Engine, settings: Settings, now: datetime) -> int:
    async def run() -> int:
        async with httpx.AsyncClient() as http:
            return await dispatch_due(engine, settings, now=now, http=http)

    return asyncio.run(run())


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as s:
        return list(s.exec(select(Alert).order_by(col(Alert.id))).all())


def attempts(engine: Engine, alert_id: int) -> list[AlertAttempt]:
    with Session(engine) as s:
        stmt = select(AlertAttempt).where(AlertAttempt.alert_id == alert_id)
        return list(s.exec(stmt.order_by(col(AlertAttempt.id))).all())


def parts(msg: EmailMessage) -> tuple[str, str]:
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_email_says_old_new_quote_outlet_link_and_history(engine: Engine) -> None:
    with SMTPReceiver() as smtp:
        settings = settings_for(
            "alerts:\n  channels:\n"
            f"    - {{kind: email, name: ops, host: 127.0.0.1, port: {smtp.port}, "
            "security: none, sender: monitor@example.org, to: [desk@example.org, ed@example.org]}\n"
            "  rules:\n    - {channels: [ops], include_first: false}\n"
        )
        assert report(engine, settings, 1, "alpha", 31, published=T0)[0].kind == "first"
        (change,) = report(
            engine,
            settings,
            2,
            "beta",
            35,
            published=T0 + timedelta(days=10),
            earlier=31,
            sentence="Now <b>35 countries</b> & partners took part, officials said.",
        )
        assert change.kind == "change"
        (alert,) = alerts(engine)
        assert dispatch(engine, settings, T0 + timedelta(days=10, minutes=6)) == 1
        (msg,) = smtp.messages
    assert smtp.inbox.envelopes == [("monitor@example.org", ["desk@example.org", "ed@example.org"])]
    assert msg["Subject"] == "[monitor] change: Countries in the coalition 31 → 35"
    assert msg["X-Monitor-Idempotency-Key"] == alert.idempotency_key
    assert msg["Message-ID"] == f"<{alert.idempotency_key}@example.org>"
    text, html = parts(msg)
    assert "change: Countries in the coalition 31 → 35" in text
    assert '"35 countries"' in text and "Reported by beta" in text
    assert "Link: https://beta.example/news/2" in text
    history = text.split("Recent history:")[1]
    assert history.index("35  (current") < history.index("31  (superseded")
    assert "31 → 35" in html and "&lt;b&gt;35 countries&lt;/b&gt; &amp; partners" in html
    assert '<a href="https://beta.example/news/2">Report 2 from beta</a>' in html
    assert alerts(engine)[0].state == "delivered"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_email_over_starttls_or_tls_logs_in_with_the_password_from_the_environment(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    security: str,
) -> None:
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # trust the test CA, as a private relay would
    users = {"monitor": "pa55-word"}
    with SMTPReceiver(security=security, cert=cert, users=users) as smtp:
        text = (
            "alerts:\n  channels:\n"
            f"    - {{kind: email, name: ops, host: 127.0.0.1, port: {smtp.port}, "
            f"security: {security}, username: monitor, password: '${{SMTP_PASSWORD}}', "
            "sender: monitor@example.org, to: [desk@example.org]}\n"
            "  rules:\n    - {channels: [ops]}\n"
        )
        settings = settings_for(text, SMTP_PASSWORD="pa55-word")
        report(engine, settings, 1, "alpha", 31, published=T0)
        assert dispatch(engine, settings, T0 + timedelta(minutes=6)) == 1
        (msg,) = smtp.messages
        assert smtp.logins == ["monitor"]
        assert msg["Subject"] == "[monitor] new fact: Countries in the coalition = 31"

        wrong = settings_for(text, SMTP_PASSWORD="not-it")
        report(engine, wrong, 2, "beta", 31, published=T0, fact="force.troops")
        dispatch(engine, wrong, T0 + timedelta(minutes=7))
        assert len(smtp.messages) == 1
    refused = alerts(engine)[-1]
    assert refused.state == "dead" and "refused the login of 'monitor'" in (
        refused.last_error or ""
    )
    assert "not-it" not in (refused.last_error or "")


def test_webhook_is_signed_follows_the_schema_and_names_the_event(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url()))
        report(engine, settings, 1, "alpha", 31, published=T0)
        now = T0 + timedelta(minutes=6)
        assert dispatch(engine, settings, now) == 1
        (got,) = hook.requests
    (alert,) = alerts(engine)
    assert got.headers["x-monitor-event"] == "fact.first"
    assert got.headers["x-monitor-idempotency-key"] == alert.idempotency_key
    assert got.headers["x-monitor-timestamp"] == str(int(now.timestamp()))
    signature = got.headers["x-monitor-signature"]
    assert verify_signature(SECRET, got.body, signature, now=now.timestamp())
    assert not verify_signature("not-the-secret-at-all", got.body, signature, now=now.timestamp())
    assert not verify_signature(SECRET, got.body, signature)  # stale: signed at T0 (2025)
    payload = json.loads(got.body)
    jsonschema.validate(payload, schema())
    (item,) = payload["changes"]
    assert (payload["event"], payload["idempotency_key"]) == ("fact.first", alert.idempotency_key)
    assert (item["fact"], item["old"], item["new"], item["kind"]) == (
        "coalition.countries",
        None,
        31,
        "first",
    )
    assert item["evidence"]["url"] == "https://alpha.example/news/1"
    assert item["evidence"]["quote"] == "31 countries"


def test_a_receiver_failing_three_times_gets_the_alert_once(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        hook.script += [Reply(500), Reply(500), Reply(502)]
        settings = settings_for(hook_yaml(hook.url()))
        report(engine, settings, 1, "alpha", 31, published=T0)
        (alert,) = alerts(engine)
        t = T0 + timedelta(minutes=6)
        seen = []
        for offset in (0, 10, 30, 60, 90, 200, 210, 400, 86400):
            seen.append(dispatch(engine, settings, t + timedelta(seconds=offset)))
            seen.append(len(hook.requests))
        keys = {r.headers["x-monitor-idempotency-key"] for r in hook.requests}
        bodies = {r.body for r in hook.requests}
    # back-off 30 s, 60 s, 120 s: attempts at +0, +30, +90, +210; nothing before, nothing after
    assert seen == [0, 1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3, 1, 4, 0, 4, 0, 4]
    assert keys == {alert.idempotency_key} and len(bodies) == 1
    assert len(hook.accepted) == 1
    assert [(a.ok, a.status_code) for a in attempts(engine, alert.id or 0)] == [
        (False, 500),
        (False, 500),
        (False, 502),
        (True, 200),
    ]
    (done,) = alerts(engine)
    assert (done.state, done.attempts, done.last_error) == ("delivered", 4, None)


def test_retry_after_from_429_delays_the_next_attempt(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        hook.script += [Reply(429, {"Retry-After": "600"}), Reply(503, {"Retry-After": "5"})]
        settings = settings_for(hook_yaml(hook.url()))
        report(engine, settings, 1, "alpha", 31, published=T0)
        t = T0 + timedelta(minutes=6)
        dispatch(engine, settings, t)
        (alert,) = alerts(engine)
        assert alert.state == "failed" and "429" in (alert.last_error or "")
        assert alert.next_attempt_at == t + timedelta(seconds=600)
        dispatch(engine, settings, t + timedelta(seconds=599))
        assert len(hook.requests) == 1
        dispatch(engine, settings, t + timedelta(seconds=600))
        assert len(hook.requests) == 2
        # a Retry-After shorter than the back-off does not shorten it (2nd failure: 60 s)
        assert alerts(engine)[0].next_attempt_at == t + timedelta(seconds=660)


def _config(tmp_path: Path, db_url: str, alerts_yaml: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"database_url: {json.dumps(db_url)}\n{FACTS}{alerts_yaml}", encoding="utf-8")
    return path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dead_after_max_attempts_is_listed_and_retry_resends(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    with WebhookReceiver() as hook:
        hook.script += [Reply(500)] * 3
        yaml_text = hook_yaml(hook.url(), extra="  max_attempts: 3\n")
        settings = settings_for(yaml_text)
        config = str(_config(tmp_path, db_url, yaml_text))
        report(engine, settings, 1, "alpha", 31, published=T0)
        for minutes in (6, 7, 9):
            dispatch(engine, settings, T0 + timedelta(minutes=minutes))
        (alert,) = alerts(engine)
        assert (alert.state, alert.next_attempt_at) == ("dead", None)
        assert dispatch(engine, settings, T0 + timedelta(days=3)) == 0
        assert len(hook.requests) == 3

        code, out, _ = _cli(
            capsys, "--config", config, "alerts", "--state", "dead", "--format", "json"
        )
        (row,) = json.loads(out)
        assert (code, row["id"], row["state"], row["attempts"], row["fact"]) == (
            0,
            alert.id,
            "dead",
            3,
            "coalition.countries",
        )
        assert "answered 500" in row["last_error"] and row["delivered"] is None
        code, out, _ = _cli(capsys, "--config", config, "alerts")
        assert code == 0 and "dead" in out and "hook" in out

        code, out, err = _cli(
            capsys, "--config", config, "alerts", "--retry", str(alert.id), "--dispatch"
        )
        assert code == 0, err
        assert f"alert {alert.id} (hook) re-queued" in err and "delivered 1 alert(s)" in err
        assert len(hook.requests) == 4 and len(hook.accepted) == 1
        assert {r.headers["x-monitor-idempotency-key"] for r in hook.requests} == {
            alert.idempotency_key
        }
        assert verify_signature(
            SECRET, hook.requests[-1].body, hook.requests[-1].headers["x-monitor-signature"]
        )
    (done,) = alerts(engine)
    assert done.state == "delivered" and len(attempts(engine, alert.id or 0)) == 4

    code, _, err = _cli(capsys, "--config", config, "alerts", "--retry", str(alert.id))
    assert code == 2 and "was delivered" in err and "nothing to retry" in err
    code, _, err = _cli(capsys, "--config", config, "alerts", "--retry", "9999")
    assert code == 2 and "no alert with id 9999" in err and "monitor alerts --state dead" in err


def test_a_refusal_is_dead_at_once(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        hook.script += [Reply(410)]
        settings = settings_for(hook_yaml(hook.url("/hook/T0KEN?key=T0KEN")))
        report(engine, settings, 1, "alpha", 31, published=T0)
        dispatch(engine, settings, T0 + timedelta(minutes=6))
    (alert,) = alerts(engine)
    assert alert.state == "dead" and "answered 410" in (alert.last_error or "")
    assert "monitor alerts --retry" in (alert.last_error or "")
    assert "T0KEN" not in (alert.last_error or ""), "a token in the hook URL must not be stored"


def test_a_slow_channel_does_not_delay_the_others(engine: Engine) -> None:
    with WebhookReceiver() as slow, WebhookReceiver() as fast, SMTPReceiver() as smtp:
        slow.script += [Reply(200, delay=3.0)]
        yaml_text = hook_yaml(slow.url(), fast.url(), rule="{channels: [hook, other, mail]}")
        yaml_text = yaml_text.replace(
            "  rules:",
            f"    - {{kind: email, name: mail, host: 127.0.0.1, port: {smtp.port}, "
            "security: none, sender: m@example.org, to: [d@example.org]}\n  rules:",
        )
        settings = settings_for(yaml_text)
        report(engine, settings, 1, "alpha", 31, published=T0)
        report(engine, settings, 2, "alpha", 5, published=T0, fact="force.troops")
        started = time.monotonic()
        delivered = dispatch(engine, settings, T0 + timedelta(minutes=6))
        elapsed = time.monotonic() - started
        assert len(fast.accepted) == 2 and len(smtp.messages) == 2
        assert max(r.at for r in fast.requests) - started < 1.0
    assert delivered == 4
    by_channel: dict[str, list[str]] = {}
    for a in alerts(engine):
        by_channel.setdefault(a.channel, []).append(a.state)
    # the slow hook's first alert timed out (1 s); its second waits for the retry, unattempted
    assert by_channel == {
        "hook": ["failed", "pending"],
        "other": ["delivered", "delivered"],
        "mail": ["delivered", "delivered"],
    }
    assert elapsed < 2.9
    hook_alert = next(a for a in alerts(engine) if a.channel == "hook" and a.state == "failed")
    assert "no answer" in (hook_alert.last_error or "")


def test_a_digest_sends_one_message_for_several_changes(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url(), rule="{channels: [hook], digest: 10m}"))
        for i, fact in enumerate(("coalition.countries", "force.troops", "force.ships")):
            report(
                engine,
                settings,
                i,
                "alpha",
                31 + i,
                fact=fact,
                published=T0,
                now=T0 + timedelta(minutes=i),
            )
        assert [a.state for a in alerts(engine)] == ["pending", "batched", "batched"]
        assert dispatch(engine, settings, T0 + timedelta(minutes=9, seconds=59)) == 0
        assert hook.requests == []
        assert dispatch(engine, settings, T0 + timedelta(minutes=10)) == 1
        report(
            engine,
            settings,
            9,
            "alpha",
            7,
            fact="force.jets",
            published=T0,
            now=T0 + timedelta(minutes=11),
        )
        assert dispatch(engine, settings, T0 + timedelta(minutes=12)) == 0
        (got,) = hook.requests
    payload = json.loads(got.body)
    jsonschema.validate(payload, schema())
    assert got.headers["x-monitor-event"] == "fact.digest" and payload["digest"] is True
    assert [c["fact"] for c in payload["changes"]] == [
        "coalition.countries",
        "force.troops",
        "force.ships",
    ]
    states = [(a.state, a.delivered_at) for a in alerts(engine)]
    done = T0 + timedelta(minutes=10)
    assert states == [("delivered", done)] * 3 + [("pending", None)]


def test_alerts_roll_back_with_their_change(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url()))
        with Session(engine) as s:
            stored = add_report(
                s,
                1,
                "a",
                [Said(31)],
                published=T0,
                now=T0,
                settings=settings,
                text="Officials said 31 countries.",
            )
            assert len(stored.changes) == 1
            assert len(s.exec(select(Alert)).all()) == 1
            s.rollback()
        assert alerts(engine) == []


def test_a_lease_keeps_other_dispatchers_off_until_it_expires(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url()))
        report(engine, settings, 1, "alpha", 31, published=T0)
    postgres = engine.dialect.name == "postgresql"
    now = T0 + timedelta(minutes=6)
    with Session(engine) as s:
        first = claim(s, now=now, limit=10, postgres=postgres)
        s.commit()
    with Session(engine) as s:
        assert claim(s, now=now + LEASE - timedelta(seconds=1), limit=10, postgres=postgres) == []
        s.commit()
    # the claimer died: after the lease the alert is claimed again, same row, same key
    with Session(engine) as s:
        assert claim(s, now=now + LEASE, limit=10, postgres=postgres) == first != []
        s.commit()


CHILD = """
import sys, time
from datetime import UTC, datetime
from monitor.config import load_settings
from monitor.store import create_db_engine
from tests.test_alerts_delivery import report

settings = load_settings(sys.argv[1])
engine = create_db_engine(settings.database_url)
now = datetime.now(UTC)
changes = report(engine, settings, 1, "alpha", 31, published=now, now=now)
print("committed", len(changes), flush=True)
time.sleep(120)
print("dispatching", flush=True)
"""


def test_alert_committed_before_a_sigkill_is_delivered_after_restart(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_DATABASE_URL"}
    env["HOOK_SECRET"] = SECRET
    with WebhookReceiver() as hook:
        config = str(_config(tmp_path, db_url, hook_yaml(hook.url())))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, config],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().split() == ["committed", "1"]
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            if child.stdout is not None:
                child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        assert hook.requests == []
        (alert,) = alerts(engine)
        assert alert.state == "pending"
        restarted = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli",
                "--config",
                config,
                "alerts",
                "--dispatch",
                "--format",
                "json",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert restarted.returncode == 0, restarted.stderr
        assert "delivered 1 alert(s)" in restarted.stderr
        (row,) = json.loads(restarted.stdout)
        assert row["state"] == "delivered"
        (got,) = hook.requests
        assert got.headers["x-monitor-idempotency-key"] == alert.idempotency_key
        assert verify_signature(SECRET, got.body, got.headers["x-monitor-signature"])


def test_two_dispatchers_at_once_deliver_each_alert_once(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        hook.script += [Reply(200, delay=0.05)] * 12
        settings = settings_for(hook_yaml(hook.url()))
        for i in range(12):
            report(engine, settings, i, "alpha", 10 + i, fact=f"fact.n{i}", published=T0)
        now = T0 + timedelta(minutes=6)
        results: list[int] = []

        def run() -> None:
            results.append(dispatch(engine, settings, now))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        keys = [r.headers["x-monitor-idempotency-key"] for r in hook.requests]
    assert sum(results) == 12 and len(keys) == 12 and len(set(keys)) == 12
    assert {a.state for a in alerts(engine)} == {"delivered"}
    assert all(len(attempts(engine, a.id or 0)) == 1 for a in alerts(engine))


def test_a_poll_pass_delivers_the_alerts_of_the_changes_it_recorded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.servers import LocalServer, Route, page, rss
    from tests.test_pipeline import PARAS, open_test_app, poll, write_config

    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with LocalServer() as srv, WebhookReceiver() as hook:
        srv.routes["/feed.xml"] = Route(
            body=rss(
                [
                    {
                        "title": "Talks",
                        "link": srv.url("/a1"),
                        "date": "Fri, 05 Sep 2025 08:00:00 GMT",
                    }
                ]
            ),
            content_type="application/rss+xml",
        )
        srv.routes["/a1"] = Route(body=page("Paris talks", PARAS))
        alerts_cfg = {
            "channels": [
                {"kind": "webhook", "name": "hook", "url": hook.url(), "secret": "${HOOK_SECRET}"}
            ],
            "rules": [{"channels": ["hook"]}],
        }
        config = write_config(
            tmp_path,
            db_url,
            [{"name": "wire", "url": srv.url("/feed.xml"), "outlet": "Wire"}],
            alerts=alerts_cfg,
        )
        app = open_test_app(config)
        try:
            now = datetime(2025, 9, 5, 12, 0, tzinfo=UTC)
            report = poll(app, now)
            with Session(app.engine) as s:
                worthy = s.exec(select(Change).where(col(Change.alert).is_(True))).all()
            assert report.changes_new >= len(worthy) > 0
            assert report.alerts_delivered == len(worthy) == len(hook.accepted)
            for got in hook.accepted:
                assert verify_signature(
                    SECRET, got.body, got.headers["x-monitor-signature"], now=now.timestamp()
                )
                assert json.loads(got.body)["changes"][0]["evidence"]["url"] == srv.url("/a1")
            assert {a.state for a in alerts(app.engine)} == {"delivered"}
            again = poll(app, now + timedelta(hours=2))
            assert again.alerts_delivered == 0 and len(hook.requests) == len(worthy)
        finally:
            app.close()


def test_an_alert_joining_a_digest_already_sent_is_sent_on_its_own(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url(), rule="{channels: [hook], digest: 10m}"))
        report(engine, settings, 1, "alpha", 31, published=T0)
        (change,) = report(engine, settings, 2, "alpha", 5, fact="force.troops", published=T0)
        assert dispatch(engine, settings, T0 + timedelta(minutes=20)) == 1
        leader, _follower = alerts(engine)
        # a process with a slow clock attached an alert to the digest after it was sent
        with Session(engine) as s:
            late = Alert(
                change_id=change.id,
                channel="hook",
                idempotency_key="late-key",
                state="batched",
                digest_of=leader.id,
                created_at=T0,
            )
            s.add(late)
            s.commit()
        assert dispatch(engine, settings, T0 + timedelta(minutes=21)) == 1
        keys = [r.headers["x-monitor-idempotency-key"] for r in hook.requests]
    assert keys == [leader.idempotency_key, "late-key"]
    assert [(a.state, a.digest_of) for a in alerts(engine)] == [
        ("delivered", None),
        ("delivered", leader.id),
        ("delivered", None),
    ]


def test_an_alert_for_a_channel_removed_from_the_config_fails_with_advice(engine: Engine) -> None:
    with WebhookReceiver() as hook:
        before = settings_for(hook_yaml(hook.url(), hook.url("/other"), rule="{channels: [other]}"))
        report(engine, before, 1, "alpha", 31, published=T0)
        after = settings_for(hook_yaml(hook.url()))
        assert dispatch(engine, after, T0 + timedelta(minutes=6)) == 0
        assert hook.requests == []
    (alert,) = alerts(engine)
    assert alert.state == "failed" and alert.next_attempt_at == T0 + timedelta(
        minutes=6, seconds=30
    )
    assert "channel 'other' is no longer configured" in (alert.last_error or "")


def test_an_alert_that_cannot_be_rendered_goes_dead_without_blocking_others(
    engine: Engine,
) -> None:
    with WebhookReceiver() as hook:
        settings = settings_for(hook_yaml(hook.url()))
        with Session(engine) as s:
            broken = Change(
                fact="coalition.countries",
                kind="change",
                old_json="31",
                new_json="{not json",
                decided_at=T0,
                alert=True,
            )
            s.add(broken)
            s.flush()
            s.add(
                Alert(
                    change_id=broken.id,
                    channel="hook",
                    idempotency_key="broken",
                    next_attempt_at=T0,
                    created_at=T0,
                )
            )
            s.commit()
        report(engine, settings, 1, "alpha", 5, fact="force.troops", published=T0)
        assert dispatch(engine, settings, T0 + timedelta(minutes=6)) == 1
        assert len(hook.requests) == 1
    bad, good = alerts(engine)
    assert (bad.state, good.state) == ("dead", "delivered")
    assert "cannot be rendered" in (bad.last_error or "")

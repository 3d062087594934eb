"""The pages' sessions: signed, expiring, tied to a token that is still configured."""

from __future__ import annotations

import time

from monitor.web.auth import Gate


def test_a_session_expires_after_its_lifetime() -> None:
    gate = Gate(secrets=[b"tok-1"], lifetime_s=1)
    cookie = gate.issue("tok-1")
    assert gate.session_ok(cookie)
    time.sleep(2.1)  # itsdangerous stamps whole seconds
    assert not gate.session_ok(cookie)


def test_removing_a_token_ends_its_sessions_and_the_cookie_does_not_carry_it() -> None:
    before = Gate(secrets=[b"tok-1", b"tok-2"], lifetime_s=3600)
    cookie = before.issue("tok-1")
    assert "tok-1" not in cookie
    assert before.session_ok(cookie)
    # The service restarts without tok-1 (rotated away): its sessions are gone, tok-2's stay.
    after = Gate(secrets=[b"tok-2"], lifetime_s=3600)
    assert not after.session_ok(cookie)
    still = Gate(secrets=[b"tok-1", b"tok-2"], lifetime_s=3600)
    assert still.session_ok(cookie)  # a restart with the same tokens keeps everyone signed in


def test_without_tokens_the_pages_are_open_and_any_token_is_wrong_with_tokens() -> None:
    assert Gate(secrets=[], lifetime_s=60).session_ok(None)
    gate = Gate(secrets=[b"tok-1"], lifetime_s=60)
    assert not gate.token_ok("tok-2") and not gate.token_ok("") and gate.token_ok("tok-1")
    assert not gate.session_ok(None) and not gate.session_ok("garbage")

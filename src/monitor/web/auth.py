"""Who may see the pages: the API's bearer tokens, by header or by a signed session cookie.

The sign-in form takes a token and answers with a cookie that is HttpOnly, SameSite=Strict,
signed (itsdangerous) and expiring (``api.session_lifetime``); the token itself never appears in
a URL or the cookie: the cookie names the token by a fingerprint, so removing a token from
``api.tokens`` ends its sessions. Repeated wrong tokens from one client are answered ever more
slowly (up to :data:`MAX_DELAY` seconds), which makes guessing impractically slow.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "monitor_session"
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
FORGET_AFTER = 900.0  # a client's failures are forgotten after 15 quiet minutes


def _fingerprint(secret: bytes) -> str:
    return hashlib.sha256(b"monitor-web-session\0" + secret).hexdigest()[:32]


@dataclass
class Gate:
    """Checks tokens and session cookies; remembers recent failures per client address."""

    secrets: list[bytes]
    lifetime_s: float
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The signing key follows from the tokens: sessions survive a restart and die with
        # their token; nothing new to configure or keep secret.
        key = hashlib.sha256(b"\0".join([b"monitor-web-key", *sorted(self.secrets)])).digest()
        self._signer = URLSafeTimedSerializer(key, salt="monitor-session")

    @property
    def open(self) -> bool:
        """No tokens configured: the service is loopback-only and needs no sign-in."""
        return not self.secrets

    def token_ok(self, given: str | None) -> bool:
        """Whether ``given`` is one of the tokens (constant time, every token compared)."""
        if self.open:
            return True
        if not given:
            return False
        raw = given.encode()
        ok = False
        for secret in self.secrets:
            ok |= hmac.compare_digest(raw, secret)
        return ok

    def issue(self, token: str) -> str:
        """The cookie value for a session opened with ``token`` (already checked)."""
        return str(self._signer.dumps({"t": _fingerprint(token.encode())}))

    def session_ok(self, cookie: str | None) -> bool:
        """Whether ``cookie`` is a session we signed, not expired, for a token still valid."""
        if self.open:
            return True
        if not cookie:
            return False
        try:
            data = self._signer.loads(cookie, max_age=int(self.lifetime_s))
        except BadSignature:  # also SignatureExpired
            return False
        known = {_fingerprint(s) for s in self.secrets}
        return isinstance(data, dict) and data.get("t") in known

    async def failed(self, client: str) -> float:
        """Record a wrong token from ``client`` and wait before answering; returns the delay."""
        now = time.monotonic()
        count, last = self.failures.get(client, (0, now))
        if now - last > FORGET_AFTER:
            count = 0
        count += 1
        self.failures[client] = (count, now)
        if len(self.failures) > 10_000:  # bounded memory under a spray of addresses
            self.failures = {k: v for k, v in self.failures.items() if now - v[1] < FORGET_AFTER}
        delay: float = min(MAX_DELAY, FIRST_DELAY * 2.0 ** (count - 1))
        await asyncio.sleep(delay)
        return delay

    def succeeded(self, client: str) -> None:
        """A right token: the client's failures are forgotten."""
        self.failures.pop(client, None)

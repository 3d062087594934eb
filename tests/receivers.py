"""Real receivers on 127.0.0.1 for alert tests: an SMTP server (aiosmtpd) and a webhook server.

Both run in threads and record what they received. The webhook server answers from a script
of responses (status, headers, delay), one per request, then 200.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .servers import QuietHandler, ThreadedServer, free_port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, made by the openssl command line tool."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class SMTPReceiver:
    """``with SMTPReceiver() as smtp: ...; smtp.messages`` (parsed :class:`EmailMessage`).

    ``security``: ``none``, ``starttls`` (required before MAIL) or ``tls`` (implicit), with
    ``cert`` = (certificate, key); ``users`` makes AUTH required (login -> password).
    """

    def __init__(
        self,
        *,
        security: str = "none",
        cert: tuple[Path, Path] | None = None,
        users: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.logins: list[str] = []
        kwargs: dict[str, Any] = {}
        if security != "none":
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            if security == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        if users is not None:

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                assert isinstance(data, LoginPassword)
                login, password = data.login.decode(), data.password.decode()
                ok = users.get(login) == password
                if ok:
                    self.logins.append(login)
                return AuthResult(success=ok, handled=False)

            kwargs.update(
                authenticator=authenticate,
                # aiosmtpd's TLS check knows STARTTLS only: over implicit TLS, AUTH is offered
                # (and checked) without being required
                auth_required=security != "tls",
                auth_require_tls=security != "tls",
            )
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.inbox.lock:
            return list(self.inbox.messages)

    def __enter__(self) -> SMTPReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@dataclass
class Reply:
    """One scripted answer of the webhook receiver."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Delivery:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int


class WebhookReceiver(ThreadedServer):
    """``with WebhookReceiver() as hook: hook.script += [Reply(500)]; hook.url('/x')``."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Delivery] = []
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    def url(self, path: str = "/hook") -> str:
        return super().url(path)

    def next_reply(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if self.script else Reply()

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            self.requests.append(delivery)

    @property
    def accepted(self) -> list[Delivery]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrived = time.monotonic()
            reply = receiver.next_reply()
            if reply.delay:
                time.sleep(reply.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.record(Delivery(self.path, headers, body, arrived, reply.status))
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the client gave up (timeout test)

    return Handler

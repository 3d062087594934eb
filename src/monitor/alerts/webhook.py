"""Webhook channel: a signed JSON POST per alert.

Headers: ``X-Monitor-Event`` (``fact.change``, ``fact.digest``...), ``X-Monitor-Idempotency-Key``
(the same on every retry of an alert), ``X-Monitor-Timestamp`` (Unix seconds) and
``X-Monitor-Signature: t=<timestamp>,v1=<hex>``, the HMAC-SHA256 with the channel's secret of
``"<timestamp>." + body``. Receivers check it with :func:`verify_signature` (or the README's
snippet), reject stale timestamps, and drop repeated idempotency keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import datetime
from importlib import resources
from typing import Any, cast

import httpx

from monitor.alerts.render import Rendered
from monitor.config import WebhookChannel
from monitor.errors import AlertError
from monitor.fetch import retry_after_seconds

TOLERANCE = 300.0
CONTENT_TYPE = "application/json"
# 408/425/429 and 5xx may succeed later; any other 4xx will not until someone changes something.
TEMPORARY = frozenset({408, 425, 429})


def schema() -> dict[str, Any]:
    """The published JSON Schema of the payload (``monitor/schemas/webhook-v1.json``)."""
    text = resources.files("monitor").joinpath("schemas/webhook-v1.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Monitor-Signature`` header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (``X-Monitor-Signature``) signs ``body`` with ``secret``, recently.

    ``now`` is Unix time (default: the clock); a signature older or newer than ``tolerance``
    seconds is refused, so a captured request cannot be replayed later.
    """
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def headers(
    channel: WebhookChannel, rendered: Rendered, key: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The request headers of one attempt (a fresh timestamp and signature each time)."""
    timestamp = int(now.timestamp())
    return {
        "Content-Type": CONTENT_TYPE,
        "X-Monitor-Event": rendered.event,
        "X-Monitor-Idempotency-Key": key,
        "X-Monitor-Timestamp": str(timestamp),
        "X-Monitor-Signature": sign(channel.secret.get_secret_value(), timestamp, body),
    }


async def deliver(
    http: httpx.AsyncClient,
    channel: WebhookChannel,
    rendered: Rendered,
    key: str,
    *,
    now: datetime,
) -> int:
    """POST the alert; returns the 2xx status or raises :class:`AlertError`."""
    body = body_of(rendered.payload)
    timeout = channel.timeout.total_seconds()
    where = _origin(channel.url)
    try:
        response = await http.post(
            channel.url,
            content=body,
            headers=headers(channel, rendered, key, body, now),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise AlertError(
            f"webhook {channel.name!r}: no answer from {where} within {timeout:g} s"
        ) from exc
    except httpx.HTTPError as exc:
        raise AlertError(f"webhook {channel.name!r}: cannot reach {where}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return status
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    if 300 <= status < 400:
        target = _origin(response.headers.get("location", "")) or "?"
        raise AlertError(
            f"webhook {channel.name!r}: {where} redirects ({status}) to {target}; "
            "set the channel's url to the final address",
            permanent=True,
            status=status,
        )
    temporary = status in TEMPORARY or status >= 500
    advice = "will retry" if temporary else "fix the receiver, then `monitor alerts --retry ID`"
    raise AlertError(
        f"webhook {channel.name!r}: {where} answered {status} {response.reason_phrase}; {advice}",
        permanent=not temporary,
        retry_after=retry_after,
        status=status,
    )


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: hook URLs often carry a token in the path or query,
    and messages (stored, logged) must not."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

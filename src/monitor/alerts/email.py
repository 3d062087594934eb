"""Email channel: one multipart (plain text + HTML) message per alert over SMTP.

``security``: ``starttls`` (upgrade a plain connection, port 587), ``tls`` (implicit TLS, port
465) or ``none`` (a local relay only). Credentials come from the configuration, where they are
``${VAR}`` references to the environment. :mod:`smtplib` blocks, so it runs in a thread; its
socket timeout is the channel's ``timeout``.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from monitor.alerts.render import Rendered
from monitor.config import EmailChannel
from monitor.errors import AlertError


def build_message(
    channel: EmailChannel, rendered: Rendered, key: str, *, now: datetime
) -> EmailMessage:
    """The message: subject, sender, recipients, a stable Message-ID, text and HTML parts."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = format_datetime(now)
    # The same Message-ID on every retry lets mail clients fold a duplicate into one.
    msg["Message-ID"] = f"<{key}@{channel.sender.rpartition('@')[2]}>"
    msg["X-Monitor-Event"] = rendered.event
    msg["X-Monitor-Idempotency-Key"] = key
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def send(channel: EmailChannel, msg: EmailMessage) -> None:
    """Hand ``msg`` to the SMTP server (blocking); raises :class:`AlertError` on failure."""
    timeout = channel.timeout.total_seconds()
    where = f"email {channel.name!r}: {channel.host}:{channel.port}"
    try:
        smtp: smtplib.SMTP
        if channel.security == "tls":
            smtp = smtplib.SMTP_SSL(
                channel.host, channel.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                password = channel.password.get_secret_value() if channel.password else ""
                smtp.login(channel.username, password)
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertError(
            f"{where} refused the login of {channel.username!r} ({exc.smtp_code}); check the "
            "username and the password variable, then `monitor alerts --retry ID`",
            permanent=True,
            status=exc.smtp_code,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise AlertError(
            f"{where}: {exc}; check the channel's security (starttls/tls) and username",
            permanent=True,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise AlertError(
            f"{where} refused the recipients {sorted(exc.recipients)}; fix `to`, then "
            "`monitor alerts --retry ID`",
            permanent=True,
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise AlertError(
            f"{where} answered {exc.smtp_code} {exc.smtp_error!r}",
            permanent=500 <= exc.smtp_code < 600,
            status=exc.smtp_code,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise AlertError(f"{where} failed: {exc or type(exc).__name__}") from exc


async def deliver(channel: EmailChannel, rendered: Rendered, key: str, *, now: datetime) -> None:
    """Send the alert by email without blocking the event loop."""
    await asyncio.to_thread(send, channel, build_message(channel, rendered, key, now=now))

"""Values and times in words for people: the one formatter behind every human-facing output.

CLI tables, the web pages, Atom titles, alert emails and log messages all call
:func:`value_text` and :func:`when_text`, so "up to 10,000" reads the same everywhere (issue 12).
JSON keeps the structured form (``[null, 10000]``, ISO 8601 with offset).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NONE = "none"
ARROW = "→"
# What each recorded decision is called where people read it.
KIND_TITLES = {
    "first": "new fact",
    "change": "change",
    "refinement": "refinement",
    "confirmation": "confirmation",
    "confirmed": "confirmed",
    "conflict": "disputed",
    "resolved": "dispute resolved",
    "backfill": "backfill",
}


def value_text(value: Any) -> str:
    """A fact value in words: ``31``, ``up to 10,000``, ``more than 30``, ``2,000 to 9,999``.

    Integers get thousands separators; a range ``(low, high)`` with an open end says which way
    it is open; a term status (``present``, ``removed``) is shown as it is; ``None`` is "none".
    """
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple) and len(value) == 2:
        lo, hi = value
        if lo is None and hi is None:
            return "unknown"
        if hi is None:
            # "more than 30" is stored as (31, None): say it the way it was said when it reads so.
            return f"more than {lo - 1:,}" if _round(lo - 1) else f"at least {lo:,}"
        if lo is None:
            return (
                f"fewer than {hi + 1:,}" if _round(hi + 1) and not _round(hi) else f"up to {hi:,}"
            )
        return f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
    return str(value).replace("_", " ")


def key_label(fact: str, qualifier: str | None, term: str | None) -> str:
    """``force.troops [France]``: a key as users write it."""
    extra = qualifier if qualifier is not None else term
    return fact if extra is None else f"{fact} [{extra}]"


def stored_text(raw: str | None) -> str:
    """:func:`value_text` of a value as stored (JSON text, ``None`` when absent)."""
    return value_text(None if raw is None else json.loads(raw))


def change_text(kind: str, old: Any, new: Any) -> str:
    """``new fact: 12``, ``change: 26 → 31``, ``30 confirmed``, ``disputed: 26 → 24``."""
    if kind == "first" or old is None:
        return f"new fact: {value_text(new)}"
    if kind in ("confirmed", "confirmation") and old == new:
        return f"{value_text(new)} {KIND_TITLES[kind]}"
    return f"{KIND_TITLES.get(kind, kind)}: {value_text(old)} {ARROW} {value_text(new)}"


def zone(name: str) -> tzinfo:
    """The time zone called ``name`` (``UTC``, ``Europe/Kyiv``); ValueError when unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not a time zone; write an IANA name such as UTC or Europe/Kyiv"
        ) from exc


def when_text(when: datetime | str | None, tz: tzinfo = UTC, *, empty: str = "") -> str:
    """``2025-03-05 20:00 UTC`` (or the local time and zone abbreviation of ``tz``)."""
    if when is None or when == "":
        return empty
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def day_text(when: datetime | str | None, tz: tzinfo = UTC) -> str:
    """``2025-03-05`` in ``tz``; empty for no time."""
    text = when_text(when, tz)
    return text[:10]


def _round(n: int) -> bool:
    return n >= 10 and n % 10 == 0

"""Values from outside made storable: what PostgreSQL refuses is removed, lengths are bounded.

Feeds, pages and servers send anything: a NUL (``&#0;``) in a title, a 3,000-character link, a
600-character ETag. PostgreSQL refuses NUL in text and lone surrogates (not UTF-8), and a value
longer than its ``VARCHAR`` column fails the whole transaction (issue 10); SQLite takes them, so
both back ends store the same cleaned values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Bound parameters per statement: SQLite's oldest limit is 999, PostgreSQL's 65,535.
CHUNK = 900


def text(value: str | None, limit: int | None = None) -> str | None:
    """``value`` without NUL or lone surrogates, cut to ``limit`` characters."""
    if value is None:
        return None
    if "\0" in value:
        value = value.replace("\0", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value[:limit] if limit is not None else value


def validator(value: str | None, limit: int) -> str | None:
    """An HTTP validator (ETag, Last-Modified) as stored: dropped, not cut, when too long or
    not plain text, since a cut validator would never match again."""
    if value is None or len(value) > limit or not value.isprintable() or not value.isascii():
        return None
    return value


def key(value: str, limit: int) -> str:
    """An identifier (an entry's guid) that fits ``limit``: a long one is replaced by its hash,
    so it stays the same on every fetch."""
    value = text(value) or ""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (an ``IN (...)`` list per statement)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

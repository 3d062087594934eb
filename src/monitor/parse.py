"""Parse stage: feed bytes -> entries, with feedparser.

Entry identity is the GUID, else the canonical URL (scheme and host lower-cased, default port,
tracking parameters such as ``utm_*`` and the fragment removed; courlan does the normalising).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urljoin

import courlan
import feedparser

from monitor.errors import ParseError


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed."""

    key: str
    url: str
    title: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What the parse stage keeps of a feed document."""

    title: str | None
    entries: tuple[Entry, ...]
    ttl: timedelta | None
    problem: str | None


def canonical_url(url: str) -> str:
    """Normalise a URL so that the same article is recognised across feeds and visits."""
    url = url.strip()
    try:
        normalized = courlan.normalize_url(url)
    except ValueError:
        normalized = url
    return urldefrag(normalized)[0]


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _ttl(feed: Mapping[str, Any]) -> timedelta | None:
    raw = str(feed.get("ttl") or "").strip()
    return timedelta(minutes=int(raw)) if re.fullmatch(r"\d{1,6}", raw) else None


def parse_feed(content: bytes, headers: Mapping[str, str], base_url: str) -> ParsedFeed:
    """Parse a fetched feed. A feed with recoverable problems (bozo) is used if it has entries.

    ``headers`` must have lower-case keys: feedparser misreads the encoding otherwise.
    Raises :class:`ParseError` when the document has no usable entries and is not a valid feed.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered.setdefault("content-location", base_url)
    try:
        doc = feedparser.parse(content, response_headers=lowered, sanitize_html=False)
    except Exception as exc:  # feedparser promises not to raise; a bug there is one feed's error
        raise ParseError(f"parse: feed {base_url} crashed feedparser: {exc!r}") from exc
    problem = repr(doc.get("bozo_exception")) if doc.get("bozo") else None
    entries: dict[str, Entry] = {}
    for raw in doc.get("entries", []):
        link = raw.get("link") or next(
            (x.get("href") for x in raw.get("links", []) if x.get("href")), ""
        )
        guid = (raw.get("id") or "").strip()
        if not link and guid.startswith(("http://", "https://")):
            link = guid
        if not link:
            continue
        url = canonical_url(urljoin(base_url, link))
        if not url.startswith(("http://", "https://")):
            continue
        key = guid or url
        if key not in entries:
            entries[key] = Entry(key=key, url=url, title=raw.get("title"), published=_when(raw))
    if not entries and (doc.get("bozo") or not doc.get("version")):
        reason = problem or "no RSS/Atom/RDF document found"
        raise ParseError(f"parse: {base_url} is not a usable feed: {reason}")
    feed = doc.get("feed", {})
    return ParsedFeed(
        title=feed.get("title"), entries=tuple(entries.values()), ttl=_ttl(feed), problem=problem
    )

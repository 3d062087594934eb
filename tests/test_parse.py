"""Parse stage: entry identity and the real-world feed corpora."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from monitor.errors import ParseError
from monitor.parse import canonical_url, parse_feed

from .conftest import SHARED

FEEDS = SHARED / "corpora" / "feeds"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/a/b?utm_source=rss&id=3#top", "https://example.com/a/b?id=3"),
        ("http://example.com:80/story?gclid=5&fbclid=x", "http://example.com/story"),
        ("https://example.com/story?utm_medium=x&utm_campaign=y", "https://example.com/story"),
        ("https://example.com/p?b=2&a=1", "https://example.com/p?a=1&b=2"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><ttl>45</ttl>
<item><title>One</title><link>https://news.example/a?utm_source=feed</link>
<guid isPermaLink="false">wire-1</guid><pubDate>Thu, 04 Sep 2025 10:00:00 GMT</pubDate></item>
<item><title>Two</title><link>/b#comments</link></item>
<item><title>Two again</title><link>https://news.example/b</link></item>
<item><title>No link</title></item>
</channel></rss>"""


def test_entries_keyed_by_guid_else_canonical_url() -> None:
    feed = parse_feed(RSS, {"content-type": "application/rss+xml"}, "https://news.example/feed")
    assert feed.title == "Wire"
    assert feed.ttl == timedelta(minutes=45)
    assert [e.key for e in feed.entries] == ["wire-1", "https://news.example/b"]
    first = feed.entries[0]
    assert first.url == "https://news.example/a"
    assert first.published == datetime(2025, 9, 4, 10, tzinfo=UTC)


def test_utf8_feed_read_with_lower_case_headers() -> None:
    body = RSS.replace(b"<title>One</title>", "<title>Київ — café</title>".encode())
    feed = parse_feed(body, {"Content-Type": "text/xml; charset=utf-8"}, "https://news.example/f")
    assert feed.entries[0].title == "Київ — café"


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>Not a feed</body></html>", b"\x00\xff\xfe garbage", b'{"json": 1}'],
)
def test_unusable_document_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="not a usable feed"):
        parse_feed(body, {"content-type": "text/html"}, "https://news.example/f")


def _headers(raw: bytes) -> dict[str, str]:
    headers = {"content-type": "text/xml"}
    head = raw[:2000].decode("latin-1")
    for name, value in re.findall(r"Header:\s*([\w-]+):\s*([^\n]+?)\s*(?:-->|\n)", head):
        headers[name.lower()] = value.strip()
    return headers


def test_every_corpus_feed_yields_entries_or_a_parse_error() -> None:
    """No corpus file crashes the parser, and no feed whose entries have links is lost."""
    files = sorted(p for p in FEEDS.rglob("*") if p.is_file() and p.suffix in {".xml", ".json"})
    assert len(files) > 1500
    with_entries = 0
    for path in files:
        raw = path.read_bytes()
        headers = _headers(raw)
        try:
            feed = parse_feed(raw, headers, f"http://127.0.0.1/{path.name}")
        except ParseError:
            assert not _linked_entries(raw, headers), f"{path} has entries but was rejected"
            continue
        assert all(e.url.startswith(("http://", "https://")) for e in feed.entries), path
        if _linked_entries(raw, headers):
            assert feed.entries, f"{path}: entries with links were dropped"
            with_entries += 1
    assert with_entries > 100  # the corpus was really exercised


def _linked_entries(raw: bytes, headers: dict[str, str]) -> bool:
    doc = feedparser.parse(raw, response_headers=headers)
    return any(
        str(e.get("link") or "").startswith(("http", "/"))
        or any(str(x.get("href", "")).startswith(("http", "/")) for x in e.get("links", []))
        for e in doc.entries
    )

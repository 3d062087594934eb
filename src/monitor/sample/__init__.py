"""The bundled sample corpus and the local server that replays it (for ``monitor demo``).

:class:`SampleServer` serves each outlet's feed and article pages from ``stories.yaml`` on
127.0.0.1 *as of a replay clock*: an article shows up in its feed once published, and its page
text changes when an ``update`` takes effect. Feeds answer conditional GETs with 304.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Story:
    """One sample article."""

    id: str
    outlet: str
    published: datetime
    title: str
    paragraphs: tuple[str, ...]
    update_from: datetime | None = None
    update: tuple[str, ...] = ()

    def text_at(self, clock: datetime) -> tuple[str, ...]:
        """The paragraphs as published at ``clock``."""
        if self.update_from is not None and clock >= self.update_from:
            return self.update
        return self.paragraphs


@dataclass(frozen=True)
class Outlet:
    """One sample publisher with one feed."""

    id: str
    name: str
    format: str


@dataclass(frozen=True)
class Corpus:
    """Everything in ``stories.yaml``."""

    outlets: tuple[Outlet, ...]
    stories: tuple[Story, ...]


def load_corpus() -> Corpus:
    """Read the bundled ``stories.yaml``."""
    raw = yaml.safe_load(resources.files(__package__).joinpath("stories.yaml").read_text("utf-8"))
    outlets = tuple(Outlet(o["id"], o["name"], o["format"]) for o in raw["outlets"])
    stories = []
    for a in raw["articles"]:
        update = a.get("update") or {}
        stories.append(
            Story(
                id=a["id"],
                outlet=a["outlet"],
                published=_aware(a["published"]),
                title=a["title"],
                paragraphs=tuple(a["paragraphs"]),
                update_from=_aware(update["from"]) if update else None,
                update=tuple(update.get("paragraphs", ())),
            )
        )
    return Corpus(outlets, tuple(sorted(stories, key=lambda s: s.published)))


def _aware(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"sample date {value!r} needs a time zone")
    return when


class SampleServer:
    """Serves the corpus as of ``clock()`` on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, corpus: Corpus, clock: Callable[[], datetime]) -> None:
        self.corpus = corpus
        self.clock = clock
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def feed_url(self, outlet: Outlet) -> str:
        """Where an outlet's feed is served."""
        return f"{self.base}/{outlet.id}/feed.xml"

    def __enter__(self) -> SampleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def render(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a path, as of the clock."""
        now = self.clock()
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        parts = path.strip("/").split("/")
        outlet = next((o for o in self.corpus.outlets if parts and o.id == parts[0]), None)
        if outlet is None or len(parts) != 2:
            return 404, "text/plain", b"not found"
        visible = [s for s in self.corpus.stories if s.outlet == outlet.id and s.published <= now]
        if parts[1] == "feed.xml":
            render = _atom if outlet.format == "atom" else _rss
            return 200, "application/xml; charset=utf-8", render(self, outlet, visible)
        story = next((s for s in visible if f"{s.id}.html" == parts[1]), None)
        if story is None:
            return 404, "text/plain", b"not found"
        return 200, "text/html; charset=utf-8", _page(outlet, story, now)


def _handler(server: SampleServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            status, ctype, body = server.render(self.path)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _link(server: SampleServer, story: Story) -> str:
    return f"{server.base}/{story.outlet}/{story.id}.html"


def _rss(server: SampleServer, outlet: Outlet, stories: list[Story]) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(s.title)}</title><link>{_link(server, s)}</link>"
        f"<guid isPermaLink='false'>{outlet.id}:{s.id}</guid>"
        f"<pubDate>{s.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for s in reversed(stories)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(outlet.name)}</title><link>{server.base}/{outlet.id}/</link>"
        f"<description>Sample feed</description><ttl>60</ttl>{items}</channel></rss>"
    ).encode()


def _atom(server: SampleServer, outlet: Outlet, stories: list[Story]) -> bytes:
    entries = "".join(
        f"<entry><title>{html.escape(s.title)}</title><link href='{_link(server, s)}'/>"
        f"<id>urn:sample:{outlet.id}:{s.id}</id><updated>{s.published.isoformat()}</updated>"
        f"<published>{s.published.isoformat()}</published></entry>"
        for s in reversed(stories)
    )
    updated = stories[-1].published.isoformat() if stories else "2025-01-01T00:00:00+00:00"
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(outlet.name)}</title><id>urn:sample:{outlet.id}</id>"
        f"<updated>{updated}</updated>{entries}</feed>"
    ).encode()


def _page(outlet: Outlet, story: Story, now: datetime) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in story.text_at(now))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(story.title)} | {html.escape(outlet.name)}</title>"
        f'<meta property="article:published_time" content="{story.published.isoformat()}">'
        f"</head><body><header><nav><a href='/'>{html.escape(outlet.name)}</a> | World | "
        f"Europe | Opinion</nav></header><main><article><h1>{html.escape(story.title)}</h1>"
        f"{body}</article></main><footer>© {html.escape(outlet.name)}. Sample text written "
        f"for the monitor demo.</footer></body></html>"
    ).encode()

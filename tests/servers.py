"""A programmable HTTP server on 127.0.0.1 for feeds and pages (runs in a thread)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def free_port() -> int:
    """A port nobody listens on right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean (no access log on stderr)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadedServer:
    """An HTTP server on a free 127.0.0.1 port that serves in a daemon thread inside ``with``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@dataclass
class Route:
    """What one path answers. ``fail`` statuses are served first, one per request."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    fail: list[int] = field(default_factory=list)
    fail_headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    stream: int = 0
    redirect: str | None = None


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


class LocalServer(ThreadedServer):
    """``with LocalServer() as srv: srv.routes['/feed.xml'] = Route(...); srv.url('/feed.xml')``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.inflight = 0
        self.max_inflight = 0
        self.bytes_sent = 0
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(Seen("GET", self.path, headers, time.monotonic()))
                server.inflight += 1
                server.max_inflight = max(server.max_inflight, server.inflight)
            try:
                self._answer(headers)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with server._lock:
                    server.inflight -= 1

        def _answer(self, headers: dict[str, str]) -> None:
            route = server.routes.get(self.path)
            if route is None:
                return self._send(404, b"not found", {"Content-Type": "text/plain"})
            if route.delay:
                time.sleep(route.delay)
            if route.fail:
                status = route.fail.pop(0)
                return self._send(
                    status, b"failure", {"Content-Type": "text/plain"} | route.fail_headers
                )
            if route.redirect:
                return self._send(route.status, b"", {"Location": route.redirect})
            extra = {"Content-Type": route.content_type} | route.headers
            if route.etag:
                extra["ETag"] = route.etag
            if route.last_modified:
                extra["Last-Modified"] = route.last_modified
            fresh = (route.etag and headers.get("if-none-match") == route.etag) or (
                route.last_modified and headers.get("if-modified-since") == route.last_modified
            )
            if fresh:
                return self._send(304, b"", extra)
            if route.stream:
                return self._stream(route, extra)
            body = route.body
            if route.gzip:
                body = gzip.compress(body)
                extra["Content-Encoding"] = "gzip"
            self._send(route.status, body, extra)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            server.bytes_sent += len(body)

        def _stream(self, route: Route, headers: dict[str, str]) -> None:
            # No Content-Length: the client must stop reading on its own.
            self.send_response(route.status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65536 + b"</p>"
            sent = 0
            while sent < route.stream:
                self.wfile.write(chunk)
                sent += len(chunk)
                server.bytes_sent += len(chunk)
            self.close_connection = True

    return Handler


def rss(items: list[dict[str, str]], *, title: str = "Test feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document; each item has title, link and optionally guid and date."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
        f"<title>{title}</title><link>http://example.invalid/</link><description>t</description>",
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for it in items:
        parts.append("<item>")
        parts.append(f"<title>{it['title']}</title><link>{it['link']}</link>")
        if "guid" in it:
            parts.append(f"<guid>{it['guid']}</guid>")
        if "date" in it:
            parts.append(f"<pubDate>{it['date']}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def page(title: str, paragraphs: list[str], *, date: str = "2025-09-05") -> bytes:
    """A news-like HTML page trafilatura can extract."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title}</title>'
        f'<meta property="article:published_time" content="{date}T09:00:00Z">'
        f"</head><body><header><nav><a href='/'>Home</a></nav></header>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright Example News</footer></body></html>"
    ).encode()


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False

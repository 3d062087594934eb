"""A hostile HTTP server on 127.0.0.1: each path answers with raw bytes, as a broken or
malicious site would (dripping one byte at a time, compression bombs, absurd header values)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from typing import Self

Answer = Callable[[socket.socket], None]


def response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """A whole HTTP/1.1 response, with Content-Length unless ``headers`` give one."""
    head = [f"HTTP/1.1 {status}"]
    headers = {"Content-Length": str(len(body)), "Connection": "close"} | headers
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def send(data: bytes) -> Answer:
    """Answer with ``data`` at once."""
    return lambda sock: sock.sendall(data)


def drip(data: bytes, *, every: float, head: bytes = b"") -> Answer:
    """Answer ``head`` at once, then ``data`` one byte each ``every`` seconds."""

    def answer(sock: socket.socket) -> None:
        sock.sendall(head)
        for i in range(len(data)):
            sock.sendall(data[i : i + 1])
            time.sleep(every)

    return answer


class HostileServer:
    """``with HostileServer() as h: h.paths['/x'] = send(...); h.url('/x')``."""

    def __init__(self) -> None:
        self.paths: dict[str, Answer] = {}
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(30)
                request = b""
                try:
                    while b"\r\n\r\n" not in request:
                        chunk = sock.recv(4096)
                        if not chunk:
                            return
                        request += chunk
                    path = request.split(b" ", 2)[1].decode("latin-1")
                    answer = outer.paths.get(path, send(response("404 Not Found", {})))
                    answer(sock)
                except OSError:
                    pass  # the client gave up on us: that is the point

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

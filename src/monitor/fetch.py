"""Fetch stage: polite, bounded HTTP GETs over one shared :class:`httpx.AsyncClient`.

Every request goes through :meth:`Fetcher.fetch`, which adds what a well-behaved crawler owes the
sites it reads and what a service owes itself: conditional GET (ETag / Last-Modified), a global and
a per-host concurrency limit with a politeness delay, robots.txt for article pages (protego,
cached per host), redirects followed by hand so that every hop passes the address guard (before
connecting, and on the connected peer's address before the body is read), a deadline on each
whole request (connect, headers and body: a server dripping one byte a second cannot hold a
pass), and a body cap on the wire and after gzip/deflate/brotli/zstd decoding, which decodes in
bounded pieces so that a compression bomb never inflates past the cap in memory.
"""

from __future__ import annotations

import asyncio
import email.utils
import io
import ipaddress
import logging
import re
import socket
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import brotli
import httpx
import zstandard
from protego import Protego

from monitor.config import FetchLimits
from monitor.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    NetworkError,
    RobotsDeniedError,
    TooLargeError,
)

log = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
ROBOTS_TTL = 3600.0
ROBOTS_MAX_BYTES = 512 * 1024
# Numbers in headers come from servers nobody here controls: a 20-digit Retry-After or max-age
# must not overflow a timedelta (issue 10). Nothing we schedule waits longer than a year.
MAX_HEADER_SECONDS = 366 * 86400

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class FetchResult:
    """A successful fetch: a 2xx body, or ``not_modified`` for a 304 (empty content)."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]
    etag: str | None
    last_modified: str | None
    duration_ms: float
    max_age: timedelta | None = None
    not_modified: bool = False


def build_client(limits: FetchLimits) -> httpx.AsyncClient:
    """The one HTTP client of a run: TLS verified, honest User-Agent, no automatic redirects."""
    timeout = limits.timeout.total_seconds()
    return httpx.AsyncClient(
        headers={
            "User-Agent": limits.user_agent,
            "Accept-Encoding": "gzip, deflate, br",
        },
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        verify=True,
        limits=httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=20),
    )


def _ip(raw: object) -> IPAddress:
    # Socket addresses of link-local IPv6 carry a scope ("fe80::1%eth0"); ipaddress refuses it.
    return ipaddress.ip_address(str(raw).split("%")[0])


def is_forbidden(address: IPAddress, allowed: tuple[IPNetwork, ...] = ()) -> bool:
    """Whether an address is private, loopback, link-local, reserved... and not allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in allowed):
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_slot: float = 0.0
    robots: Protego | None = None
    robots_expires: float = 0.0
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Fetcher:
    """Fetches URLs under the configured limits. One per run, sharing one client."""

    def __init__(self, limits: FetchLimits, client: httpx.AsyncClient) -> None:
        self.limits = limits
        self.client = client
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in limits.allow_networks)
        self._all = asyncio.Semaphore(limits.concurrency)
        self._hosts: dict[str, _Host] = {}

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        page: bool = False,
    ) -> FetchResult:
        """GET ``url`` (conditionally); ``page=True`` also obeys robots.txt.

        Raises a :class:`FetchError` subclass for every way it can fail.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.perf_counter()
        current = url
        for _hop in range(self.limits.max_redirects + 1):
            await self._guard(current)
            if page and self.limits.respect_robots:
                await self._check_robots(current)
            response = await self._get(current, headers)
            if response.status in REDIRECTS and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            return _result(response, current, etag, last_modified, started)
        error = FetchError(f"more than {self.limits.max_redirects} redirects", url=url)
        error.temporary = False
        raise error

    async def _guard(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedURLError(f"only http(s) URLs can be fetched, not {url!r}", url=url)
        for address in await self._resolve(parts.hostname, parts.port, url):
            if is_forbidden(address, self._allowed):
                raise BlockedURLError(
                    f"{parts.hostname} resolves to {address}, a non-public address; add its "
                    "network to fetch.allow_networks if this is intended",
                    url=url,
                )

    async def _resolve(self, host: str, port: int | None, url: str) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise NetworkError(f"cannot resolve {host}: {exc}", url=url) from exc
        return [_ip(info[4][0]) for info in infos]

    def _check_peer(self, response: httpx.Response, url: str) -> None:
        # The address connected to, checked again before the body is read: a DNS answer that
        # changed after _guard looked it up (DNS rebinding) must not reach a private network.
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if not peer:
            return
        address = _ip(peer[0])
        if is_forbidden(address, self._allowed):
            raise BlockedURLError(
                f"{urlsplit(url).hostname} connected to {address}, a non-public address, "
                "although it resolved to a public one (DNS rebinding?); not read",
                url=url,
            )

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        if key not in self._hosts:
            self._hosts[key] = _Host(asyncio.Semaphore(self.limits.per_host_concurrency))
        return self._hosts[key]

    async def _polite(self, host: _Host) -> None:
        delay = self.limits.per_host_delay.total_seconds()
        loop = asyncio.get_running_loop()
        async with host.lock:
            now = loop.time()
            wait = host.next_slot - now
            host.next_slot = max(now, host.next_slot) + delay
        if wait > 0:
            await asyncio.sleep(wait)

    async def _get(self, url: str, headers: dict[str, str]) -> _Response:
        host = self._host(url)
        deadline = self.limits.timeout.total_seconds()
        async with self._all, host.semaphore:
            await self._polite(host)
            try:
                async with asyncio.timeout(deadline):
                    return await self._exchange(url, headers)
            except TimeoutError as exc:
                raise NetworkError(
                    f"{url} did not answer in full within {deadline:g} s (fetch.timeout covers "
                    "connecting, headers and body)",
                    url=url,
                ) from exc

    async def _exchange(self, url: str, headers: dict[str, str]) -> _Response:
        """One request and its whole response (under :meth:`_get`'s deadline)."""
        try:
            async with self.client.stream("GET", url, headers=headers) as response:
                self._check_peer(response, url)
                if response.status_code in REDIRECTS or response.status_code == 304:
                    return _Response(response.status_code, b"", _lower(response.headers))
                if response.status_code >= 400:
                    raise HTTPStatusError(
                        f"HTTP {response.status_code} from {url}",
                        url=url,
                        status=response.status_code,
                        retry_after=retry_after_seconds(
                            response.headers.get("retry-after"),
                            now=_http_date(response.headers.get("date")),
                        ),
                    )
                body = await self._read(response, url)
                return _Response(response.status_code, body, _lower(response.headers))
        except httpx.TimeoutException as exc:
            raise NetworkError(f"timed out fetching {url}", url=url) from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise NetworkError(f"{type(exc).__name__} fetching {url}: {exc}", url=url) from exc

    async def _read(self, response: httpx.Response, url: str) -> bytes:
        cap, decoded_cap = self.limits.max_bytes, self.limits.max_decoded_bytes
        declared = response.headers.get("content-length", "").strip()
        if (
            declared.isascii()
            and declared.isdigit()
            and (len(declared) > 18 or int(declared) > cap)
        ):
            raise TooLargeError(
                f"{url} declares {declared} bytes, over the {cap}-byte cap", url=url
            )
        chunks: list[bytes] = []
        size = 0
        # The raw bytes first (capped), then decoded here in bounded pieces: httpx would inflate
        # each chunk whole, and 841 bytes of brotli inflate to gigabytes (issue 10).
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > cap:
                raise TooLargeError(f"{url} is over the {cap}-byte cap; download stopped", url=url)
            chunks.append(chunk)
        raw = b"".join(chunks)
        encodings = [
            e.strip().lower()
            for e in response.headers.get("content-encoding", "").split(",")
            if e.strip()
        ]
        try:
            for encoding in reversed(encodings):
                raw = decode(raw, encoding, decoded_cap)
        except _Overflow as exc:
            raise TooLargeError(
                f"{url} decodes to over {decoded_cap} bytes (compression bomb?); stopped",
                url=url,
            ) from exc
        except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
            raise NetworkError(
                f"{url}: invalid {'/'.join(encodings)} body: {exc}", url=url
            ) from exc
        return raw

    async def _check_robots(self, url: str) -> None:
        host = self._host(url)
        loop = asyncio.get_running_loop()
        if host.robots is None or host.robots_expires < loop.time():
            # One robots.txt fetch per host: the pages queued behind it wait for its answer.
            async with host.robots_lock:
                if host.robots is None or host.robots_expires < loop.time():
                    host.robots = await self._load_robots(url)
                    host.robots_expires = loop.time() + ROBOTS_TTL
        if not host.robots.can_fetch(url, self.limits.user_agent):
            raise RobotsDeniedError(f"robots.txt of {urlsplit(url).netloc} forbids {url}", url=url)

    async def _load_robots(self, url: str) -> Protego:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            response = await self._get(robots_url, {})
        except HTTPStatusError as exc:
            if exc.status >= 500:
                raise NetworkError(
                    f"robots.txt of {parts.netloc} answered {exc.status}; will retry", url=url
                ) from exc
            return Protego.parse("")  # no robots.txt: everything is allowed (RFC 9309)
        text = response.content[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
        return Protego.parse(text if response.status == 200 else "")


PIECE = 64 * 1024


class _Overflow(Exception):
    pass


def decode(data: bytes, encoding: str, cap: int) -> bytes:
    """``data`` decoded from one Content-Encoding, PIECE bytes of output at a time, raising
    :class:`_Overflow` as soon as the output passes ``cap`` (so memory stays near the cap)."""
    if encoding in ("gzip", "x-gzip"):
        return _inflate(data, zlib.MAX_WBITS | 16, cap)
    if encoding == "deflate":
        try:
            return _inflate(data, zlib.MAX_WBITS, cap)
        except zlib.error:
            return _inflate(data, -zlib.MAX_WBITS, cap)  # raw deflate, as some servers send
    if encoding == "br":
        return _unbrotli(data, cap)
    if encoding == "zstd":
        return _unzstd(data, cap)
    return data  # identity, or an encoding we never asked for: kept as sent


def _inflate(data: bytes, wbits: int, cap: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending and not d.eof:
        out += d.decompress(pending, PIECE)
        if len(out) > cap:
            raise _Overflow
        pending = d.unconsumed_tail
    out += d.flush(PIECE)
    if len(out) > cap:
        raise _Overflow
    return bytes(out)


def _unbrotli(data: bytes, cap: int) -> bytes:
    d = brotli.Decompressor()
    out = bytearray(d.process(data, output_buffer_limit=PIECE))
    while not d.is_finished() and not d.can_accept_more_data():
        if len(out) > cap:
            raise _Overflow
        out += d.process(b"", output_buffer_limit=PIECE)
    if len(out) > cap:
        raise _Overflow
    return bytes(out)


def _unzstd(data: bytes, cap: int) -> bytes:
    out = bytearray()
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
        while piece := r.read(PIECE):
            out += piece
            if len(out) > cap:
                raise _Overflow
    return bytes(out)


@dataclass(frozen=True)
class _Response:
    status: int
    content: bytes
    headers: dict[str, str]


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _result(
    response: _Response,
    url: str,
    etag: str | None,
    last_modified: str | None,
    started: float,
) -> FetchResult:
    headers = response.headers
    return FetchResult(
        url=url,
        status=response.status,
        content=response.content,
        headers=headers,
        etag=headers.get("etag", etag),
        last_modified=headers.get("last-modified", last_modified),
        duration_ms=(time.perf_counter() - started) * 1000,
        max_age=max_age(headers.get("cache-control")),
        not_modified=response.status == 304,
    )


def _http_date(value: str | None) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.I)


def max_age(cache_control: str | None) -> timedelta | None:
    """The ``max-age`` of a Cache-Control header (``no-cache``/``no-store`` give none)."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    return timedelta(seconds=_seconds(match.group(1))) if match else None


def _seconds(digits: str) -> int:
    """A header's delta-seconds, at most :data:`MAX_HEADER_SECONDS` (however many digits)."""
    digits = digits.lstrip("0") or "0"
    return MAX_HEADER_SECONDS if len(digits) > 9 else min(int(digits), MAX_HEADER_SECONDS)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    A date is measured from ``now``: the response's own Date header when it has one, so a
    skewed local clock does not stretch the wait.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(_seconds(value))
    when = _http_date(value)
    if when is None:
        return None
    wait = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, wait), float(MAX_HEADER_SECONDS))

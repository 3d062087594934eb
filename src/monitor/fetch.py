"""Fetch stage: polite, bounded HTTP GETs over one shared :class:`httpx.AsyncClient`.

Every request goes through :meth:`Fetcher.fetch`, which adds what a well-behaved crawler owes the
sites it reads and what a service owes itself: conditional GET (ETag / Last-Modified), a global and
a per-host concurrency limit with a politeness delay, robots.txt for article pages (protego,
cached per host), redirects followed by hand so that every hop passes the address guard (before
connecting, and on the connected peer's address before the body is read), and a streaming body
cap on the wire and after gzip/deflate/brotli decoding.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx
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
        async with self._all, host.semaphore:
            await self._polite(host)
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
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLargeError(
                f"{url} declares {declared} bytes, over the {cap}-byte cap", url=url
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if response.num_bytes_downloaded > cap:
                raise TooLargeError(f"{url} is over the {cap}-byte cap; download stopped", url=url)
            if size > decoded_cap:
                raise TooLargeError(
                    f"{url} decodes to over {decoded_cap} bytes (compression bomb?); stopped",
                    url=url,
                )
            chunks.append(chunk)
        return b"".join(chunks)

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
    return timedelta(seconds=int(match.group(1))) if match else None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    A date is measured from ``now``: the response's own Date header when it has one, so a
    skewed local clock does not stretch the wait.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

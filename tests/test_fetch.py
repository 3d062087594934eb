"""The fetch stage against a real local HTTP server."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import brotli
import pytest

from monitor.config import FetchLimits
from monitor.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    NetworkError,
    RobotsDeniedError,
    TooLargeError,
)
from monitor.fetch import (
    Fetcher,
    FetchResult,
    build_client,
    is_forbidden,
    max_age,
    retry_after_seconds,
)
from tests.servers import LocalServer, Route

LOOPBACK = ("127.0.0.0/8",)


def limits(**kw: Any) -> FetchLimits:
    base: dict[str, Any] = {
        "allow_networks": LOOPBACK,
        "per_host_delay": timedelta(0),
        "timeout": timedelta(seconds=5),
    }
    return FetchLimits(**(base | kw))


def fetch(url: str, lim: FetchLimits | None = None, **kw: Any) -> FetchResult:
    async def go() -> FetchResult:
        lim_ = lim or limits()
        async with build_client(lim_) as client:
            return await Fetcher(lim_, client).fetch(url, **kw)

    return asyncio.run(go())


def fails(exc: type[Exception], call: Callable[[], Any]) -> Any:
    with pytest.raises(exc) as info:
        call()
    return info.value


@pytest.fixture
def srv() -> Any:
    with LocalServer() as s:
        yield s


def test_conditional_get_gives_not_modified(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(
        body=b"<rss/>", etag='"v1"', last_modified="Mon, 01 Sep 2025 10:00:00 GMT"
    )
    first = fetch(srv.url("/f"))
    assert first.status == 200 and first.content == b"<rss/>" and first.etag == '"v1"'
    again = fetch(srv.url("/f"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304 and again.content == b""
    assert srv.hits("/f")[1].headers["if-none-match"] == '"v1"'
    assert again.etag == '"v1"'


def test_user_agent_and_encodings_are_sent(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(body=b"x")
    fetch(srv.url("/f"), limits(user_agent="monitor-test/1"))
    seen = srv.hits("/f")[0].headers
    assert seen["user-agent"] == "monitor-test/1"
    assert {"gzip", "br"} <= {e.strip() for e in seen["accept-encoding"].split(",")}


def test_429_keeps_retry_after(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(fail=[429], fail_headers={"Retry-After": "120"})
    err = fails(HTTPStatusError, lambda: fetch(srv.url("/f")))
    assert err.status == 429 and err.retry_after == 120 and err.temporary


def test_500_is_temporary_and_404_is_not(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(fail=[500])
    assert fails(HTTPStatusError, lambda: fetch(srv.url("/f"))).temporary
    assert not fails(HTTPStatusError, lambda: fetch(srv.url("/missing"))).temporary


def test_redirects_followed_up_to_the_limit(srv: LocalServer) -> None:
    for i in range(7):
        srv.routes[f"/r{i}"] = Route(status=302, redirect=f"/r{i + 1}")
    srv.routes["/r7"] = Route(body=b"end")
    srv.routes["/short"] = Route(status=301, redirect="/r5")
    done = fetch(srv.url("/short"))
    assert done.content == b"end" and done.url.endswith("/r7")
    err = fails(FetchError, lambda: fetch(srv.url("/r0")))
    assert "redirects" in str(err) and not err.temporary


def test_loopback_refused_by_default(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(body=b"x")
    err = fails(BlockedURLError, lambda: fetch(srv.url("/f"), limits(allow_networks=())))
    assert "127.0.0.1" in str(err)
    assert srv.requests == []


class PublicAnswer(Fetcher):
    """A resolver whose answer changes between the guard's look-up and the connection (DNS
    rebinding): it tells the guard a public address; the connection still goes to loopback."""

    async def _resolve(self, host: str, port: int | None, url: str) -> list[Any]:
        return [ipaddress.ip_address("93.184.216.34")]


def test_connected_address_is_checked_before_the_body_is_read(srv: LocalServer) -> None:
    srv.routes["/secret"] = Route(body=b"internal data")
    lim = limits(allow_networks=())

    async def go() -> FetchResult:
        async with build_client(lim) as client:
            return await PublicAnswer(lim, client).fetch(srv.url("/secret"))

    err = fails(BlockedURLError, lambda: asyncio.run(go()))
    assert "127.0.0.1" in str(err) and "rebinding" in str(err)


def test_redirect_to_private_address_refused_at_the_hop(srv: LocalServer) -> None:
    srv.routes["/f"] = Route(status=302, redirect="http://169.254.169.254/latest/meta-data")
    fails(BlockedURLError, lambda: fetch(srv.url("/f")))
    srv.routes["/g"] = Route(status=302, redirect="file:///etc/passwd")
    fails(BlockedURLError, lambda: fetch(srv.url("/g")))


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("10.1.2.3", True),
        ("192.168.0.1", True),
        ("127.0.0.1", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fe80::1", True),
        ("::ffff:10.0.0.1", True),
        ("0.0.0.0", True),
        ("240.0.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_address_guard(address: str, forbidden: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(address)) is forbidden


def test_allowed_network_opens_only_that_network() -> None:
    allowed = (ipaddress.ip_network("10.0.0.0/8"),)
    assert not is_forbidden(ipaddress.ip_address("10.9.9.9"), allowed)
    assert is_forbidden(ipaddress.ip_address("192.168.1.1"), allowed)


def test_declared_oversize_body_refused(srv: LocalServer) -> None:
    srv.routes["/big"] = Route(body=b"x" * 5000)
    err = fails(TooLargeError, lambda: fetch(srv.url("/big"), limits(max_bytes=1000)))
    assert "1000" in str(err)


def test_streamed_oversize_body_cut_off(srv: LocalServer) -> None:
    srv.routes["/huge"] = Route(stream=50 * 1024 * 1024)
    fails(TooLargeError, lambda: fetch(srv.url("/huge"), limits(max_bytes=256 * 1024)))
    assert srv.bytes_sent < 50 * 1024 * 1024


def test_gzip_bomb_stopped_by_decoded_cap(srv: LocalServer) -> None:
    srv.routes["/bomb"] = Route(body=b"\0" * (20 * 1024 * 1024), gzip=True)
    lim = limits(max_bytes=1024 * 1024, max_decoded_bytes=2 * 1024 * 1024)
    err = fails(TooLargeError, lambda: fetch(srv.url("/bomb"), lim))
    assert "decodes" in str(err)


def test_gzip_and_brotli_bodies_decoded(srv: LocalServer) -> None:
    text = b"Coalition of the willing: 35 countries" * 50
    srv.routes["/gz"] = Route(body=text, gzip=True)
    srv.routes["/br"] = Route(body=brotli.compress(text), headers={"Content-Encoding": "br"})
    assert fetch(srv.url("/gz")).content == text
    assert fetch(srv.url("/br")).content == text
    assert gzip.decompress(gzip.compress(text)) == text


def test_slow_server_times_out(srv: LocalServer) -> None:
    srv.routes["/slow"] = Route(body=b"x", delay=2.0)
    err = fails(
        NetworkError, lambda: fetch(srv.url("/slow"), limits(timeout=timedelta(seconds=0.5)))
    )
    assert err.temporary


def test_connection_refused_is_a_network_error() -> None:
    with LocalServer() as s:
        url = s.url("/gone")
    fails(NetworkError, lambda: fetch(url))


def test_robots_txt_obeyed_for_pages_only(srv: LocalServer) -> None:
    srv.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    srv.routes["/private/a"] = Route(body=b"secret")
    srv.routes["/public/a"] = Route(body=b"ok")

    async def go() -> None:
        lim = limits()
        async with build_client(lim) as client:
            f = Fetcher(lim, client)
            with pytest.raises(RobotsDeniedError):
                await f.fetch(srv.url("/private/a"), page=True)
            assert (await f.fetch(srv.url("/public/a"), page=True)).content == b"ok"
            assert (await f.fetch(srv.url("/private/a"))).content == b"secret"

    asyncio.run(go())
    assert len(srv.hits("/robots.txt")) == 1  # cached per host
    assert len(srv.hits("/private/a")) == 1


def test_concurrent_pages_of_one_host_fetch_robots_txt_once(srv: LocalServer) -> None:
    srv.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain", delay=0.2
    )
    for i in range(8):
        srv.routes[f"/public/{i}"] = Route(body=b"ok")

    async def go() -> None:
        lim = limits(per_host_concurrency=8)
        async with build_client(lim) as client:
            f = Fetcher(lim, client)
            pages = (f.fetch(srv.url(f"/public/{i}"), page=True) for i in range(8))
            assert {r.content for r in await asyncio.gather(*pages)} == {b"ok"}

    asyncio.run(go())
    assert len(srv.hits("/robots.txt")) == 1


def test_missing_robots_txt_allows_everything(srv: LocalServer) -> None:
    srv.routes["/a"] = Route(body=b"ok")
    assert fetch(srv.url("/a"), page=True).content == b"ok"


def test_per_host_concurrency_and_delay(srv: LocalServer) -> None:
    for i in range(6):
        srv.routes[f"/p{i}"] = Route(body=b"x", delay=0.1)

    async def go() -> None:
        lim = limits(per_host_concurrency=1, per_host_delay=timedelta(seconds=0.05))
        async with build_client(lim) as client:
            f = Fetcher(lim, client)
            await asyncio.gather(*(f.fetch(srv.url(f"/p{i}")) for i in range(6)))

    asyncio.run(go())
    assert srv.max_inflight == 1
    starts = sorted(r.at for r in srv.requests)
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("max-age=600", 600),
        ("public, max-age=60, must-revalidate", 60),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age(header: str | None, expected: int | None) -> None:
    got = max_age(header)
    assert (got.total_seconds() if got else None) == expected


def test_retry_after_forms() -> None:
    now = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("90", now=now) == 90
    assert retry_after_seconds("Mon, 01 Sep 2025 10:05:00 GMT", now=now) == 300
    assert retry_after_seconds("soon", now=now) is None

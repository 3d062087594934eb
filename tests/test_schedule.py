"""Next-check computation (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.config import Defaults
from monitor.schedule import next_failure, next_revisit, next_success

NOW = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
D = Defaults(jitter=0.0)
H = timedelta(hours=1)


def rng() -> random.Random:
    return random.Random(7)


def test_interval_when_no_hints() -> None:
    assert next_success(
        NOW, interval=30 * timedelta(minutes=1), defaults=D, ttl=None, max_age=None, rng=rng()
    ) == NOW + timedelta(minutes=30)


def test_ttl_and_max_age_lengthen_never_shorten() -> None:
    got = next_success(NOW, interval=H, defaults=D, ttl=2 * H, max_age=None, rng=rng())
    assert got == NOW + 2 * H
    got = next_success(NOW, interval=H, defaults=D, ttl=None, max_age=3 * H, rng=rng())
    assert got == NOW + 3 * H
    got = next_success(
        NOW, interval=H, defaults=D, ttl=timedelta(minutes=1), max_age=None, rng=rng()
    )
    assert got == NOW + H


def test_hints_clamped_to_bounds() -> None:
    got = next_success(NOW, interval=H, defaults=D, ttl=timedelta(days=30), max_age=None, rng=rng())
    assert got == NOW + D.max_interval
    got = next_success(
        NOW, interval=timedelta(seconds=10), defaults=D, ttl=None, max_age=None, rng=rng()
    )
    assert got == NOW + D.min_interval


def test_jitter_spreads_feeds_with_one_interval() -> None:
    d = Defaults(jitter=0.1)
    r = random.Random(1)
    times = {
        next_success(NOW, interval=H, defaults=d, ttl=None, max_age=None, rng=r) for _ in range(20)
    }
    assert len(times) == 20
    assert all(NOW + 0.9 * H <= t <= NOW + 1.1 * H for t in times)


def test_failures_back_off_exponentially_up_to_the_cap_and_never_stop() -> None:
    delays = [
        next_failure(NOW, error_count=n, interval=H, defaults=D, retry_after=None, rng=rng()) - NOW
        for n in range(1, 12)
    ]
    assert delays[:4] == [H, 2 * H, 4 * H, 8 * H]
    assert max(delays) == D.max_backoff
    assert delays[-1] == D.max_backoff
    huge = next_failure(
        NOW, error_count=10_000, interval=H, defaults=D, retry_after=None, rng=rng()
    )
    assert huge == NOW + D.max_backoff


def test_retry_after_honoured_within_the_cap() -> None:
    got = next_failure(
        NOW, error_count=1, interval=timedelta(minutes=10), defaults=D, retry_after=7200, rng=rng()
    )
    assert got == NOW + 2 * H
    got = next_failure(NOW, error_count=1, interval=H, defaults=D, retry_after=10**9, rng=rng())
    assert got == NOW + D.max_backoff


def test_revisits_follow_the_decaying_schedule() -> None:
    sched = (H, 6 * H, 24 * H)
    assert [next_revisit(NOW, i, sched) for i in (1, 2, 3)] == [NOW + H, NOW + 6 * H, NOW + 24 * H]
    assert next_revisit(NOW, 4, sched) is None

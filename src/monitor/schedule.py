"""When each feed and article is checked next: pure functions of the clock and what we know.

A feed's next check honours its interval, its ``<ttl>``, the server's ``Cache-Control: max-age``
and ``Retry-After``, within ``[min_interval, max_interval]``; failures back off exponentially up
to ``max_backoff`` and never give up. Jitter spreads feeds that share an interval.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.config import Defaults


def _jittered(delay: timedelta, jitter: float, rng: random.Random) -> timedelta:
    return delay * (1 + rng.uniform(-jitter, jitter))


def next_success(
    now: datetime,
    *,
    interval: timedelta,
    defaults: Defaults,
    ttl: timedelta | None,
    max_age: timedelta | None,
    rng: random.Random,
) -> datetime:
    """Next check after a successful (or 304) fetch.

    The server's and the feed's own hints may lengthen the interval, never shorten it below the
    configured interval, and the result stays within ``[min_interval, max_interval]``.
    """
    delay = max([interval, *(d for d in (ttl, max_age) if d is not None)])
    delay = _jittered(delay, defaults.jitter, rng)
    delay = min(max(delay, defaults.min_interval), defaults.max_interval)
    return now + delay


def next_failure(
    now: datetime,
    *,
    error_count: int,
    interval: timedelta,
    defaults: Defaults,
    retry_after: float | None,
    rng: random.Random,
) -> datetime:
    """Next attempt after the ``error_count``-th failure in a row (1 = first failure).

    Exponential back-off from the interval, capped at ``max_backoff``; a server's Retry-After is
    honoured when it asks for longer (within the same cap, so a feed is never dropped).
    """
    exponent = min(max(error_count - 1, 0), 30)
    delay = min(max(interval, defaults.min_interval) * (2**exponent), defaults.max_backoff)
    delay = _jittered(delay, defaults.jitter, rng)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + min(delay, defaults.max_backoff)


def next_revisit(
    first_seen: datetime, index: int, schedule: Sequence[timedelta]
) -> datetime | None:
    """The ``index``-th revisit of an article (1-based) after it was first seen; None when done."""
    if 1 <= index <= len(schedule):
        return first_seen + schedule[index - 1]
    return None

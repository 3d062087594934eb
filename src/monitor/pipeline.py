"""The orchestrator: one pass of fetch -> parse -> extract -> facts -> changes -> store -> alerts.

:func:`poll_once` is what the service runs on every tick, what ``monitor poll --once`` runs, and
what the demo and the benchmarks run: due feeds and due article revisits come from the database
(``next_check_at``), so a restart resumes where the last process stopped.

The stages overlap: feeds are claimed a few hundred at a time as earlier ones finish, and the
pages they list are claimed, fetched, read and stored while later feeds are still being polled;
decisions and alerts follow as soon as the pages published before them are in. Each group of
finished feeds (with the next claim) and each run of pages finished together is one
transaction, so an interrupted pass leaves no half-written rows; work claimed but not finished
is retried when its lease expires, and a stopping worker hands back what it had not started.

Any number of workers may run this against one PostgreSQL database. The change stage takes a
fact's observations in publication order whoever fetched them: a page's observations are
decided only once every page published before it that is due has been read (see
:func:`decide_pending`), so the history is the same for one worker or many.

Each feed, page and alert delivery is its own unit of failure (issue 10): any exception while
handling one is recorded on its row (under a savepoint, so the rest of its transaction stands)
and that source backs off; the rest of the pass goes on. A pass that fails as a whole (the
database is down, read-only or full) gives back the leases it took, so the next one resumes
at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlmodel import Session

from monitor import schedule
from monitor.app import App
from monitor.errors import (
    ExtractError,
    FetchError,
    HTTPStatusError,
    NetworkError,
    ParseError,
    StoreError,
    UnexpectedError,
)
from monitor.extract import Page, budget_error, extract_page, make_pool, start_pool, warm_up
from monitor.facts import Finding, find_facts
from monitor.facts.spec import FactSpec
from monitor.facts.warm import warm_up_text
from monitor.fetch import Fetcher, FetchResult, build_client
from monitor.history import record_observations
from monitor.models import Article
from monitor.parse import parse_feed
from monitor.store import lock_in_transaction, session_scope
from monitor.store.articles import (
    DueArticle,
    claim_due_articles,
    content_hash,
    first_unread,
    load_articles,
    pending_versions,
    record_article_checked,
    record_article_failure,
    release_articles,
    save_observations,
    save_version,
    version_observations,
)
from monitor.store.engine import describe_store_error
from monitor.store.feeds import (
    DueFeed,
    claim_feeds,
    feeds_in_flight,
    link_entries,
    record_feed_failure,
    record_feed_success,
    record_feeds_not_modified,
    release_feeds,
    sync_feeds,
)
from monitor.store.leases import release_leases

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
FeedError = FetchError | UnexpectedError
PageError = FetchError | ExtractError | UnexpectedError
# Feeds: claimed FEED_GROUP at a time as the ones before finish (at most twice that in hand),
# and stored FEED_GROUP per transaction together with the next claim: an all-304 pass over N
# feeds commits about N / FEED_GROUP times. FEED_FLUSH bounds how long a finished feed's new
# articles wait for the rest of its group.
FEED_GROUP = 200
FEED_FLUSH = 2.0
# Pages: claimed PAGE_CLAIM at a time, fetched concurrently; those finished within STORE_WAIT
# of each other (up to STORE_GROUP) are stored in one transaction.
PAGE_CLAIM = 20
STORE_GROUP = 50
STORE_WAIT = 0.05
# A worker done with its own feeds keeps taking the pages other workers' feeds list, checking
# every OTHERS_POLL seconds, for at most OTHERS_WAIT seconds without finding any.
OTHERS_POLL = 0.2
OTHERS_WAIT = 60.0
# The change stage runs at most this often during a pass (and once at its end).
DECIDE_EVERY = 0.5
DECIDE_BATCH = 200


@dataclass
class PollReport:
    """What one pass did."""

    feeds_checked: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    network_down: bool = False
    articles_new: int = 0
    articles_checked: int = 0
    articles_failed: int = 0
    versions_new: int = 0
    observations_new: int = 0
    changes_new: int = 0
    alerts_delivered: int = 0
    feeds_released: int = 0
    articles_released: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Runtime:
    """Per-run resources: the shared HTTP client (inside the fetcher) and the extraction pool."""

    fetcher: Fetcher
    pool: Executor | None


@asynccontextmanager
async def open_runtime(
    app: App, *, workers: int | None = None, warm: bool = False
) -> AsyncIterator[Runtime]:
    """Build the HTTP client, fetcher and process pool once; close them on exit.

    The pool's processes start with the first page to read (a pass with nothing but 304s never
    starts them); ``warm=True`` starts and warms them now (benchmarks).
    """
    client = build_client(app.settings.fetch)
    budget = app.settings.fetch.page_budget.total_seconds()
    pool = make_pool(workers, warm_up_worker, (app.settings.facts,), budget=budget)
    try:
        if warm:
            await start_pool(pool, workers)
        yield Runtime(fetcher=Fetcher(app.settings.fetch, client), pool=pool)
    finally:
        await client.aclose()
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Flow:
    """How the overlapping stages of one pass signal each other."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    found: asyncio.Event = field(default_factory=asyncio.Event)
    feeds_done: asyncio.Event = field(default_factory=asyncio.Event)
    pages_done: asyncio.Event = field(default_factory=asyncio.Event)
    alerts: asyncio.Event = field(default_factory=asyncio.Event)
    decided_at: float = 0.0


async def poll_once(
    app: App,
    fetcher: Fetcher,
    *,
    now: datetime,
    pool: Executor | None = None,
    rng: random.Random | None = None,
    dispatch: bool = True,
    progress: Progress | None = None,
    sync: bool = True,
    stop: asyncio.Event | None = None,
) -> PollReport:
    """One pass over all due work: feeds, their pages, decisions and alerts, overlapping.

    ``sync=False`` skips making the feeds table follow the settings (the service syncs at start
    and on reload). Setting ``stop`` ends the pass early: nothing more is claimed, and claims not
    yet started are handed back. ``progress(done, total)`` is called as pages are finished.
    The pass stops itself the same way after ``defaults.pass_budget``: due work that did not
    fit is the next pass's.
    """
    rng = rng or random.Random()
    report = PollReport()
    flow = Flow(stop=stop or asyncio.Event())
    started = time.perf_counter()
    async with (
        release_on_failure(app, now),
        _budget(app, flow, stop),
        asyncio.TaskGroup() as stages,
    ):
        stages.create_task(
            refresh_feeds(app, fetcher, now=now, rng=rng, report=report, sync=sync, flow=flow)
        )
        stages.create_task(
            refresh_articles(
                app,
                fetcher,
                now=now,
                pool=pool,
                rng=rng,
                report=report,
                progress=progress,
                flow=flow,
            )
        )
        if dispatch and app.settings.alerts.channels:
            stages.create_task(_deliver_alerts(app, fetcher, now, report, flow))
    async with release_on_failure(app, now):
        report.changes_new += decide_pending(app, now, wait=True, flow=flow)
        if dispatch and app.settings.alerts.channels:
            report.alerts_delivered += await _dispatch_alerts(app, fetcher, now)
    app.metrics.pass_seconds.observe(time.perf_counter() - started)
    log.info(
        "poll pass done",
        extra={
            "stage": "poll",
            "feeds": report.feeds_checked,
            "feeds_failed": report.feeds_failed,
            "articles": report.articles_checked,
            "versions_new": report.versions_new,
            "changes_new": report.changes_new,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return report


@asynccontextmanager
async def _budget(app: App, flow: Flow, stop: asyncio.Event | None) -> AsyncIterator[None]:
    """Stop claiming work after ``defaults.pass_budget`` (the caller's ``stop`` is left alone)."""
    budget = app.settings.defaults.pass_budget.total_seconds()
    own = asyncio.Event()
    outer, flow.stop = flow.stop, own

    def over() -> None:
        log.warning(
            "pass budget of %g s reached; the rest of the due work is left to the next pass",
            budget,
            extra={"stage": "poll"},
        )
        own.set()

    timer = asyncio.get_running_loop().call_later(budget, over)
    relay = asyncio.ensure_future(outer.wait())
    relay.add_done_callback(lambda _: own.set())
    try:
        yield
    finally:
        timer.cancel()
        relay.cancel()
        flow.stop = outer


@asynccontextmanager
async def release_on_failure(app: App, now: datetime) -> AsyncIterator[None]:
    """Run part of a pass; if it fails, give back the leases the pass took (claims made at
    ``now``) so the next pass does not wait for them to expire. Leases that cannot be given
    back yet (the database still fails) are given back at the start of a later pass."""
    if app.unreleased:
        # Pooled connections opened while the database failed may keep failing (SQLite opens
        # a read-only file read-only for good): fresh ones see it as it is now.
        app.engine.dispose()
    release_leases(app.engine, app.unreleased)
    try:
        yield
    except BaseException as exc:
        app.unreleased.append(now)
        failure = _store_failure(exc)
        release_leases(app.engine, app.unreleased)
        if failure is not None:
            raise StoreError(describe_store_error(app.engine, failure)) from exc
        raise


def _database_failing(exc: Exception) -> bool:
    """Whether ``exc`` is the database failing (full, read-only, locked, gone), which no row is
    to blame for: the pass fails and is retried, rather than a source backing off."""
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)


def _store_failure(exc: BaseException) -> sa_exc.SQLAlchemyError | None:
    """The database error that failed a pass (inside a TaskGroup's ExceptionGroup too)."""
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := _store_failure(inner)) is not None:
                return found
    return None


async def refresh_feeds(
    app: App,
    fetcher: Fetcher,
    *,
    now: datetime,
    rng: random.Random,
    report: PollReport,
    sync: bool = True,
    flow: Flow | None = None,
) -> None:
    """Fetch every due feed; store its new entries as articles due for their first fetch.

    Feeds are claimed in small groups as earlier ones finish, so several workers share the
    work evenly; each finished group is stored with the next claim in one transaction.
    ``sync`` first makes the feeds table follow the settings.
    """
    flow = flow or Flow()
    if sync:
        sync_feeds(app.engine, app.settings.feeds, now)
    slots = asyncio.Semaphore(2 * app.settings.fetch.concurrency)
    inflight: dict[asyncio.Task[FetchResult | FeedError | None], DueFeed] = {}
    finished: list[tuple[DueFeed, FetchResult | FeedError | None]] = []
    exhausted = down = False

    async def one(feed: DueFeed) -> FetchResult | FeedError | None:
        async with slots:
            if flow.stop.is_set() or down:
                return None  # not started: handed back
            return await _fetch_feed(app, fetcher, feed)

    try:
        while True:
            claimed: list[DueFeed] = []
            with session_scope(app.engine) as s:
                if finished:
                    down = _record_feeds(app, s, finished, now, rng, report, down) or down
                    finished = []
                room = 2 * FEED_GROUP - len(inflight)
                if not (exhausted or down or flow.stop.is_set()) and room >= FEED_GROUP:
                    claimed = claim_feeds(s, now, limit=room)
                    exhausted = len(claimed) < room
            for feed in claimed:
                inflight[asyncio.ensure_future(one(feed))] = feed
                if feed.taken_over:
                    app.metrics.takeovers.labels("feed").inc()
            if not inflight:
                return
            finished = await _next_group(inflight, FEED_GROUP, FEED_FLUSH)
            if any(isinstance(o, FetchResult) and not o.not_modified for _, o in finished):
                flow.found.set()
    finally:
        for task in inflight:
            task.cancel()
        flow.feeds_done.set()


async def _next_group(inflight: dict[asyncio.Task[Any], Any], size: int, flush: float) -> list[Any]:
    """Wait until ``size`` tasks have finished (or all, or ``flush`` seconds after the first);
    remove them from ``inflight`` and return ``(item, result)`` pairs."""
    done, _ = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
    deadline = asyncio.get_running_loop().time() + flush
    while len(done) < min(size, len(inflight)):
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            break
        more, _ = await asyncio.wait(
            [t for t in inflight if t not in done],
            timeout=left,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not more:
            break
        done |= more
    return [(inflight.pop(task), task.result()) for task in done]


def _record_feeds(
    app: App,
    s: Session,
    finished: Sequence[tuple[DueFeed, FetchResult | FeedError | None]],
    now: datetime,
    rng: random.Random,
    report: PollReport,
    down: bool,
) -> bool:
    """Store a group of finished feeds in ``s``; returns whether the network looks down."""
    outcomes = [o for _, o in finished if o is not None]
    if len(outcomes) > 1 and all(isinstance(o, NetworkError) for o in outcomes):
        down = True
        report.network_down = True
        log.error(
            "every feed failed with a network error; is the network down? retrying at %s",
            (now + app.settings.defaults.min_interval).isoformat(),
            extra={"stage": "fetch", "feeds": len(outcomes)},
        )
    unstarted = [feed.id for feed, outcome in finished if outcome is None]
    release_feeds(s, unstarted)
    report.feeds_released += len(unstarted)
    unchanged: list[dict[str, object]] = []
    for feed, outcome in finished:
        if outcome is None:
            continue
        if down and isinstance(outcome, NetworkError):
            _record_network_down(app, s, feed, outcome, now, report)
            continue
        if isinstance(outcome, FetchResult) and outcome.not_modified:
            # Nothing written yet (stored with the group below): no savepoint needed.
            _record_feed(app, s, feed, outcome, now, rng, report, unchanged)
            continue
        _record_feed_isolated(app, s, feed, outcome, now, rng, report, unchanged)
    # Most checks of a running service are 304s: their rows are updated together.
    record_feeds_not_modified(s, unchanged)
    return down


def _record_network_down(
    app: App, s: Session, feed: DueFeed, outcome: FetchError, now: datetime, report: PollReport
) -> None:
    # Every feed failing the same way at once is our network, not N broken feeds: one
    # service-level error, feeds retried soon without counting against them.
    report.feeds_failed += 1
    app.metrics.polls.labels("feed", "network_down").inc()
    record_feed_failure(
        s,
        feed.id,
        now=now,
        next_check_at=now + app.settings.defaults.min_interval,
        kind="network",
        message=str(outcome),
        count=False,
    )


async def refresh_articles(
    app: App,
    fetcher: Fetcher,
    *,
    now: datetime,
    pool: Executor | None,
    rng: random.Random,
    report: PollReport,
    progress: Progress | None = None,
    flow: Flow | None = None,
) -> None:
    """Fetch and extract every due page concurrently; store each run of pages finished together
    in one transaction, and let the change stage take what it may (publication order).

    Pages are claimed as the feeds list them and as earlier pages finish, until no page is due
    and the feeds are done.
    """
    if flow is None:
        flow = Flow()
        flow.feeds_done.set()
    slots = asyncio.Semaphore(2 * app.settings.fetch.concurrency)
    inflight: dict[asyncio.Task[Fetched | PageError | None], DueArticle] = {}
    done = total = 0
    patience = time.monotonic() + OTHERS_WAIT

    async def one(article: DueArticle) -> Fetched | PageError | None:
        async with slots:
            if flow.stop.is_set():
                return None  # not started: handed back
            try:
                return await _fetch_page(app, fetcher, pool, article)
            except (FetchError, ExtractError) as exc:
                return exc
            except Exception as exc:
                log.exception("page failed unexpectedly", extra={"url": article.url})
                return UnexpectedError("fetch", exc)

    try:
        while True:
            claimed: list[DueArticle] = []
            if len(inflight) < PAGE_CLAIM and not flow.stop.is_set():
                flow.found.clear()
                claimed = claim_due_articles(app.engine, now, limit=2 * PAGE_CLAIM - len(inflight))
            for article in claimed:
                inflight[asyncio.ensure_future(one(article))] = article
                if article.taken_over:
                    app.metrics.takeovers.labels("page").inc()
            total += len(claimed)
            if claimed:
                patience = time.monotonic() + OTHERS_WAIT
            if not inflight:
                if flow.stop.is_set():
                    return
                if flow.feeds_done.is_set() and not flow.found.is_set():
                    # Other workers may still be listing pages: help with them (for a while:
                    # a crashed worker's leases last longer).
                    if time.monotonic() > patience or not feeds_in_flight(
                        app.engine, now, within=timedelta(seconds=OTHERS_WAIT)
                    ):
                        return
                    await asyncio.sleep(OTHERS_POLL)
                    continue
                await _either(flow.found, flow.stop, flow.feeds_done)
                continue
            group = await _next_group(inflight, STORE_GROUP, STORE_WAIT)
            _store_pages(app, group, now, rng, report)
            done += len(group)
            if progress is not None:
                progress(done, total)
            if time.monotonic() - flow.decided_at >= DECIDE_EVERY:
                report.changes_new += decide_pending(app, now, wait=False, flow=flow)
    finally:
        for task in inflight:
            task.cancel()
        flow.pages_done.set()
        flow.alerts.set()


async def _either(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


def decide_pending(app: App, now: datetime, *, wait: bool, flow: Flow | None = None) -> int:
    """Take the change stage's decisions on stored observations, in publication order, up to
    the first due page nobody has read yet; returns the number of changes recorded.

    One worker decides at a time (a PostgreSQL advisory lock); with ``wait=False`` a worker
    that finds the lock taken leaves the work to its holder and to its own next call.
    """
    changes = 0
    if flow is not None:
        flow.decided_at = time.monotonic()
    while True:
        with session_scope(app.engine) as s:
            if not lock_in_transaction(s, "monitor.decide.", wait=wait):
                return changes
            batch = pending_versions(s, limit=DECIDE_BATCH)
            if not batch:
                return changes
            barrier = first_unread(s, now)
            taken = 0
            for version, article in batch:
                key = (article.published_at or article.first_seen_at, article.url)
                if barrier is not None and key > barrier:
                    break
                recorded = record_observations(
                    s,
                    article=article,
                    version=version,
                    observations=version_observations(s, version),
                    settings=app.settings,
                    now=now,
                )
                version.decided_at = now
                s.add(version)
                taken += 1
                changes += len(recorded)
                for change in recorded:
                    app.metrics.changes.labels(change.kind).inc()
                if recorded and flow is not None:
                    flow.alerts.set()
        if taken < len(batch) or len(batch) < DECIDE_BATCH:
            return changes


async def _deliver_alerts(
    app: App, fetcher: Fetcher, now: datetime, report: PollReport, flow: Flow
) -> None:
    """Deliver alerts as decisions queue them, while the rest of the pass goes on."""
    while not flow.pages_done.is_set():
        await flow.alerts.wait()
        flow.alerts.clear()
        if flow.pages_done.is_set():
            return  # the pass's final dispatch takes the rest
        report.alerts_delivered += await _dispatch_alerts(app, fetcher, now)


async def _fetch_feed(app: App, fetcher: Fetcher, feed: DueFeed) -> FetchResult | FeedError:
    metrics = app.metrics
    started = time.perf_counter()
    try:
        result = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    except FetchError as exc:
        metrics.fetch_seconds.labels("feed").observe(time.perf_counter() - started)
        log.warning(
            "feed fetch failed: %s",
            exc,
            extra={"stage": "fetch", "feed": feed.name, "url": feed.url, "error_kind": exc.kind},
        )
        return exc
    except Exception as exc:
        log.exception("feed fetch failed unexpectedly", extra={"stage": "fetch", "feed": feed.name})
        return UnexpectedError("fetch", exc)
    metrics.fetch_seconds.labels("feed").observe(time.perf_counter() - started)
    metrics.fetch_bytes.labels("feed").inc(len(result.content))
    log.info(
        "feed fetched",
        extra={
            "stage": "fetch",
            "feed": feed.name,
            "url": feed.url,
            "status": result.status,
            "bytes": len(result.content),
            "duration_ms": round(result.duration_ms, 1),
        },
    )
    return result


def _record_feed_isolated(
    app: App,
    s: Session,
    feed: DueFeed,
    outcome: FetchResult | FeedError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
    unchanged: list[dict[str, object]],
) -> None:
    """:func:`_record_feed` under a savepoint: any exception is recorded as the feed's own
    error (its new entries are rolled back, and read again when it next succeeds)."""
    checked = report.feeds_checked
    try:
        with s.begin_nested():
            _record_feed(app, s, feed, outcome, now, rng, report, unchanged)
    except Exception as exc:
        if _database_failing(exc):
            raise
        # If recording the failure fails too, the database is failing: the pass fails
        # (release_on_failure).
        log.exception("feed failed unexpectedly", extra={"stage": "store", "feed": feed.name})
        report.feeds_checked = checked + 1
        _feed_failed(app, s, feed, UnexpectedError("store", exc), now, rng, report)


def _record_feed(
    app: App,
    s: Session,
    feed: DueFeed,
    outcome: FetchResult | FeedError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
    unchanged: list[dict[str, object]],
) -> None:
    """Store one feed's check in ``s``; a 304 joins ``unchanged``, stored with its group."""
    settings = app.settings
    interval = _interval(app, feed.name)
    report.feeds_checked += 1
    if isinstance(outcome, FetchError | UnexpectedError):
        _feed_failed(app, s, feed, outcome, now, rng, report)
        return
    if outcome.not_modified:
        report.feeds_not_modified += 1
        app.metrics.polls.labels("feed", "not_modified").inc()
        next_at = schedule.next_success(
            now,
            interval=interval,
            defaults=settings.defaults,
            ttl=None,
            max_age=outcome.max_age,
            rng=rng,
        )
        unchanged.append(
            {
                "id": feed.id,
                "now": now,
                "next_check_at": next_at,
                "etag": outcome.etag,
                "last_modified": outcome.last_modified,
            }
        )
        return
    try:
        parsed = parse_feed(outcome.content, outcome.headers, outcome.url)
    except ParseError as exc:
        _feed_failed(app, s, feed, exc, now, rng, report)
        return
    if parsed.problem:
        log.info(
            "feed has recoverable problems: %s",
            parsed.problem,
            extra={"stage": "parse", "feed": feed.name},
        )
    next_at = schedule.next_success(
        now,
        interval=interval,
        defaults=settings.defaults,
        ttl=parsed.ttl,
        max_age=outcome.max_age,
        rng=rng,
    )
    new_ids = link_entries(s, feed.id, parsed.entries, outlet=feed.outlet, now=now)
    outcome_name = "ok" if parsed.entries else "empty"
    record_feed_success(
        s,
        feed.id,
        now=now,
        next_check_at=next_at,
        status=outcome.status,
        etag=outcome.etag,
        last_modified=outcome.last_modified,
        outcome=outcome_name,
    )
    app.metrics.polls.labels("feed", outcome_name).inc()
    report.articles_new += len(new_ids)


def _feed_failed(
    app: App,
    s: Session,
    feed: DueFeed,
    exc: FeedError | ParseError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    report.feeds_failed += 1
    app.metrics.polls.labels("feed", "error").inc()
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
    next_at = schedule.next_failure(
        now,
        error_count=feed.error_count + 1,
        interval=_interval(app, feed.name),
        defaults=app.settings.defaults,
        retry_after=retry_after,
        rng=rng,
    )
    status = exc.status if isinstance(exc, HTTPStatusError) else None
    count = record_feed_failure(
        s,
        feed.id,
        now=now,
        next_check_at=next_at,
        kind=exc.kind,
        message=str(exc),
        status=status,
    )
    report.errors.append(f"{feed.name}: {exc}")
    if count >= app.settings.defaults.report_after_failures:
        log.error(
            "feed has failed %d times in a row: %s",
            count,
            exc,
            extra={"stage": "fetch", "feed": feed.name, "error_count": count},
        )


@dataclass(frozen=True)
class Analysed:
    """A page through the extract and facts stages."""

    page: Page
    findings: tuple[Finding, ...]
    content_hash: str


def warm_up_worker(facts: tuple[FactSpec, ...]) -> None:
    """Pool initializer: run what :func:`analyse` runs once, so real pages pay no set-up."""
    warm_up()
    find_facts(warm_up_text(facts), facts)


def analyse(html: bytes, url: str, facts: tuple[FactSpec, ...]) -> Analysed:
    """Extract the article and find its facts: pure and CPU-bound, so it runs in the pool.

    The findings' offsets are into ``page.extracted.text``, which is what a new version stores.
    """
    page = extract_page(html, url)
    text = page.extracted.text
    return Analysed(page, tuple(find_facts(text, facts)), content_hash(text))


@dataclass(frozen=True)
class Fetched:
    """A fetched page and its analysis (None when the server said 304)."""

    result: FetchResult
    analysed: Analysed | None


async def _fetch_page(
    app: App, fetcher: Fetcher, pool: Executor | None, article: DueArticle
) -> Fetched:
    metrics = app.metrics
    started = time.perf_counter()
    try:
        result = await fetcher.fetch(
            article.url, etag=article.etag, last_modified=article.last_modified, page=True
        )
    finally:
        metrics.fetch_seconds.labels("page").observe(time.perf_counter() - started)
    metrics.fetch_bytes.labels("page").inc(len(result.content))
    log.info(
        "page fetched",
        extra={
            "stage": "fetch",
            "url": article.url,
            "status": result.status,
            "bytes": len(result.content),
            "duration_ms": round(result.duration_ms, 1),
        },
    )
    if result.not_modified:
        return Fetched(result, None)
    started = time.perf_counter()
    analysed = await _analyse(pool, result, app.settings.facts)
    metrics.extract_seconds.observe(time.perf_counter() - started)
    metrics.pages_extracted.inc()
    return Fetched(result, analysed)


def _store_pages(
    app: App,
    group: Sequence[tuple[DueArticle, Fetched | PageError | None]],
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """Store the outcomes of pages finished together in one transaction; claims not started
    (``None``: the worker is stopping) are handed back."""
    with session_scope(app.engine) as s:
        unstarted = [article.id for article, outcome in group if outcome is None]
        release_articles(s, unstarted)
        report.articles_released += len(unstarted)
        # Held here: the session's identity map keeps rows only weakly.
        rows = load_articles(s, [article.id for article, _ in group])
        for article, outcome in group:
            if outcome is None:
                continue
            _store_page_isolated(app, s, rows[article.id], article, outcome, now, rng, report)


def _store_page_isolated(
    app: App,
    s: Session,
    row: Article,
    article: DueArticle,
    outcome: Fetched | PageError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """One page's outcome under a savepoint: an exception while storing it is recorded as the
    page's own failure, and the other pages of the transaction are stored."""
    counts = dataclasses.astuple(report)
    try:
        with s.begin_nested():
            report.articles_checked += 1
            if isinstance(outcome, FetchError | ExtractError | UnexpectedError):
                app.metrics.polls.labels("page", "error").inc()
                _article_failed(app, s, row, outcome, now, rng, report)
            else:
                outcome_name = "not_modified" if outcome.analysed is None else "ok"
                app.metrics.polls.labels("page", outcome_name).inc()
                _store_page(app, s, row, article, outcome, now, report)
    except Exception as exc:
        if _database_failing(exc):
            raise
        log.exception("page failed unexpectedly", extra={"stage": "store", "url": article.url})
        for f, value in zip(dataclasses.fields(report), counts, strict=True):
            if f.name != "errors":
                setattr(report, f.name, value)
        s.refresh(row)
        report.articles_checked += 1
        _article_failed(app, s, row, UnexpectedError("store", exc), now, rng, report)


def _store_page(
    app: App,
    s: Session,
    row: Article,
    article: DueArticle,
    fetched: Fetched,
    now: datetime,
    report: PollReport,
) -> None:
    """Store a new version (if the text changed) and its observations; the change stage
    decides on them in publication order (:func:`decide_pending`)."""
    revisit = app.settings.defaults.revisit
    result = fetched.result
    record_article_checked(
        s,
        row,
        now=now,
        status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        next_check_at=schedule.next_revisit(
            article.first_seen_at, article.revisit_index + 1, revisit
        ),
    )
    if fetched.analysed is None:
        return
    page = fetched.analysed.page
    version = save_version(
        s, row, page.extracted, page.raw_html_z, now=now, digest=fetched.analysed.content_hash
    )
    if version is None:
        return
    report.versions_new += 1
    app.metrics.versions.inc()
    observations = save_observations(s, version, fetched.analysed.findings, now=now)
    report.observations_new += len(observations)
    app.metrics.observations.inc(len(observations))
    if not observations:
        version.decided_at = now  # nothing to decide


async def _analyse(
    pool: Executor | None, result: FetchResult, facts: tuple[FactSpec, ...]
) -> Analysed:
    if pool is None:
        return analyse(result.content, result.url, facts)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(pool, analyse, result.content, result.url, facts)
    except Exception as exc:
        # Over fetch.page_budget, or the worker died: the page's own failure.
        error = budget_error(exc, result.url, getattr(pool, "budget", None))
        if error is None:
            raise
        raise error from exc


def _article_failed(
    app: App,
    s: Session,
    row: Article,
    exc: PageError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    report.articles_failed += 1
    temporary = isinstance(exc, FetchError | UnexpectedError) and exc.temporary
    next_at = None
    if temporary and row.error_count < len(app.settings.defaults.revisit):
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        next_at = schedule.next_failure(
            now,
            error_count=row.error_count + 1,
            interval=timedelta(minutes=15),
            defaults=app.settings.defaults,
            retry_after=retry_after,
            rng=rng,
        )
    log.warning(
        "article failed: %s",
        exc,
        extra={
            "stage": "article",
            "url": row.url,
            "error_kind": exc.kind,
            "retry_at": next_at.isoformat() if next_at else None,
        },
    )
    record_article_failure(
        s,
        row,
        now=now,
        kind=exc.kind,
        message=str(exc),
        status=exc.status if isinstance(exc, HTTPStatusError) else None,
        next_check_at=next_at,
    )


async def _dispatch_alerts(app: App, fetcher: Fetcher, now: datetime) -> int:
    from monitor.alerts.dispatch import dispatch_due

    return await dispatch_due(app.engine, app.settings, now=now, http=fetcher.client)


def _interval(app: App, feed_name: str) -> timedelta:
    return app.settings.interval_of(feed_name)

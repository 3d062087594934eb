"""The orchestrator: one pass of fetch -> parse -> extract -> facts -> changes -> store -> alerts.

:func:`poll_once` is what the service runs on every tick, what ``monitor poll --once`` runs, and
what the demo and the benchmark run: due feeds and due article revisits come from the database
(``next_check_at``), so a restart resumes where the last process stopped. Each feed, and each
run of consecutive pages finished together, is committed in one transaction (a page with its
version, observations, decisions and alerts), so an interrupted pass leaves no half-written
rows; work claimed but not finished is retried when its lease expires.

Each feed, page and alert delivery is its own unit of failure (issue 10): any exception while
handling one is recorded on its row and that source backs off; the rest of the pass goes on. A
pass that fails as a whole (the database is down, read-only or full) gives back the leases it
took, so the next pass resumes at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
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
from monitor.extract import Page, extract_page, make_pool, start_pool, warm_up
from monitor.facts import Finding, find_facts
from monitor.facts.spec import FactSpec
from monitor.facts.warm import warm_up_text
from monitor.fetch import Fetcher, FetchResult, build_client
from monitor.history import record_observations
from monitor.models import Article
from monitor.parse import parse_feed
from monitor.store import session_scope
from monitor.store.articles import (
    DueArticle,
    claim_due_articles,
    content_hash,
    load_articles,
    record_article_checked,
    record_article_failure,
    save_observations,
    save_version,
)
from monitor.store.engine import describe_store_error
from monitor.store.feeds import (
    DueFeed,
    claim_due_feeds,
    link_entries,
    record_feed_failure,
    record_feed_success,
    sync_feeds,
)
from monitor.store.leases import release_leases

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
FeedError = FetchError | UnexpectedError
PageError = FetchError | ExtractError | UnexpectedError
BATCH = 200
STORE_GROUP = 50
STORE_WAIT = 0.05


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
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Runtime:
    """Per-run resources: the shared HTTP client (inside the fetcher) and the extraction pool."""

    fetcher: Fetcher
    pool: Executor | None


@asynccontextmanager
async def open_runtime(app: App, *, workers: int | None = None) -> AsyncIterator[Runtime]:
    """Build the HTTP client, fetcher and process pool once; close them on exit."""
    client = build_client(app.settings.fetch)
    pool = make_pool(workers, warm_up_worker, (app.settings.facts,))
    try:
        await start_pool(pool, workers)
        yield Runtime(fetcher=Fetcher(app.settings.fetch, client), pool=pool)
    finally:
        await client.aclose()
        pool.shutdown(wait=True, cancel_futures=True)


async def poll_once(
    app: App,
    fetcher: Fetcher,
    *,
    now: datetime,
    pool: Executor | None = None,
    rng: random.Random | None = None,
    dispatch: bool = True,
    progress: Progress | None = None,
) -> PollReport:
    """One pass over all due work: feeds, then article pages, then the alert outbox.

    ``progress(done, total)`` is called as article pages are finished (for progress bars).
    """
    rng = rng or random.Random()
    report = PollReport()
    async with release_on_failure(app, now):
        await refresh_feeds(app, fetcher, now=now, rng=rng, report=report)
        await refresh_articles(
            app, fetcher, now=now, pool=pool, rng=rng, report=report, progress=progress
        )
        if dispatch and app.settings.alerts.channels:
            report.alerts_delivered = await _dispatch_alerts(app, fetcher, now)
    log.info(
        "poll pass done",
        extra={
            "stage": "poll",
            "feeds": report.feeds_checked,
            "feeds_failed": report.feeds_failed,
            "articles": report.articles_checked,
            "versions_new": report.versions_new,
            "changes_new": report.changes_new,
        },
    )
    return report


@asynccontextmanager
async def release_on_failure(app: App, now: datetime) -> AsyncIterator[None]:
    """Run a pass; if it fails, give back the leases it took (claims made at ``now``) so the
    next pass does not wait for them to expire. Leases that cannot be given back yet (the
    database is still failing) are given back at the start of a later pass."""
    release_leases(app.engine, app.unreleased)
    try:
        yield
    except BaseException as exc:
        app.unreleased.append(now)
        if isinstance(exc, sa_exc.SQLAlchemyError):
            # Pooled SQLite connections opened while the file was read-only stay read-only:
            # fresh ones see the database as it is now.
            app.engine.dispose()
        release_leases(app.engine, app.unreleased)
        if isinstance(exc, sa_exc.SQLAlchemyError):
            raise StoreError(describe_store_error(app.engine, exc)) from exc
        raise


async def refresh_feeds(
    app: App, fetcher: Fetcher, *, now: datetime, rng: random.Random, report: PollReport
) -> None:
    """Fetch every due feed, store its new entries as articles due for their first fetch."""
    sync_feeds(app.engine, app.settings.feeds, now)
    # Bounded batches keep memory flat; a short batch means nothing else was due.
    full = True
    while full and (feeds := claim_due_feeds(app.engine, now, limit=BATCH)):
        full = len(feeds) == BATCH
        outcomes = await asyncio.gather(*(_fetch_feed(fetcher, f) for f in feeds))
        if _network_down(outcomes):
            _record_network_down(app, feeds, outcomes, now, report)
            return
        for feed, outcome in zip(feeds, outcomes, strict=True):
            _record_feed_isolated(app, feed, outcome, now, rng, report)


async def refresh_articles(
    app: App,
    fetcher: Fetcher,
    *,
    now: datetime,
    pool: Executor | None,
    rng: random.Random,
    report: PollReport,
    progress: Progress | None = None,
) -> None:
    """Fetch and extract every due page concurrently, then store and decide in publication order.

    Deciding in order matters: a backlog of a feed's older items must read as history, not as
    a string of changes.
    """
    full = True
    while full and (articles := claim_due_articles(app.engine, now, limit=BATCH)):
        full = len(articles) == BATCH
        await _refresh_batch(app, fetcher, articles, now, pool, rng, report, progress)


async def _refresh_batch(
    app: App,
    fetcher: Fetcher,
    articles: list[DueArticle],
    now: datetime,
    pool: Executor | None,
    rng: random.Random,
    report: PollReport,
    progress: Progress | None,
) -> None:
    done = 0

    async def one(article: DueArticle) -> Fetched | PageError:
        nonlocal done
        try:
            outcome: Fetched | PageError = await _fetch_page(
                fetcher, pool, article, app.settings.facts
            )
        except (FetchError, ExtractError) as exc:
            outcome = exc
        except Exception as exc:
            log.exception("page failed unexpectedly", extra={"stage": "fetch", "url": article.url})
            outcome = UnexpectedError("fetch", exc)
        done += 1
        if progress is not None:
            progress(done, len(articles))
        return outcome

    # All pages are fetched and extracted concurrently; each is stored as soon as every page
    # before it in publication order is, so storing overlaps the extraction still running.
    # Pages ready within STORE_WAIT of each other are stored in one transaction: a third of
    # the cost of one transaction each.
    ordered = sorted(articles, key=lambda a: (a.published_at or a.first_seen_at, a.id))
    tasks = [asyncio.ensure_future(one(a)) for a in ordered]
    try:
        start = 0
        while start < len(tasks):
            end = await _finished_run(tasks, start)
            group = [(ordered[i], tasks[i].result()) for i in range(start, end)]
            _store_pages_isolated(app, group, now, rng, report)
            start = end
    finally:
        for task in tasks:
            task.cancel()


async def _finished_run(tasks: Sequence[asyncio.Future[Any]], start: int) -> int:
    """Wait for ``tasks[start]``, then up to STORE_WAIT for those after it; the run's end."""
    await tasks[start]
    limit = min(len(tasks), start + STORE_GROUP)
    window = tasks[start + 1 : limit]
    if not all(task.done() for task in window):
        await asyncio.wait(window, timeout=STORE_WAIT)
    end = start + 1
    while end < limit and tasks[end].done():
        end += 1
    return end


async def _fetch_feed(fetcher: Fetcher, feed: DueFeed) -> FetchResult | FeedError:
    try:
        result = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    except FetchError as exc:
        log.warning(
            "feed fetch failed: %s",
            exc,
            extra={"stage": "fetch", "feed": feed.name, "url": feed.url, "error_kind": exc.kind},
        )
        return exc
    except Exception as exc:
        log.exception("feed fetch failed unexpectedly", extra={"stage": "fetch", "feed": feed.name})
        return UnexpectedError("fetch", exc)
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


def _network_down(outcomes: Sequence[FetchResult | FeedError]) -> bool:
    return len(outcomes) > 1 and all(isinstance(o, NetworkError) for o in outcomes)


def _record_network_down(
    app: App,
    feeds: Sequence[DueFeed],
    outcomes: Sequence[FetchResult | FeedError],
    now: datetime,
    report: PollReport,
) -> None:
    # Every feed failing the same way at once is our network, not N broken feeds: one
    # service-level error, feeds retried soon without counting against them.
    report.network_down = True
    report.feeds_failed = len(feeds)
    retry = now + app.settings.defaults.min_interval
    log.error(
        "every feed failed with a network error; is the network down? retrying at %s",
        retry.isoformat(),
        extra={"stage": "fetch", "feeds": len(feeds)},
    )
    with session_scope(app.engine) as s:
        for feed, outcome in zip(feeds, outcomes, strict=True):
            record_feed_failure(
                s,
                feed.id,
                now=now,
                next_check_at=retry,
                kind="network",
                message=str(outcome),
                count=False,
            )


def _record_feed_isolated(
    app: App,
    feed: DueFeed,
    outcome: FetchResult | FeedError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """:func:`_record_feed`, with any exception recorded as the feed's own error (its new
    entries are rolled back and fetched again when it next succeeds)."""
    try:
        _record_feed(app, feed, outcome, now, rng, report)
    except Exception as exc:
        # Recorded in a transaction of its own: if that fails too, the database is failing,
        # and the whole pass fails (release_on_failure).
        log.exception("feed failed unexpectedly", extra={"stage": "store", "feed": feed.name})
        report.feeds_checked -= 1  # counted again by the failure
        _feed_failed(app, feed, UnexpectedError("store", exc), now, rng, report)


def _record_feed(
    app: App,
    feed: DueFeed,
    outcome: FetchResult | FeedError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    settings = app.settings
    interval = _interval(app, feed.name)
    report.feeds_checked += 1
    if isinstance(outcome, FetchError | UnexpectedError):
        _feed_failed(app, feed, outcome, now, rng, report)
        return
    if outcome.not_modified:
        report.feeds_not_modified += 1
        next_at = schedule.next_success(
            now,
            interval=interval,
            defaults=settings.defaults,
            ttl=None,
            max_age=outcome.max_age,
            rng=rng,
        )
        with session_scope(app.engine) as s:
            record_feed_success(
                s,
                feed.id,
                now=now,
                next_check_at=next_at,
                status=304,
                etag=outcome.etag,
                last_modified=outcome.last_modified,
                outcome="not_modified",
            )
        return
    try:
        parsed = parse_feed(outcome.content, outcome.headers, outcome.url)
    except ParseError as exc:
        _feed_failed(app, feed, exc, now, rng, report)
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
    with session_scope(app.engine) as s:
        new_ids = link_entries(s, feed.id, parsed.entries, outlet=feed.outlet, now=now)
        record_feed_success(
            s,
            feed.id,
            now=now,
            next_check_at=next_at,
            status=outcome.status,
            etag=outcome.etag,
            last_modified=outcome.last_modified,
            outcome="ok" if parsed.entries else "empty",
        )
    report.articles_new += len(new_ids)


def _feed_failed(
    app: App,
    feed: DueFeed,
    exc: FeedError | ParseError,
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    report.feeds_failed += 1
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
    with session_scope(app.engine) as s:
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
    fetcher: Fetcher, pool: Executor | None, article: DueArticle, facts: tuple[FactSpec, ...]
) -> Fetched:
    result = await fetcher.fetch(
        article.url, etag=article.etag, last_modified=article.last_modified, page=True
    )
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
    return Fetched(result, await _analyse(pool, result, facts))


def _store_pages_isolated(
    app: App,
    group: Sequence[tuple[DueArticle, Fetched | PageError]],
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """:func:`_store_pages`; when the group's transaction fails, each page is stored on its
    own, and a page that still fails is recorded as failed."""
    checked = report.articles_checked
    try:
        _store_pages(app, group, now, rng, report)
        return
    except Exception as exc:
        report.articles_checked = checked
        if len(group) == 1:
            article, _ = group[0]
            log.exception("page failed unexpectedly", extra={"stage": "store", "url": article.url})
            _store_pages(app, [(article, UnexpectedError("store", exc))], now, rng, report)
            return
    for one in group:
        _store_pages_isolated(app, [one], now, rng, report)


def _store_pages(
    app: App,
    group: Sequence[tuple[DueArticle, Fetched | PageError]],
    now: datetime,
    rng: random.Random,
    report: PollReport,
) -> None:
    """Store the outcomes of consecutive pages (in publication order) in one transaction."""
    with session_scope(app.engine) as s:
        # Held here: the session's identity map keeps rows only weakly.
        rows = load_articles(s, [article.id for article, _ in group])
        for article, outcome in group:
            report.articles_checked += 1
            if isinstance(outcome, FetchError | ExtractError | UnexpectedError):
                _article_failed(app, s, rows[article.id], outcome, now, rng, report)
            else:
                _store_page(app, s, rows[article.id], article, outcome, now, report)


def _store_page(
    app: App,
    s: Session,
    row: Article,
    article: DueArticle,
    fetched: Fetched,
    now: datetime,
    report: PollReport,
) -> None:
    """Store a new version (if the text changed), its observations and the decisions on them."""
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
    observations = save_observations(s, version, fetched.analysed.findings, now=now)
    report.observations_new += len(observations)
    changes = record_observations(
        s,
        article=row,
        version=version,
        observations=observations,
        settings=app.settings,
        now=now,
    )
    report.changes_new += len(changes)


async def _analyse(
    pool: Executor | None, result: FetchResult, facts: tuple[FactSpec, ...]
) -> Analysed:
    if pool is None:
        return analyse(result.content, result.url, facts)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, analyse, result.content, result.url, facts)


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

"""Extract stage: page HTML -> article text and metadata, with trafilatura.

Settings follow ``../shared/corpora/PEERS.md``: comments off and fast mode were both more accurate
and faster on real news pages. Of the metadata only title, author and dates are worked out (with
trafilatura's and htmldate's own functions): the rest is not kept. Extraction is CPU-bound, so
the pipeline runs :func:`extract_article` in a process pool (:func:`make_pool`); it is a plain
top-level function so that it pickles.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pebble
import trafilatura
import zstandard
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.settings import DEFAULT_CONFIG, Document, set_date_params

from monitor.errors import ExtractError

T = TypeVar("T")

# The settings the pipeline extracts with; benchmarks and tests call trafilatura with the same.
OPTIONS = {"include_comments": False, "fast": True}
# Article text kept for the fact stage and the store: the longest news articles run to about
# 60,000 characters; a page with more (a 10 MB dump, a spam page of repeated phrases) is cut
# at a line break before this, so the fact stage's time stays bounded (issue 10).
MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class Extracted:
    """The readable article of a page."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None
    modified: datetime | None
    language: str | None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def extract_article(html: bytes | str, url: str | None = None) -> Extracted:
    """Extract text, title, author, dates and language from one page (pure; no I/O).

    Raises :class:`ExtractError` when the page has no article text.
    """
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError(f"extract: {url or 'page'} is not parseable HTML")
    language = (tree.get("lang") or "").split("-")[0].lower() or None
    modified = _date(find_date(tree, original_date=False, extensive_search=False, url=url))
    title, author, published = _metadata(tree, url)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=OPTIONS["include_comments"],
        fast=OPTIONS["fast"],
    )
    text = doc.text if isinstance(doc, Document) else None
    if not isinstance(doc, Document) or not text or not text.strip():
        raise ExtractError(f"extract: no article text found in {url or 'page'}")
    text = _storable(text)
    return Extracted(
        text=text,
        title=title,
        author=author,
        published=published,
        modified=modified if modified and (not published or modified > published) else None,
        language=doc.language or language,
    )


def _storable(text: str) -> str:
    """The text without what PostgreSQL refuses (NUL, lone surrogates), cut at a line break
    before :data:`MAX_TEXT` characters. Done before the fact stage, so that the findings'
    offsets are into the text that is stored."""
    text = text.replace("\0", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        text = text[: cut if cut > MAX_TEXT // 2 else MAX_TEXT]
    return text


def _metadata(tree: Any, url: str | None) -> tuple[str | None, str | None, datetime | None]:
    """Title, author and publication date, found as ``trafilatura.extract_metadata`` finds them.

    That function also works out the categories, tags, licence and site name, which the
    monitor does not keep: skipping them saved 11 % of a page's extraction CPU, and trafilatura has
    no option to skip them. ``tests/test_extract.py`` checks on real pages that these three
    fields match what trafilatura's own metadata extraction gives.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # as trafilatura: a single word is no byline
        meta.author = None
    with contextlib.suppress(Exception):  # as trafilatura: a JSON-LD bug must not lose the page
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    params = set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
    params["url"] = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, **params)
    meta.clean_and_trim()
    return meta.title, meta.author, _date(meta.date)


@dataclass(frozen=True, slots=True)
class Page:
    """An extracted page and its HTML compressed for storage (kept to re-extract later)."""

    extracted: Extracted
    raw_html_z: bytes


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compress_html(html: bytes) -> bytes:
    """A page's HTML as stored: a zstd frame."""
    # Level 3 on the benchmark's news pages: 2 ms/MB, 20 % of the input; zlib level 1 took
    # 5.6 ms/MB for 23 %.
    return zstandard.ZstdCompressor(level=3).compress(html)


def decompress_html(stored: bytes) -> bytes:
    """Stored HTML back to the page's bytes (zstd; zlib as the first releases stored it)."""
    if stored.startswith(_ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().decompress(stored)
    return zlib.decompress(stored)


def extract_page(html: bytes, url: str | None = None) -> Page:
    """:func:`extract_article` plus compression, both CPU-bound: run it in the pool."""
    return Page(extract_article(html, url), compress_html(html))


# Warm-up pages: the first call of each code path costs a worker up to 0.3 s of lazy set-up
# (imports, regex compiles, dateparser's locale and time-zone tables), so a cold worker is
# slower than the loop it should beat. One page has metadata and meta dates; the others have
# their date only in the text, in English and in German, which sends htmldate to dateparser;
# the URL's host is one that needs the public suffix list.
WARM_UP_PAGES = (
    '<html lang="en"><head><title>Warm-up story</title>'
    '<meta name="author" content="A. Writer">'
    '<meta property="article:published_time" content="2025-03-05T12:00:00Z">'
    '<meta property="article:modified_time" content="2025-03-06T09:00:00Z"></head>'
    "<body><article><h1>Warm-up story</h1>"
    + "<p>Leaders of 26 countries met in London on Wednesday, officials said.</p>" * 5
    + "</article></body></html>",
    '<html lang="en"><head><title>Second warm-up story</title></head><body><article>'
    '<h1>Second warm-up story</h1><p class="byline">By A. Writer</p>'
    '<div class="date">Wednesday March 5 12:00 2025</div>'
    + "<p>Leaders of 26 countries met in London on Wednesday, officials said.</p>" * 5
    + "</article></body></html>",
    '<html lang="de"><head><title>Dritte Geschichte</title></head><body><article>'
    '<h1>Dritte Geschichte</h1><div class="date">Mittwoch, 5. März, 12:00 Uhr</div>'
    + "<p>Vertreter von 26 Staaten trafen sich am Mittwoch in London, hieß es.</p>" * 5
    + "</article></body></html>",
)


WARM_UP_URL = "https://www.ab.example/world/warm-up-story"


def warm_up() -> None:
    """Run the extraction code paths once, so that real pages do not pay their set-up."""
    for page in WARM_UP_PAGES:
        extract_page(page.encode(), WARM_UP_URL)


def _ready() -> int:
    return os.getpid()


def pool_size(workers: int | None = None) -> int:
    """Worker processes for ``workers`` (None: one per core)."""
    return workers or os.cpu_count() or 1


# Workers run below the event loop's priority: extraction is batch work, while the loop's short
# bursts (reading responses, handing the next page to an idle worker, storing) hold up everything
# behind them. On 2 cores this made a pass over the benchmark's pages 4 % faster (13 of 16
# paired runs).
WORKER_NICENESS = 5


def _start_worker(initializer: Callable[..., None], *initargs: Any) -> None:
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    initializer(*initargs)


# Wall-clock seconds a worker may spend on one page before it is replaced (fetch.page_budget).
PAGE_BUDGET = 60.0


class BudgetPool(Executor):
    """A process pool in which every task has a wall-clock budget: a worker that exceeds it is
    terminated and replaced, and the task's future raises :class:`TimeoutError` (a worker that
    dies raises ``pebble.ProcessExpired``). pebble does the worker management; the standard
    ProcessPoolExecutor cannot stop one task (issue 10: a 10 MB page took 82 s, unbounded)."""

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...],
        budget: float | None,
    ) -> None:
        self.budget = budget
        self._pool = pebble.ProcessPool(
            max_workers=workers, initializer=_start_worker, initargs=(initializer, *initargs)
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._pool.schedule(fn, args=args, kwargs=kwargs, timeout=self.budget)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self._pool.stop()  # type: ignore[no-untyped-call]
        else:
            self._pool.close()  # type: ignore[no-untyped-call]
        if wait:
            self._pool.join()


def make_pool(
    workers: int | None = None,
    initializer: Callable[..., None] = warm_up,
    initargs: tuple[Any, ...] = (),
    *,
    budget: float | None = PAGE_BUDGET,
) -> BudgetPool:
    """A process pool sized to the machine's cores, its workers at a lower CPU priority than the
    caller (:data:`WORKER_NICENESS`); each worker runs ``initializer`` (a warm-up) as it starts,
    and is replaced when one task takes more than ``budget`` seconds."""
    return BudgetPool(pool_size(workers), initializer, initargs, budget)


def budget_error(exc: BaseException, url: str, budget: float | None) -> ExtractError | None:
    """The page's own error for a pool failure: over its budget, or its worker died."""
    if isinstance(exc, TimeoutError):
        return ExtractError(
            f"extract: {url} took over {budget:g} s to read (fetch.page_budget); its worker "
            "was replaced"
        )
    if isinstance(exc, pebble.ProcessExpired):
        return ExtractError(f"extract: the worker reading {url} died ({exc}); it was replaced")
    return None


async def start_pool(pool: Executor, workers: int | None = None) -> None:
    """Start (and so warm up) every worker now rather than on the first pages."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(pool_size(workers))))

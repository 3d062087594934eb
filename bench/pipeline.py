"""Pipeline throughput against a plain trafilatura loop, on the article-extraction-benchmark pages.

    .venv/bin/python bench/pipeline.py [--corpus ../shared/corpora/article-extraction-benchmark]

Serves the pages and a feed listing them from a local server on 127.0.0.1 and runs pipeline passes
from an empty SQLite database (fetch, parse, extract in the process pool, facts, store). Each pass
is followed at once by a pass of a plain single-process loop of ``trafilatura.extract`` with the
pipeline's settings over the same files (with metadata, as the pipeline extracts it; a text-only
pass is printed too), in a fresh process kept warm between passes: the pool's workers start warm,
so the loop first extracts the same warm-up pages. Interleaving the passes samples both sides
over the same minutes, as the machine's speed drifts. One cold pass of the loop (set-up
included, as a one-shot script pays it) is printed for reference. Prints pages/s, peak RSS, the
median of the paired ratios, and last ``pipeline/plain ratio: X.XX``: the warm loop's median
time over the pipeline's median time (``--runs`` passes each).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trafilatura
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from monitor.app import App
from monitor.config import FeedConfig, load_settings
from monitor.extract import OPTIONS, WARM_UP_PAGES, WARM_UP_URL
from monitor.pipeline import open_runtime, poll_once
from monitor.store import create_db_engine, migrate

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "article-extraction-benchmark"


def serve(routes: dict[str, tuple[bytes, str]]) -> ThreadingHTTPServer:
    """A static server for ``routes``, bound to an ephemeral loopback port, not yet serving."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as news sites serve
        disable_nagle_algorithm = True  # or each response waits on a delayed ACK

        def do_GET(self) -> None:
            body, ctype = routes.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default 5 drops SYNs of a burst of connections: 1 s stalls

        def handle_error(self, request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing keep-alive
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def start_elsewhere(server: ThreadingHTTPServer) -> multiprocessing.Process:
    """Serve from a child process: web servers are not in the pipeline's process (nor its GIL)."""
    proc = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    proc.start()
    server.socket.close()  # the child owns the listening socket now
    return proc


def feed_xml(base: str, ids: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{i}</title><link>{base}/pages/{i}.html</link><guid>{i}</guid></item>"
        for i in ids
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}'
        "</channel></rss>"
    ).encode()


def empty_tables(engine: Engine) -> None:
    """Delete every row (the schema and the engine stay), children before parents."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


def peak_rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, children


async def run_pipeline(app: App, workers: int | None) -> tuple[float, int]:
    async with open_runtime(app, workers=workers, warm=True) as rt:
        start = time.perf_counter()
        report = await poll_once(app, rt.fetcher, now=datetime.now(UTC), pool=rt.pool)
        return time.perf_counter() - start, report.versions_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument(
        "--runs", type=int, default=7, help="pipeline passes, each followed by a loop pass"
    )
    args = parser.parse_args()

    files = sorted((args.corpus / "html").glob("*.html.gz"))
    pages = {f.name.removesuffix(".html.gz"): gzip.decompress(f.read_bytes()) for f in files}
    routes = {f"/pages/{k}.html": (v, "text/html; charset=utf-8") for k, v in pages.items()}
    server = serve(routes)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    routes["/feed.xml"] = (feed_xml(base, list(pages)), "application/rss+xml")
    server_process = start_elsewhere(server)

    settings = load_settings(REPO / "feeds.yaml", env={})
    settings = settings.model_copy(
        update={
            "feeds": (FeedConfig(name="bench", url=f"{base}/feed.xml"),),
            "fetch": settings.fetch.model_copy(
                update={
                    # Loopback allowed and no politeness delay; the concurrency limits are the
                    # defaults (2 connections per host), as a pass over real sites uses them.
                    "allow_networks": ("127.0.0.0/8",),
                    "per_host_delay": timedelta(0),
                }
            ),
        }
    )
    timings: list[float] = []
    plain_times: list[float] = []
    text_times: list[float] = []
    spawn = multiprocessing.get_context("spawn")
    # The loop runs in a fresh process, as a user's script would (the pipeline's heap does not
    # slow it), kept warm between passes. Each pipeline run is followed at once by a pass of the
    # loop: on a shared machine the speed drifts by a fifth from one minute to the next, so both
    # medians are taken over the same minutes.
    with (
        spawn.Pool(1, initializer=plain_setup, initargs=(files,)) as plain_pool,
        tempfile.TemporaryDirectory() as tmp,
    ):
        # One engine for all runs, as the service keeps one: its compiled-statement cache is
        # warm after the first pass. Each run starts from empty tables.
        engine = create_db_engine(f"sqlite:///{tmp}/bench.sqlite")
        migrate(engine)
        app = App(settings=settings, engine=engine)
        for run in range(args.runs):
            empty_tables(engine)
            elapsed, stored = asyncio.run(run_pipeline(app, args.workers))
            timings.append(elapsed)
            plain_times.append(plain_pool.apply(plain_pass, (True,)))
            text_times.append(plain_pool.apply(plain_pass, (False,)))
            print(
                f"run {run + 1}: pipeline (fetch..store) {elapsed:.2f} s, versions {stored}; "
                f"plain loop {plain_times[-1]:.2f} s; ratio {plain_times[-1] / elapsed:.2f}",
                flush=True,
            )
        engine.dispose()
        # Before the loop's processes end and add themselves to the reaped children.
        me, children = peak_rss_mb()
    server_process.terminate()
    server_process.join()
    with spawn.Pool(1) as cold_pool:
        cold = cold_pool.apply(plain_cold, (files,))

    n = len(pages)
    elapsed = statistics.median(timings)
    plain = statistics.median(plain_times)
    print(f"pages: {n}")
    print(
        f"pipeline (fetch..store), median of {args.runs}: {elapsed:.2f} s, "
        f"{n / elapsed:.1f} pages/s"
    )
    print(
        "plain trafilatura.extract loop, with_metadata=True (the pipeline's settings; of the "
        "metadata the pipeline works out only what it keeps: title, author, dates), "
        f"median of {args.runs}: {plain:.2f} s, {n / plain:.1f} pages/s"
    )
    text_only = statistics.median(text_times)
    print(
        f"plain trafilatura.extract loop, text only: {text_only:.2f} s, {n / text_only:.1f} pages/s"
    )
    print(
        f"plain loop, one cold pass (a one-shot script, set-up included): {cold:.2f} s, "
        f"pipeline/cold-plain ratio {cold / elapsed:.2f}"
    )
    print(f"pipeline/text-only ratio: {text_only / elapsed:.2f}")
    print(f"peak RSS: main process {me:.0f} MB, largest extraction worker {children:.0f} MB")
    paired = statistics.median(p / t for p, t in zip(plain_times, timings, strict=True))
    print(f"median of the paired ratios: {paired:.2f}")
    print(f"pipeline/plain ratio: {plain / elapsed:.2f}")
    sys.stdout.flush()


def timed_pass(pages: list[bytes], **kwargs: Any) -> float:
    """Seconds of one ``trafilatura.extract`` loop over ``pages`` with the pipeline's options."""
    start = time.perf_counter()
    for html in pages:
        trafilatura.extract(html, **kwargs, **OPTIONS)
    return time.perf_counter() - start


def plain_cold(files: list[Path]) -> float:
    """Seconds of one pass of the plain loop with metadata in a fresh process, no warm-up."""
    return timed_pass([gzip.decompress(f.read_bytes()) for f in files], with_metadata=True)


_PAGES: list[bytes] = []  # the loop process's pages (set by plain_setup)


def plain_setup(files: list[Path]) -> None:
    """Load the pages into the loop's process and warm it up as the pool's workers are."""
    _PAGES[:] = [gzip.decompress(f.read_bytes()) for f in files]
    for page in WARM_UP_PAGES:
        trafilatura.extract(page, url=WARM_UP_URL, with_metadata=True, **OPTIONS)


def plain_pass(with_metadata: bool) -> float:
    """Seconds of one warm pass of the loop (with metadata, as the pipeline extracts it, or
    text only, printed for reference)."""
    return timed_pass(_PAGES, with_metadata=with_metadata)


if __name__ == "__main__":
    main()

"""Operating at scale: many feeds, several workers, alert latency and query speed.

    .venv/bin/python bench/scale.py        # 1,000 feeds x 1 item, 1 and 2 workers: a few minutes
    .venv/bin/python bench/scale.py --feeds 10000 --items 10 --worker-counts 1,2,4 \
        --observations 1000000             # the full run: hours on two cores

A loopback news site runs in a child process (an asyncio HTTP/1.1 server with keep-alive on
``--hosts`` addresses 127.0.0.1, 127.0.0.2, ...): ``--feeds`` RSS feeds of ``--items`` items,
5-20 KB article pages, stable ETags and 304s, and its own log of every request (to count
duplicate fetches). Prints, with ratios and the issue's targets:

1. first pass and all-304 pass of the pipeline (SQLite, in this process, extraction pool of
   ``--pool`` processes) against a plain asyncio + httpx + feedparser loop over the same
   requests with the same concurrency (extraction in a pool of the same size): the floor;
   database transactions per all-304 pass;
2. start-up: a ``monitor poll --once`` process with nothing due (interpreter, imports,
   configuration, schema check, feed-list sync);
3. 1 and 2 (``--worker-counts``) ``monitor poll --once --workers 1`` processes started
   together on an empty PostgreSQL schema (first pass), with duplicate fetches from the site's log;
4. the time from an item appearing in a feed to its alert reaching a webhook receiver while
   ``monitor run`` polls every feed;
5. p95 of the history, changes and as-of queries on a database with ``--observations``
   observations, SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import httpx
import sqlalchemy as sa
import trafilatura
from sqlalchemy import event

from monitor.app import App
from monitor.config import load_settings
from monitor.extract import OPTIONS, WORKER_NICENESS
from monitor.pipeline import open_runtime, poll_once
from monitor.store import create_db_engine, migrate
from monitor.store.feeds import sync_feeds

REPO = Path(__file__).resolve().parents[1]
MONITOR = str(Path(sys.executable).with_name("monitor"))
PG_URL = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
WORDS = (
    "the talks in paris on thursday continued late into the night as ministers and officials "
    "from several governments weighed the terms of a framework for the coming months while "
    "observers said the outcome remained uncertain and further meetings were planned"
).split()


# --- the loopback news site (child process) ------------------------------------------------


def _page(i: int, k: int) -> bytes:
    rnd = random.Random(i * 1000 + k)
    size = rnd.randint(5_000, 20_000)
    paras, length = [], 0
    while length < size:
        para = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(40, 90))).capitalize() + "."
        paras.append(f"<p>{para}</p>")
        length += len(para) + 7
    title = f"Report {i}-{k}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>"
        f"<meta property='article:published_time' content='2025-09-19T09:00:00Z'></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{''.join(paras)}</article>"
        f"<footer>Example News</footer></body></html>"
    ).encode()


def _news_page(i: int) -> bytes:
    return (
        b"<!DOCTYPE html><html lang='en'><head><title>Coalition grows</title>"
        b"<meta property='article:published_time' content='2025-09-20T11:00:00Z'></head><body>"
        b"<article><h1>Coalition grows</h1>"
        b"<p>Thirty-five countries pledged to deploy troops to Ukraine after a ceasefire, "
        b"officials said on Saturday after talks in Paris.</p>"
        b"<p>The pledges were described as a first step by the French president.</p>"
        b"<p>Further details of the force are expected next week, the officials added.</p>"
        b"</article></body></html>"
    )


class _Site:
    def __init__(self, feeds: int, items: int, hosts: int, port: int) -> None:
        self.feeds, self.items, self.hosts, self.port = feeds, items, hosts, port
        self.seen: dict[str, int] = {}
        self.extra: set[int] = set()

    def host(self, i: int) -> str:
        return f"127.0.0.{1 + i % self.hosts}"

    def feed_url(self, i: int) -> str:
        return f"http://{self.host(i)}:{self.port}/f/{i}.xml"

    def rss(self, i: int) -> bytes:
        base = f"http://{self.host(i)}:{self.port}"
        items = []
        if i in self.extra:
            items.append((f"{base}/x/{i}", "Coalition grows", T0 + timedelta(hours=23)))
        for k in range(self.items):
            items.append((f"{base}/a/{i}/{k}", f"Report {i}-{k}", T0 - timedelta(minutes=k)))
        body = "".join(
            f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{format_datetime(d)}</pubDate></item>"
            for link, t, d in items
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>{base}/</link><description>d</description>"
            f"{body}</channel></rss>"
        ).encode()

    def answer(self, host: str, path: str, inm: str | None) -> tuple[int, bytes, dict[str, str]]:
        if path.startswith("/_"):
            return self.control(path)
        self.seen[host + path] = self.seen.get(host + path, 0) + 1
        parts = path.strip("/").split("/")
        try:
            if parts[0] == "f":
                i = int(parts[1].removesuffix(".xml"))
                etag = f'"f{i}-{int(i in self.extra)}"'
                if inm == etag:
                    return 304, b"", {"ETag": etag}
                return 200, self.rss(i), {"ETag": etag, "Content-Type": "application/rss+xml"}
            if parts[0] == "a":
                i, k = int(parts[1]), int(parts[2])
                etag = f'"a{i}-{k}"'
                if inm == etag:
                    return 304, b"", {"ETag": etag}
                return 200, _page(i, k), {"ETag": etag, "Content-Type": "text/html"}
            if parts[0] == "x":
                return 200, _news_page(int(parts[1])), {"Content-Type": "text/html"}
        except (ValueError, IndexError):
            pass
        return 404, b"not found", {"Content-Type": "text/plain"}

    def control(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path == "/_stats":
            dupes = sum(1 for n in self.seen.values() if n > 1)
            body = {"requests": sum(self.seen.values()), "paths": len(self.seen), "dupes": dupes}
            return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}
        if path == "/_reset":
            self.seen.clear()
        elif path.startswith("/_add/"):
            self.extra.add(int(path.removeprefix("/_add/")))
        elif path == "/_clear":
            self.extra.clear()
        return 200, b"ok", {"Content-Type": "text/plain"}


def _serve_site(feeds: int, items: int, hosts: int, port: int, ready: Any) -> None:
    site = _Site(feeds, items, hosts, port)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                status, body, extra = site.answer(host, path, headers.get("if-none-match"))
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(handle, f"127.0.0.{1 + h}", port, backlog=1024)
            for h in range(hosts)
        ]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def start_site(feeds: int, items: int, hosts: int) -> tuple[multiprocessing.Process, _Site]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(
        target=_serve_site, args=(feeds, items, hosts, port, ready), daemon=True
    )
    proc.start()
    if not ready.wait(30):
        raise SystemExit("the site did not start")
    return proc, _Site(feeds, items, hosts, port)


def control(site: _Site, path: str) -> dict[str, Any]:
    r = httpx.get(f"http://127.0.0.1:{site.port}{path}", timeout=30)
    return r.json() if path == "/_stats" else {}


# --- configuration ---------------------------------------------------------------------------


def write_config(tmp: Path, site: _Site, args: argparse.Namespace, **extra: Any) -> Path:
    repo = load_settings(REPO / "feeds.yaml")
    doc: dict[str, Any] = {
        # Revisits a week on: the timed passes poll feeds only.
        "defaults": {"interval": "30m", "min_interval": "1m", "jitter": 0, "revisit": ["7d"]},
        "fetch": {
            "allow_networks": ["127.0.0.0/8"],
            "per_host_delay": "0s",
            "concurrency": args.concurrency,
            "per_host_concurrency": args.per_host,
            "respect_robots": False,
            "timeout": "30s",
        },
        "feeds": [{"name": f"f{i}", "url": site.feed_url(i)} for i in range(site.feeds)],
        "facts": [f.model_dump(mode="json", exclude_defaults=True) for f in repo.facts],
    } | extra
    path = tmp / f"feeds-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(json.dumps(doc))
    return path


# --- 1. passes against the plain loop -----------------------------------------------------


def _extract(html: bytes, url: str) -> str | None:
    return trafilatura.extract(html, url=url, **OPTIONS)


async def plain_pass(
    site: _Site, etags: dict[str, str], pool: ProcessPoolExecutor, args: argparse.Namespace
) -> int:
    """The floor: conditional GET of every feed, then every new page fetched and extracted."""
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=20)
    hosts: dict[str, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(args.concurrency)
    loop = asyncio.get_running_loop()
    pages = 0

    async def get(client: httpx.AsyncClient, url: str) -> httpx.Response:
        host = hosts.setdefault(url.split("/")[2], asyncio.Semaphore(args.per_host))
        async with overall, host:
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            r = await client.get(url, headers=headers)
        if "etag" in r.headers:
            etags[url] = r.headers["etag"]
        return r

    async def page(client: httpx.AsyncClient, url: str) -> None:
        nonlocal pages
        r = await get(client, url)
        if r.status_code == 200:
            await loop.run_in_executor(pool, _extract, r.content, url)
            pages += 1

    async def feed(client: httpx.AsyncClient, i: int) -> None:
        r = await get(client, site.feed_url(i))
        if r.status_code == 304:
            return
        parsed = feedparser.parse(r.content)
        await asyncio.gather(*(page(client, e.link) for e in parsed.entries))

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(feed(client, i) for i in range(site.feeds)))
    return pages


def bench_passes(site: _Site, tmp: Path, args: argparse.Namespace) -> None:
    print(f"\n## 1. passes: {site.feeds} feeds x {site.items} items, pool of {args.pool}")
    config = write_config(tmp, site, args)
    settings = load_settings(config).model_copy(
        update={"database_url": f"sqlite:///{tmp / 'passes.sqlite'}"}
    )
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    commits = [0]
    event.listen(engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
    app = App(settings=settings, engine=engine, config_path=config)

    async def pipeline(now: datetime, sync: bool = False) -> tuple[float, int, Any]:
        async with open_runtime(app, workers=args.pool, warm=True) as rt:
            control(site, "/_reset")
            before, start = commits[0], time.perf_counter()
            # As the service: the feed list is synced at start, not on every pass.
            report = await poll_once(app, rt.fetcher, now=now, pool=rt.pool, sync=sync)
            return time.perf_counter() - start, commits[0] - before, report

    async def floor(etags: dict[str, str]) -> tuple[float, int]:
        # The pipeline's pool runs at a lower CPU priority; so does this one, so that a busy
        # machine slows both alike.
        with ProcessPoolExecutor(
            args.pool, initializer=os.nice, initargs=(WORKER_NICENESS,)
        ) as pool:
            list(pool.map(_extract, [_page(0, 0)] * args.pool, ["http://x/"] * args.pool))
            control(site, "/_reset")
            start = time.perf_counter()
            pages = await plain_pass(site, etags, pool, args)
            return time.perf_counter() - start, pages

    now = datetime.now(UTC)
    first, first_tx, report = asyncio.run(pipeline(now, sync=True))
    dupes = control(site, "/_stats")["dupes"]
    etags: dict[str, str] = {}
    first_floor, pages = asyncio.run(floor(etags))
    print(
        f"first pass:   pipeline {first:7.1f} s ({report.articles_checked} pages, "
        f"{report.feeds_checked / first:6.0f} feeds/s, {first_tx} transactions, "
        f"{dupes} duplicate fetches); plain loop {first_floor:7.1f} s ({pages} pages); "
        f"ratio {first_floor / first:.2f}x (target >= 0.8x)"
    )
    later = now + timedelta(minutes=31)
    runs, floors, txs = [], [], []
    for _ in range(args.repeat):
        t, tx, report = asyncio.run(pipeline(later))
        assert report.feeds_not_modified == site.feeds, report
        runs.append(t)
        txs.append(tx)
        floors.append(asyncio.run(floor(etags))[0])
        later += timedelta(minutes=31)
    t, f, tx = statistics.median(runs), statistics.median(floors), max(txs)
    target = site.feeds / 200 + 5
    print(
        f"all-304 pass: pipeline {t:7.1f} s ({site.feeds / t:6.0f} feeds/s); plain loop "
        f"{f:7.1f} s ({site.feeds / f:6.0f} feeds/s); ratio {f / t:.2f}x (target >= 0.8x); "
        f"median of {args.repeat}"
    )
    print(
        f"transactions per all-304 pass: {tx} (target <= N/200 + 5 = {target:.0f}): "
        f"{'met' if tx <= target else 'missed'}"
    )
    engine.dispose()


# --- 2. start-up ----------------------------------------------------------------------------


def bench_startup(site: _Site, tmp: Path, args: argparse.Namespace) -> None:
    print("\n## 2. start-up")
    config = write_config(tmp, site, args)
    env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{tmp / 'startup.sqlite'}"}
    cmd = [MONITOR, "--config", str(config)]
    start = time.perf_counter()
    subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)
    migrated = time.perf_counter() - start
    # Every feed already in the table and next due long after --now: restarts with nothing due.
    engine = create_db_engine(env["MONITOR_DATABASE_URL"])
    sync_feeds(engine, load_settings(config).feeds, datetime(2100, 1, 1, tzinfo=UTC))
    engine.dispose()
    now = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [*cmd, "poll", "--once", "--now", now], env=env, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    t = statistics.median(times)
    print(
        f"empty database to migrated schema: {migrated:.2f} s; a start with {site.feeds} feeds "
        f"and nothing due (monitor poll --once: interpreter, imports, configuration, schema "
        f"check, feed-list sync, an empty pass): {t:.2f} s, median of 3 (target <= 3 s): "
        f"{'met' if t <= 3 else 'missed'}"
    )


# --- 3. workers on PostgreSQL --------------------------------------------------------------


def bench_workers(site: _Site, tmp: Path, args: argparse.Namespace) -> None:
    print(f"\n## 3. workers on PostgreSQL (first pass from an empty schema, {site.feeds} feeds)")
    config = write_config(tmp, site, args)
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    base: float | None = None
    for n in args.worker_counts:
        schema = f"scale_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        env = {
            **os.environ,
            "MONITOR_DATABASE_URL": f"{PG_URL}{sep}options=-csearch_path%3D{schema}",
        }
        cmd = [MONITOR, "--config", str(config), "poll", "--once", "--workers", "1"]
        control(site, "/_reset")
        start = time.perf_counter()
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for _ in range(n)
        ]
        codes = [p.wait() for p in procs]
        elapsed = time.perf_counter() - start
        stats = control(site, "/_stats")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        base = base or elapsed
        print(
            f"{n} worker(s): {elapsed:7.1f} s, speed-up {base / elapsed:.2f}x"
            f"{' (target >= 1.5x)' if n == 2 else ''}, {stats['requests']} requests, "
            f"{stats['dupes']} duplicate fetches (must be 0), exit codes {codes}"
        )
    admin.dispose()


# --- 4. alert latency ----------------------------------------------------------------------


def bench_latency(site: _Site, tmp: Path, args: argparse.Namespace) -> None:
    interval = args.latency_interval
    print(f"\n## 4. alert latency while {site.feeds} feeds are polled (interval {interval} s)")
    arrived: list[float] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a: Any) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    config = write_config(
        tmp,
        site,
        args,
        defaults={
            "interval": f"{interval}s",
            "min_interval": f"{interval}s",
            "jitter": 0,
            "revisit": ["7d"],
        },
        alerts={
            "channels": [
                {
                    "kind": "webhook",
                    "name": "hook",
                    "url": f"http://127.0.0.1:{hook.server_address[1]}/",
                    "secret": "s" * 32,
                }
            ],
            "rules": [{"facts": ["*"], "channels": ["hook"]}],
        },
    )
    db = tmp / "latency.sqlite"
    env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{db}"}
    # Pages already read, as in a service that has been running: only the feeds are polled.
    subprocess.run(
        [MONITOR, "--config", str(config), "poll", "--once", "--workers", str(args.pool)],
        env=env,
        check=True,
        capture_output=True,
    )
    service = subprocess.Popen(
        [MONITOR, "--config", str(config), "run", "--tick", "5s", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(interval / 2)
        target = random.Random(7).randrange(site.feeds)
        control(site, f"/_add/{target}")
        start = time.monotonic()
        deadline = start + interval + 120
        while not arrived and time.monotonic() < deadline:
            time.sleep(0.1)
        if arrived:
            took = arrived[0] - start
            ok = took <= interval + 60
            print(
                f"item added to feed {target}: alert at the webhook after {took:.1f} s "
                f"(target <= interval + 60 s = {interval + 60} s): {'met' if ok else 'missed'}"
            )
        else:
            print(f"no alert within {interval + 120} s: missed")
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(120)
        hook.shutdown()
        control(site, "/_clear")


# --- 5. queries ----------------------------------------------------------------------------


def fill(engine: sa.Engine, observations: int) -> None:
    """A history database: articles with one version each, ten observations per version,
    100 fact keys with 20 versions each, evidence and changes."""
    from monitor.models import (
        Article,
        ArticleVersion,
        Change,
        FactEvidence,
        FactVersion,
        Observation,
    )

    versions = max(observations // 10, 100)
    facts = ["coalition.countries", "coalition.pledged", "force.troops", "army.cap", "deal.terms"]
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for start in range(0, versions, 5000):
            ids = range(start + 1, min(start + 5000, versions) + 1)
            conn.execute(
                sa.insert(Article),
                [
                    {
                        "id": i,
                        "url": f"https://news.example/{i}",
                        "outlet": f"outlet-{i % 40}",
                        "published_at": base + timedelta(minutes=5 * i),
                        "first_seen_at": base + timedelta(minutes=5 * i + 3),
                        "revisit_index": 0,
                        "error_count": 0,
                        "version_count": 1,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                sa.insert(ArticleVersion),
                [
                    {
                        "id": i,
                        "article_id": i,
                        "number": 1,
                        "content_hash": f"{i:064x}",
                        "text": f"Article {i}: 26 countries pledged troops.",
                        "fetched_at": base + timedelta(minutes=5 * i + 3),
                        "decided_at": base + timedelta(minutes=5 * i + 3),
                    }
                    for i in ids
                ],
            )
            conn.execute(
                sa.insert(Observation),
                [
                    {
                        "version_id": i,
                        "fact": facts[(i + j) % 5],
                        "value_json": str(20 + (i + j) % 17),
                        "qualifier": f"Q{(i + j) % 20}",
                        "mention": "current",
                        "text": "26 countries",
                        "sentence": "26 countries pledged troops.",
                        "start": 0,
                        "end": 12,
                        "confidence": 1.0,
                        "created_at": base + timedelta(minutes=5 * i + 3),
                    }
                    for i in ids
                    for j in range(10)
                ],
            )
        key_versions = []
        for f, fact in enumerate(facts):
            for q in range(20):
                for v in range(20):
                    n = len(key_versions) + 1
                    key_versions.append(
                        {
                            "id": n,
                            "fact": fact,
                            "qualifier": f"Q{q}",
                            "value_json": str(20 + v),
                            "status": "confirmed",
                            "state": "current" if v == 19 else "superseded",
                            "valid_from": base + timedelta(days=v, hours=f),
                            "valid_until": None if v == 19 else base + timedelta(days=v + 1),
                            "first_seen_at": base + timedelta(days=v, hours=f, minutes=3),
                            "superseded_at": None if v == 19 else base + timedelta(days=v + 1),
                            "sources": 2,
                        }
                    )
        conn.execute(sa.insert(FactVersion), key_versions)
        evidence, changes = [], []
        for kv in key_versions:
            for e in range(5):
                obs = ((kv["id"] * 37 + e * 101) % (versions * 10)) + 1
                evidence.append(
                    {"fact_version_id": kv["id"], "observation_id": obs, "outlet": f"outlet-{e}"}
                )
            changes.append(
                {
                    "fact": kv["fact"],
                    "qualifier": kv["qualifier"],
                    "kind": "change",
                    "old_json": str(int(kv["value_json"]) - 1),
                    "new_json": kv["value_json"],
                    "observation_id": evidence[-1]["observation_id"],
                    "fact_version_id": kv["id"],
                    "article_id": (evidence[-1]["observation_id"] - 1) // 10 + 1,
                    "published_at": kv["valid_from"],
                    "decided_at": kv["first_seen_at"],
                    "alert": True,
                }
            )
        conn.execute(sa.insert(FactEvidence), evidence)
        conn.execute(sa.insert(Change), changes)


def bench_queries(tmp: Path, args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from monitor import query

    print(f"\n## 5. queries on {args.observations:,} observations (p95 of {args.samples})")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    schema = f"scale_q_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in PG_URL else "?"
    backends = {
        "SQLite": f"sqlite:///{tmp / 'queries.sqlite'}",
        "PostgreSQL": f"{PG_URL}{sep}options=-csearch_path%3D{schema}",
    }
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    rnd = random.Random(3)
    try:
        for name, url in backends.items():
            engine = create_db_engine(url)
            migrate(engine)
            start = time.perf_counter()
            fill(engine, args.observations)
            if name == "PostgreSQL":
                with engine.connect() as conn:
                    conn.execute(sa.text("ANALYZE"))
                    conn.commit()
            filled = time.perf_counter() - start
            cases = {
                "history": lambda s: query.history(
                    s,
                    rnd.choice(["coalition.countries", "force.troops"]),
                    qualifier=f"Q{rnd.randrange(20)}",
                ),
                "changes": lambda s: query.changes(s, limit=100),
                "as-of": lambda s: query.history(
                    s,
                    "coalition.pledged",
                    qualifier=f"Q{rnd.randrange(20)}",
                    as_of=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rnd.randrange(20)),
                ),
            }
            line = []
            for case, run in cases.items():
                times = []
                for _ in range(args.samples):
                    with Session(engine) as s:
                        t = time.perf_counter()
                        run(s)
                        times.append((time.perf_counter() - t) * 1000)
                p95 = statistics.quantiles(times, n=20)[-1]
                line.append(f"{case} {p95:6.1f} ms")
            print(f"{name:10}: {', '.join(line)} (target <= 20 ms; filled in {filled:.0f} s)")
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1, help="items (pages) per feed")
    parser.add_argument("--hosts", type=int, default=50, help="host names (loopback addresses)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--per-host", type=int, default=4, help="requests in flight per host")
    parser.add_argument("--pool", type=int, default=2, help="extraction processes")
    parser.add_argument("--repeat", type=int, default=3, help="all-304 passes (median)")
    parser.add_argument(
        "--worker-counts",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2],
        help="numbers of worker processes to run, e.g. 1,2,4 (default 1,2)",
    )
    parser.add_argument("--latency-interval", type=int, default=60, help="poll interval, s")
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40, help="queries timed per case")
    parser.add_argument(
        "--only",
        default="passes,startup,workers,latency,queries",
        help="comma-separated sections to run",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(
        f"# bench/scale.py: {args.feeds} feeds x {args.items} items on {args.hosts} hosts, "
        f"concurrency {args.concurrency} ({args.per_host} per host), {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    proc, site = start_site(args.feeds, args.items, args.hosts)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            if "passes" in only:
                bench_passes(site, tmp, args)
            if "startup" in only:
                bench_startup(site, tmp, args)
            if "workers" in only:
                bench_workers(site, tmp, args)
            if "latency" in only:
                bench_latency(site, tmp, args)
            if "queries" in only:
                bench_queries(tmp, args)
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()

"""The background service: APScheduler ticks that run :func:`monitor.pipeline.poll_once`.

Which feeds and articles are due is decided by the database, not by the scheduler, so a restart
resumes where the last process stopped. SIGTERM/SIGINT stop new ticks and tell the pass in
flight to claim nothing more: what it has started finishes, what it claimed but had not started
is handed back for other workers, then the client and the pool close. Work cut off by a hard
kill is retried by any worker when its lease expires. SIGHUP reloads the configuration file
(a file that does not validate is refused and the running settings kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.app import App
from monitor.config import load_settings
from monitor.errors import MonitorError
from monitor.pipeline import Runtime, open_runtime, poll_once

log = logging.getLogger(__name__)

GRACE = 60.0


async def run_service(
    app: App,
    *,
    tick: timedelta,
    workers: int | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until ``stop`` is set or SIGTERM/SIGINT arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    current = _Current(app)
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, current.reload)
    inflight: set[asyncio.Task[None]] = set()

    async with open_runtime(app, workers=workers) as rt:

        async def tick_job() -> None:
            task = asyncio.current_task()
            assert task is not None
            inflight.add(task)
            try:
                await _one_tick(current, rt, stop)
            finally:
                inflight.discard(task)

        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            tick_job,
            "interval",
            seconds=tick.total_seconds(),
            id="poll",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(tick.total_seconds()),
        )
        api_task = _start_api(app, stop)
        scheduler.start()
        log.info(
            "service started",
            extra={
                "stage": "service",
                "tick_s": tick.total_seconds(),
                "feeds": len(app.settings.feeds),
            },
        )
        await stop.wait()
        log.info("stopping: waiting for the pass in flight", extra={"stage": "service"})
        # Pause, not shut down, first: APScheduler's shutdown cancels the job in flight.
        scheduler.pause()
        if inflight:
            _done, pending = await asyncio.wait(set(inflight), timeout=GRACE)
            for task in pending:
                task.cancel()
        scheduler.shutdown(wait=False)
        if api_task is not None:
            await api_task
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(sig)
    log.info("service stopped", extra={"stage": "service"})


class _Current:
    """The running settings, swapped whole on SIGHUP (the engine and metrics are kept)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.synced = False

    def reload(self) -> None:
        path = self.app.config_path
        if path is None:
            log.warning("SIGHUP: no configuration file to reload", extra={"stage": "service"})
            return
        try:
            settings = load_settings(path)
        except MonitorError as exc:
            log.error(
                "SIGHUP: %s; keeping the running configuration", exc, extra={"stage": "service"}
            )
            return
        if settings.database_url != self.app.settings.database_url:
            log.warning(
                "SIGHUP: database_url changed; restart the service to use it",
                extra={"stage": "service"},
            )
            settings = settings.model_copy(update={"database_url": self.app.settings.database_url})
        self.app = dataclasses.replace(self.app, settings=settings)
        self.synced = False
        log.info(
            "configuration reloaded",
            extra={"stage": "service", "path": str(path), "feeds": len(settings.feeds)},
        )


async def _one_tick(current: _Current, rt: Runtime, stop: asyncio.Event) -> None:
    try:
        # The feed list is synced at start and after a reload, not on every tick.
        sync, current.synced = not current.synced, True
        await poll_once(
            current.app, rt.fetcher, now=datetime.now(UTC), pool=rt.pool, sync=sync, stop=stop
        )
    except Exception:
        # A bug or a database outage must not kill the service: log it, try again next tick.
        current.synced = False
        log.exception("poll pass failed", extra={"stage": "service"})


def _start_api(app: App, stop: asyncio.Event) -> asyncio.Task[None] | None:
    if not app.settings.api.serve_with_run:
        return None
    import uvicorn

    from monitor.api import create_app

    class _Server(uvicorn.Server):
        # The service owns SIGTERM/SIGINT; uvicorn must not replace our handlers.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    server = _Server(
        uvicorn.Config(
            create_app(app.engine, app.settings, metrics=app.metrics),
            host=app.settings.api.host,
            port=app.settings.api.port,
            log_level="warning",
            # Our log handlers, not uvicorn's coloured ones (JSON logs stay JSON); our own
            # access log, which leaves query strings out.
            log_config=None,
            access_log=False,
        )
    )

    async def serve() -> None:
        watcher = asyncio.create_task(stop.wait())
        serving = asyncio.create_task(server.serve())
        await asyncio.wait({watcher, serving}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
        watcher.cancel()

    return asyncio.create_task(serve())

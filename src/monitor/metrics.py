"""Prometheus metrics: what one process did (counters, histograms) and what the database holds
(queue depths, alerts by state), served as ``/metrics`` by the HTTP API.

One :class:`Metrics` per process, built by the composition root (:mod:`monitor.app`) with its
own registry (no global state), and passed to the pipeline and the API. Counters count this
process's work: scrape every worker (``monitor run`` with ``api.serve_with_run``) and sum them in
Prometheus. The queue depths and alert states come from the database at scrape time, so every
process reports the same values for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from monitor.models import Alert, Article, Feed

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_PASS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)


class Metrics:
    """Every series the monitor exports, named ``monitor_...``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._watched: list[Engine] = []
        r = self.registry
        self.polls = Counter(
            "monitor_polls",
            "Feed and page checks by outcome (ok, not_modified, empty, error, network_down)",
            ["kind", "outcome"],
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "monitor_fetch_duration_seconds",
            "Time of one HTTP fetch (feed or page), successful or not",
            ["kind"],
            buckets=_LATENCY,
            registry=r,
        )
        self.fetch_bytes = Counter(
            "monitor_fetch_bytes", "Body bytes received, by kind", ["kind"], registry=r
        )
        self.pages_extracted = Counter(
            "monitor_pages_extracted", "Pages whose article text was extracted", registry=r
        )
        self.extract_seconds = Histogram(
            "monitor_extraction_duration_seconds",
            "Time to extract a page and find its facts (in the process pool)",
            buckets=_LATENCY,
            registry=r,
        )
        self.versions = Counter(
            "monitor_article_versions", "New article versions stored", registry=r
        )
        self.observations = Counter(
            "monitor_observations", "Observations of tracked facts stored", registry=r
        )
        self.changes = Counter(
            "monitor_changes",
            "Fact decisions recorded, by kind (first, change, conflict, ...)",
            ["kind"],
            registry=r,
        )
        self.pass_seconds = Histogram(
            "monitor_pass_duration_seconds",
            "Time of one poll pass over all due work",
            buckets=_PASS,
            registry=r,
        )
        self.takeovers = Counter(
            "monitor_lease_takeovers",
            "Claims of feeds or pages whose previous holder's lease had expired (a crash)",
            ["kind"],
            registry=r,
        )

    def watch_database(self, engine: Engine) -> None:
        """Also export the queue depths and the alerts by state, read at scrape time (once per
        engine: a reloaded configuration keeps its engine)."""
        if engine not in self._watched:
            self._watched.append(engine)
            self.registry.register(_DatabaseCollector(engine))

    def render(self) -> bytes:
        """The exposition text of every series."""
        return generate_latest(self.registry)


class _DatabaseCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # read lazily: registering must not touch the database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = datetime.now(UTC)
        feeds = Feed.__table__  # type: ignore[attr-defined]
        pages = Article.__table__  # type: ignore[attr-defined]
        alerts = Alert.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            due_feeds = conn.execute(
                sa.select(sa.func.count())
                .select_from(feeds)
                .where(feeds.c.enabled, feeds.c.next_check_at <= now)
            ).scalar_one()
            due_pages = conn.execute(
                sa.select(sa.func.count()).select_from(pages).where(pages.c.next_check_at <= now)
            ).scalar_one()
            by_state = conn.execute(
                sa.select(alerts.c.state, alerts.c.channel, sa.func.count()).group_by(
                    alerts.c.state, alerts.c.channel
                )
            ).all()
        yield GaugeMetricFamily("monitor_due_feeds", "Feeds due for a check now", value=due_feeds)
        yield GaugeMetricFamily(
            "monitor_due_pages", "Article pages due for a fetch or revisit now", value=due_pages
        )
        pending = sum(n for state, _, n in by_state if state in ("pending", "failed"))
        yield GaugeMetricFamily(
            "monitor_pending_alerts", "Alerts waiting for delivery or a retry", value=pending
        )
        family = GaugeMetricFamily(
            "monitor_alerts",
            "Alerts in the outbox by state and channel",
            labels=["state", "channel"],
        )
        for state, channel, n in by_state:
            family.add_metric([state, channel], n)
        yield family

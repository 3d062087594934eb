"""/metrics: Prometheus text behind the API's bearer tokens, every series named monitor_..."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from monitor.api import create_app
from monitor.config import Settings

from .servers import LocalServer, Route, page, rss
from .test_api import serve
from .test_pipeline import PARAS, T0, open_test_app, poll, srv, write_config

__all__ = ["srv"]  # the local server fixture

TOKEN = "metrics-token-1"
SETTINGS = Settings.model_validate({"api": {"tokens": [TOKEN]}})


def _families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_metrics_need_a_token_and_name_every_series_monitor(engine: Engine) -> None:
    with serve(create_app(engine, SETTINGS)) as base:
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert (
            httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
        r = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    series = _families(r.text)
    assert series, r.text
    assert all(name.startswith("monitor_") for name in series), sorted(series)
    assert series["monitor_due_feeds"] == {(): 0.0}
    assert series["monitor_pending_alerts"] == {(): 0.0}


def test_a_pass_shows_in_the_metrics_of_the_process_serving_them(
    srv: LocalServer, db_url: str, tmp_path: Path
) -> None:
    srv.routes["/feed.xml"] = Route(
        body=rss(
            [{"title": "Pledges", "link": srv.url("/a1"), "date": "Fri, 05 Sep 2025 09:00:00 GMT"}]
        ),
        etag='"f1"',
        content_type="application/rss+xml",
    )
    srv.routes["/a1"] = Route(body=page("Pledges", PARAS))
    config = write_config(
        tmp_path, db_url, [{"name": "wire", "url": srv.url("/feed.xml")}], api={"tokens": [TOKEN]}
    )
    app = open_test_app(config)
    try:
        poll(app, T0)
        poll(app, T0 + timedelta(minutes=31))  # the feed answers 304
        with serve(create_app(app.engine, app.settings, metrics=app.metrics)) as base:
            text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    finally:
        app.close()
    series = _families(text)
    assert all(name.startswith("monitor_") for name in series)
    polls = series["monitor_polls_total"]
    assert polls[(("kind", "feed"), ("outcome", "ok"))] == 1
    assert polls[(("kind", "feed"), ("outcome", "not_modified"))] == 1
    assert polls[(("kind", "page"), ("outcome", "ok"))] == 1
    assert series["monitor_pages_extracted_total"] == {(): 1.0}
    assert series["monitor_fetch_duration_seconds_count"][(("kind", "page"),)] == 1
    assert series["monitor_fetch_bytes_total"][(("kind", "page"),)] == len(page("Pledges", PARAS))
    assert series["monitor_observations_total"][()] > 0
    assert sum(series["monitor_changes_total"].values()) > 0
    assert series["monitor_pass_duration_seconds_count"] == {(): 2.0}
    # Queue depths are read at scrape time with the real clock, long after the simulated
    # passes: the feed's next check and the page's first revisit are both due.
    assert series["monitor_due_feeds"] == {(): 1.0}
    assert series["monitor_due_pages"] == {(): 1.0}

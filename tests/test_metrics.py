"""/metrics: Prometheus text behind the API's bearer tokens, every series named monitor_..."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from monitor.api import create_app
from monitor.config import Settings

from .test_api import serve

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

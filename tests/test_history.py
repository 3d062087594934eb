"""The fact history in the database: versions, evidence, changes and disputes (both back-ends)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.config import HistoryConfig, Settings
from monitor.logs import JsonFormatter, TextFormatter
from monitor.models import Change, FactEvidence, FactVersion, Observation
from tests.factories import Said, store_report, words

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
SETTINGS = Settings()


def report(
    engine: Engine,
    n: int,
    outlet: str,
    day: float | None,
    *mentions: tuple[Any, str],
    fact: str = "coalition.countries",
    term: str | None = None,
    text: str | None = None,
    settings: Settings = SETTINGS,
) -> list[Change]:
    """Store article ``n`` from ``outlet`` stating each (value, mention) and decide on it."""
    published = None if day is None else T0 + timedelta(days=day)
    return store_report(
        engine,
        n,
        outlet,
        [Said(value, mention) for value, mention in mentions],
        published=published,
        now=(published or T0 + timedelta(days=400)) + timedelta(minutes=5),
        settings=settings,
        text=text or f"Article {n} by {outlet}: " + words(n, 50, "word"),
        url=f"https://{outlet}.example/{n}",
        fact=fact,
        term=term,
    ).changes


def versions(engine: Engine) -> list[tuple[str, str, str, int]]:
    with Session(engine) as s:
        rows = s.exec(select(FactVersion).order_by(FactVersion.id)).all()
        return [(r.value_json, r.state, r.status, r.sources) for r in rows]


def test_first_change_confirmation_and_evidence(engine: Engine) -> None:
    (first,) = report(engine, 1, "alpha", 0, (31, "current"))
    assert (first.kind, first.old_json, first.new_json, first.alert) == ("first", None, "31", True)
    (change,) = report(engine, 2, "beta", 10, (35, "current"), (31, "historical"))
    assert (change.kind, change.old_json, change.new_json, change.alert) == (
        "change",
        "31",
        "35",
        True,
    )
    (confirmed,) = report(engine, 3, "gamma", 11, (35, "current"))
    assert confirmed.kind == "confirmed"
    assert versions(engine) == [
        ("31", "superseded", "unconfirmed", 1),
        ("35", "current", "confirmed", 2),
    ]
    with Session(engine) as s:
        current = s.exec(select(FactVersion).where(FactVersion.state == "current")).one()
        assert current.valid_from == T0 + timedelta(days=10)
        evidence = s.exec(
            select(FactEvidence).where(FactEvidence.fact_version_id == current.id)
        ).all()
        assert sorted(e.outlet for e in evidence) == ["beta", "gamma"]
        old = s.exec(select(FactVersion).where(FactVersion.state == "superseded")).one()
        assert old.valid_until == T0 + timedelta(days=10)


def test_confirmed_status_is_recorded_once(engine: Engine) -> None:
    report(engine, 1, "alpha", 0, (26, "current"))
    (confirmed,) = report(engine, 2, "beta", 1, (26, "current"))
    assert (confirmed.kind, confirmed.alert) == ("confirmed", False)
    assert report(engine, 3, "gamma", 2, (26, "current")) == []


def test_conflict_keeps_both_claims_and_resolution_clears_it(engine: Engine) -> None:
    report(engine, 1, "alpha", 0, ([25000, 30000], "current"), fact="force.troops")
    (conflict,) = report(engine, 2, "beta", 0.2, ([15000, 20000], "current"), fact="force.troops")
    assert (conflict.kind, conflict.alert) == ("conflict", False)
    states = {v: st for v, st, _, _ in versions(engine)}
    assert states == {"[25000, 30000]": "current", "[15000, 20000]": "disputed"}
    (resolved,) = report(engine, 3, "gamma", 5, ([25000, 30000], "current"), fact="force.troops")
    assert (resolved.kind, resolved.alert) == ("resolved", False)
    states = {v: st for v, st, _, _ in versions(engine)}
    assert states["[15000, 20000]"] == "rejected"


def test_historical_and_denied_mentions_never_set_a_value(engine: Engine) -> None:
    assert report(engine, 1, "alpha", 0, (16, "historical"), (20, "denied")) == []
    assert versions(engine) == []


def test_terms_and_backfill(engine: Engine) -> None:
    (first,) = report(
        engine, 1, "alpha", 30, ("removed", "current"), fact="guarantee.terms", term="us_backstop"
    )
    assert (first.kind, first.term, first.new_json) == ("first", "us_backstop", '"removed"')
    (old,) = report(
        engine, 2, "beta", 1, ("proposed", "current"), fact="guarantee.terms", term="us_backstop"
    )
    assert (old.kind, old.alert) == ("backfill", False)
    assert {st for _, st, _, _ in versions(engine)} == {"current", "history"}


def test_undated_article_cannot_change(engine: Engine) -> None:
    report(engine, 1, "alpha", 0, (35, "current"))
    (conflict,) = report(engine, 2, "beta", None, (26, "current"))
    assert (conflict.kind, conflict.alert) == ("conflict", False)
    with Session(engine) as s:
        current = s.exec(select(FactVersion).where(FactVersion.state == "current")).one()
        assert current.value_json == "35"


WIRE = "Leaders of 35 countries met in Paris on Thursday. " + " ".join(
    f"wire{i}" for i in range(200)
)


def test_wire_copy_republished_by_two_outlets_counts_once(engine: Engine) -> None:
    report(engine, 1, "alpha", 0, (35, "current"), text=WIRE)
    assert report(engine, 2, "beta", 0.1, (35, "current"), text=WIRE + " Read more.") == []
    assert versions(engine) == [("35", "current", "unconfirmed", 1)]
    (confirmed,) = report(engine, 3, "gamma", 0.2, (35, "current"))
    assert confirmed.kind == "confirmed"
    assert versions(engine) == [("35", "current", "confirmed", 2)]


def test_min_sources_is_configurable(engine: Engine) -> None:
    three = Settings(history=HistoryConfig(min_sources=3))
    report(engine, 1, "alpha", 0, (35, "current"), settings=three)
    assert report(engine, 2, "beta", 1, (35, "current"), settings=three) == []
    assert versions(engine) == [("35", "current", "unconfirmed", 2)]
    (confirmed,) = report(engine, 3, "gamma", 2, (35, "current"), settings=three)
    assert confirmed.kind == "confirmed"


def test_flip_flop_alerts_once_and_keeps_both_claims(engine: Engine) -> None:
    fact = "ukraine.army_cap"
    report(engine, 1, "alpha", 0, (600000, "current"), fact=fact)
    (change,) = report(engine, 2, "beta", 4, (800000, "current"), (600000, "historical"), fact=fact)
    assert (change.kind, change.alert) == ("change", True)
    (back,) = report(engine, 3, "gamma", 4.1, (600000, "current"), fact=fact)
    assert (back.kind, back.alert) == ("conflict", False)
    states = {v: st for v, st, _, _ in versions(engine)}
    assert states == {"600000": "disputed", "800000": "current"}
    (settled,) = report(engine, 4, "delta", 20, (800000, "current"), fact=fact)
    assert (settled.kind, settled.alert) == ("resolved", False)
    with Session(engine) as s:
        alerts = s.exec(select(Change).where(Change.alert == True)).all()  # noqa: E712
        assert [(c.kind, c.new_json) for c in alerts] == [("first", "600000"), ("change", "800000")]
        current = s.exec(select(FactVersion).where(FactVersion.state == "current")).one()
        assert (current.value_json, current.status) == ("800000", "confirmed")


def test_material_thresholds(engine: Engine) -> None:
    loose = Settings(history=HistoryConfig(material_abs=500, material_rel=0.1))
    fact = "force.troops"
    report(engine, 1, "alpha", 0, (25000, "current"), fact=fact, settings=loose)
    # 400 apart: under the absolute threshold, so a second source confirming 25,000.
    kinds = [
        c.kind for c in report(engine, 2, "beta", 30, (25400, "current"), fact=fact, settings=loose)
    ]
    assert kinds == ["confirmed"]
    # 2,000 apart: over 500 but under 10 %, not material either.
    assert report(engine, 3, "gamma", 31, (27000, "current"), fact=fact, settings=loose) == []
    assert [v for v, st, _, _ in versions(engine) if st == "current"] == ["25000"]
    (change,) = report(engine, 4, "delta", 60, (40000, "current"), fact=fact, settings=loose)
    assert (change.kind, change.old_json, change.new_json) == ("change", "25000", "40000")


def test_term_set_changes(engine: Engine) -> None:
    def term(n: int, outlet: str, day: float, status: str) -> list[Change]:
        return report(
            engine, n, outlet, day, (status, "current"), fact="guarantee.terms", term="article5"
        )

    assert [c.kind for c in term(1, "alpha", 0, "proposed")] == ["first"]
    (removed,) = term(2, "beta", 30, "removed")
    assert (removed.kind, removed.old_json, removed.new_json) == (
        "change",
        '"proposed"',
        '"removed"',
    )
    # "absent" and "removed" are one state: no change, a second source confirms it.
    assert [c.kind for c in term(3, "gamma", 31, "absent")] == ["confirmed"]
    (disputed,) = term(4, "delta", 60, "disputed")
    assert (disputed.kind, disputed.new_json, disputed.alert) == ("change", '"disputed"', True)
    with Session(engine) as s:
        rows = s.exec(select(FactVersion).order_by(FactVersion.id)).all()
        assert [(r.term, r.value_json, r.state) for r in rows] == [
            ("article5", '"proposed"', "superseded"),
            ("article5", '"removed"', "superseded"),
            ("article5", '"disputed"', "current"),
        ]


def test_each_decision_is_logged_with_stable_keys(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="monitor.history")
    report(engine, 1, "alpha", 0, ((31, None), "current"))
    (record,) = [r for r in caplog.records if r.name == "monitor.history"]
    fields = {k: getattr(record, k) for k in ("stage", "fact", "kind", "article_id", "reason")}
    assert fields == {
        "stage": "changes",
        "fact": "coalition.countries",
        "kind": "first",
        "article_id": 1,
        "reason": "",
    }
    # Both of the CLI's formatters render it (a range value is a tuple argument).
    assert record.getMessage() == "fact decision: coalition.countries: new fact: more than 30"
    assert json.loads(JsonFormatter().format(record))["kind"] == "first"
    assert "kind=first" in TextFormatter().format(record)


def test_unseen_earlier_figure_changes_the_value_with_its_own_evidence(engine: Engine) -> None:
    report(engine, 1, "alpha", 0, (20, "current"))
    (change,) = report(engine, 2, "beta", 7, (16, "denied"), (30, "historical"))
    assert (change.kind, change.old_json, change.new_json, change.alert) == (
        "change",
        "20",
        "30",
        True,
    )
    with Session(engine) as s:
        evidence = s.get_one(Observation, change.observation_id)
        assert (evidence.text, evidence.mention) == ("30 countries", "historical")
    # The same figure restated as history later is old news.
    assert report(engine, 3, "gamma", 9, (30, "historical")) == []

"""The change stage's decisions (pure), and a replay of the dev corpus's labelled facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor.changes import (
    KeyState,
    Report,
    Support,
    Value,
    compatible,
    decide,
    distinct_sources,
    fingerprint,
    narrower,
)
from monitor.config import HistoryConfig
from tests.conftest import SHARED
from tests.corpus import score_backtest

CFG = HistoryConfig()
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class Replay:
    """Feeds reports for one key through :func:`decide`, keeping the state."""

    def __init__(self, cfg: HistoryConfig = CFG) -> None:
        self.state = KeyState()
        self.cfg = cfg
        self.n = 0

    def __call__(
        self,
        *values: Value,
        outlet: str = "a",
        at: datetime | None = None,
        earlier: tuple[Value, ...] = (),
        text: str = "",
        confidence: tuple[float, ...] = (),
        corrections: tuple[Value, ...] = (),
    ) -> Any:
        self.n += 1
        sup = Support(outlet, at, self.n, fingerprint(text or f"article {self.n} " * 3))
        d = decide(self.state, Report(values, sup, earlier, confidence, corrections), self.cfg)
        self.state = d.state
        return d


def test_first_change_and_confirmation() -> None:
    r = Replay()
    assert (r(12, at=day(0)).kind, r.state.current and r.state.current.value) == ("first", 12)
    d = r(20, outlet="b", at=day(5))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 12, 20, True)
    d = r(20, outlet="c", at=day(6))
    assert (d.kind, d.alert) == ("confirmation", False)


def test_refinement_is_not_a_change() -> None:
    r = Replay()
    r((31, None), at=day(0))
    d = r(31, outlet="b", at=day(9))
    assert (d.kind, d.alert) == ("refinement", False)
    assert r.state.current is not None and r.state.current.value == 31
    assert r((31, None), outlet="c", at=day(10)).kind == "confirmation"
    assert r((2000, 9999), at=day(40)).kind == "change"
    assert r(5000, outlet="b", at=day(41)).kind == "refinement"


def test_flip_flop_alerts_once() -> None:
    r = Replay()
    r(600, at=day(0))
    assert r(800, outlet="b", at=day(4)).kind == "change"
    d = r(600, outlet="c", at=day(4))
    assert (d.kind, d.alert) == ("conflict", False)
    assert r(800, outlet="d", at=day(5)).kind == "resolved"
    assert r.state.current is not None and r.state.current.value == 800


def test_same_news_cycle_disagreement_is_a_conflict_until_settled() -> None:
    r = Replay()
    r((25000, 30000), outlet="a", at=day(0))
    d = r((15000, 20000), outlet="b", at=day(0))
    assert (d.kind, d.alert) == ("conflict", False)
    assert len(r.state.disputes) == 1
    assert r((25000, 30000), outlet="c", at=day(3)).kind == "resolved"
    assert r.state.disputes == ()


def test_settled_value_needs_corroboration_to_change() -> None:
    r = Replay()
    r(35, outlet="a", at=day(0))
    r(35, outlet="b", at=day(1))
    assert r(26, outlet="c", at=day(3)).kind == "conflict"
    d = r(26, outlet="d", at=day(4))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 35, 26, True)


def test_explicit_update_beats_a_settled_value() -> None:
    r = Replay()
    r(600000, outlet="a", at=day(0))
    r(600000, outlet="b", at=day(1))
    d = r(800000, outlet="c", at=day(4), earlier=(600000,))
    assert (d.kind, d.new) == ("change", 800000)


def test_undated_reports_confirm_or_conflict_never_change() -> None:
    r = Replay()
    assert r(26, at=None).kind == "ignored"
    r(35, at=day(0))
    assert r(35, outlet="b", at=None).kind == "confirmation"
    d = r(26, outlet="c", at=None)
    assert (d.kind, d.alert) == ("conflict", False)
    assert r.state.current is not None and r.state.current.value == 35


def test_older_article_is_backfill() -> None:
    r = Replay()
    r(35, at=day(10))
    d = r(31, outlet="b", at=day(2))
    assert (d.kind, d.alert) == ("backfill", False)
    assert r.state.current is not None and r.state.current.value == 35


def test_term_statuses_removed_and_absent_are_one_state() -> None:
    r = Replay()
    r("proposed", at=day(0))
    assert r("removed", outlet="b", at=day(30)).kind == "change"
    assert r("absent", outlet="c", at=day(31)).kind == "confirmation"
    assert r("disputed", outlet="d", at=day(60)).kind == "change"


def test_materiality_threshold() -> None:
    cfg = HistoryConfig(material_abs=100, material_rel=0.0)
    r = Replay(cfg)
    r(25000, at=day(0))
    assert r(25050, outlet="b", at=day(10)).kind == "confirmation"
    assert r(26000, outlet="b", at=day(11)).kind == "change"
    rel = Replay(HistoryConfig(material_rel=0.05))
    rel(1000, at=day(0))
    assert rel(1030, outlet="b", at=day(10)).kind == "confirmation"


def test_near_identical_wire_copy_counts_once() -> None:
    wire = " ".join(f"w{i}" for i in range(300)) + " leaders of 35 countries met in Paris"
    own = " ".join(f"o{i}" for i in range(300)) + " thirty-five nations took part"
    a = Support("outlet-a", day(0), 1, fingerprint(wire))
    b = Support("outlet-b", day(0), 2, fingerprint(wire + " Read more."))
    c = Support("outlet-c", day(0), 3, fingerprint(own))
    assert distinct_sources([a, b], CFG) == 1
    assert distinct_sources([a, b, c], CFG) == 2


def test_value_comparison_by_meaning() -> None:
    assert compatible((2000, 9999), 5000) and compatible((None, 10000), (5000, 20000))
    assert not compatible((31, None), 30) and not compatible("present", "proposed")
    assert narrower(5000, (2000, 9999)) and not narrower((2000, 9999), 5000)
    assert not narrower(31, 31)


def _gold_replay() -> list[dict[str, Any]]:
    gold = yaml.safe_load((SHARED / "facts/dev/gold.yaml").read_text())
    gold.sort(key=lambda a: (a["published"] is None, str(a["published"]), a["id"]))
    states: dict[tuple[Any, ...], KeyState] = {}
    events = []
    for n, art in enumerate(gold):
        pub = art["published"]
        at = datetime.combine(pub, datetime.min.time(), UTC) if isinstance(pub, date) else None
        keys: dict[tuple[Any, ...], list[Value]] = {}
        for f in art.get("facts") or []:
            v = f.get("status") if f.get("term") else f["value"]
            keys.setdefault((f["fact"], f.get("qualifier"), f.get("term")), []).append(
                tuple(v) if isinstance(v, list) else v
            )
        for key, values in keys.items():
            d = decide(
                states.get(key, KeyState()),
                Report(tuple(values), Support(art["source"], at, n)),
                CFG,
            )
            states[key] = d.state
            plain = [list(v) if isinstance(v, tuple) else v for v in (d.old, d.new)]
            events.append(
                {
                    "fact": key[0],
                    "qualifier": key[1],
                    "term": key[2],
                    "old": plain[0],
                    "new": plain[1],
                    "kind": d.kind,
                    "article": art["id"],
                    "alert": d.alert,
                }
            )
    return events


def test_labelled_dev_facts_replay_to_the_expected_alerts(tmp_path: Path) -> None:
    # The change stage alone, fed the human labels: every expected alert, nothing spurious.
    found, total, spurious, details = score_backtest(_gold_replay(), tmp_path)
    assert found == total, details
    assert spurious == 0, details


def test_more_precise_value_is_news_not_a_repeat() -> None:
    r = Replay()
    r((31, None), at=day(0))
    assert r(30, outlet="b", at=day(10)).kind == "change"
    # 35 lies inside the "more than 30" held before, but says more: a change, not a flip-flop.
    d = r(35, outlet="c", at=day(60))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 30, 35, True)
    # A value held before, said again, is a repeat: disputed, no alert.
    d = r(30, outlet="d", at=day(61))
    assert (d.kind, d.alert) == ("conflict", False)


def test_earlier_figure_the_key_never_held_counts_as_a_report() -> None:
    r = Replay()
    assert r(earlier=(16,), at=day(0)).kind == "ignored"  # no value yet: never a first value
    r(20, at=day(1))
    # "One day earlier, some 30 countries ...": older than the article, newer than what we know.
    d = r(earlier=(30,), outlet="b", at=day(7))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 20, 30, True)
    # A figure the key held before, restated as history, is old news.
    assert r(earlier=(20,), outlet="c", at=day(8)).kind == "ignored"
    assert r(earlier=(45,), outlet="c", at=None).kind == "ignored"
    assert r(earlier=(45,), outlet="c", at=day(-5)).kind == "ignored"
    assert r.state.current is not None and r.state.current.value == 30


def test_new_figure_beside_the_accepted_value_is_an_update_only_when_as_firm() -> None:
    r = Replay()
    r(35, outlet="a", at=day(0))
    r(35, outlet="b", at=day(1))
    # "35 countries, 27 leaders": the settled value firmly restated, a hedged figure beside it.
    d = r(35, 27, outlet="c", at=day(3), confidence=(1.0, 0.7))
    assert (d.kind, d.alert) == ("conflict", False)
    # The new figure stated as firmly as the old one it names: the article reports an update.
    d = r(36, 35, outlet="d", at=day(4), confidence=(0.9, 0.9))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 35, 36, True)


def test_flip_flop_changes_back_only_when_corroborated() -> None:
    r = Replay()
    r(600, outlet="a", at=day(0))
    r(800, outlet="b", at=day(4))
    assert r(600, outlet="c", at=day(5)).kind == "conflict"
    assert r(600, outlet="c", at=day(6)).kind == "conflict"  # the same outlet again: no
    d = r(600, outlet="d", at=day(7))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 800, 600, True)
    assert r.state.disputes == ()


def test_a_correction_replaces_even_a_settled_or_held_value() -> None:
    r = Replay()
    r(30, outlet="a", at=day(0))
    assert r(31, outlet="b", at=day(1)).kind == "change"
    r(31, outlet="c", at=day(1.2))
    # 30 was held before and 31 is settled: restating 30 would be a conflict (a repeat), but
    # an article correcting its figure ("the list puts it at 30, not 31") changes it.
    d = r(30, outlet="b", at=day(1.4), corrections=(30,))
    assert (d.kind, d.old, d.new, d.alert) == ("change", 31, 30, True)
    assert r(31, outlet="e", at=day(1.5)).kind == "conflict"


def test_windows_are_configurable() -> None:
    # With no news-cycle window, a same-day disagreement from one outlet is a change...
    r = Replay(HistoryConfig(conflict_window=timedelta(0)))
    r((25000, 30000), outlet="a", at=day(0))
    assert r((15000, 20000), outlet="b", at=day(0.2)).kind == "change"
    # ...and with a two-day cycle, a next-day one is a conflict.
    r = Replay(HistoryConfig(conflict_window=timedelta(days=2)))
    r((25000, 30000), outlet="a", at=day(0))
    assert r((15000, 20000), outlet="b", at=day(1)).kind == "conflict"
    # A value stated by two outlets within settled_window needs corroboration to change.
    r = Replay(HistoryConfig(settled_window=timedelta(days=3)))
    r(35, outlet="a", at=day(0))
    r(35, outlet="b", at=day(1))
    assert r(26, outlet="c", at=day(3)).kind == "conflict"
    assert r(27, outlet="d", at=day(10)).kind == "change"

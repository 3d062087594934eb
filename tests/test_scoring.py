"""The project's scorer: fact ids, terms facts and qualified facts come from the configuration."""

from __future__ import annotations

from monitor.config import parse_settings
from monitor.facts.scoring import Scheme, score, values_match

CONFIG = """
facts:
  - id: flood.evacuated
    kind: count
    units: [residents]
    qualifier:
      kind: district
      names:
        North Bank: [northern bank, NB]
  - id: flood.orders
    kind: terms
    terms:
      - id: curfew
        phrases: [curfew]
"""
GOLD = [
    {
        "id": "a1",
        "facts": [
            {"fact": "flood.evacuated", "value": 1200, "qualifier": "NB"},
            {"fact": "flood.evacuated", "value": [2000, 9999], "qualifier": None},
            {"fact": "flood.orders", "term": "curfew", "status": "present"},
        ],
    },
    {"id": "a2", "facts": []},
]


def _scheme() -> Scheme:
    return Scheme.from_facts(parse_settings(CONFIG, source="f.yaml").facts)


def test_scheme_comes_from_the_config() -> None:
    scheme = _scheme()
    assert scheme.terms_facts == {"flood.orders"}
    assert scheme.qualified == {"flood.evacuated"}
    assert scheme.qualifier("flood.evacuated", "northern bank") == "north bank"


def test_scores_numeric_and_terms() -> None:
    preds = [
        {"article": "a1", "fact": "flood.evacuated", "value": 1200, "qualifier": "North Bank"},
        {"article": "a1", "fact": "flood.evacuated", "value": 3000, "qualifier": None},
        {"article": "a1", "fact": "flood.orders", "term": "curfew", "status": "proposed"},
        {"article": "a2", "fact": "flood.evacuated", "value": 7, "qualifier": None},
        {"article": "zz", "fact": "flood.evacuated", "value": 7, "qualifier": None},
    ]
    report = score(GOLD, preds, _scheme())
    assert (report.numeric.tp, report.numeric.gold, report.numeric.pred) == (2, 2, 3)
    assert (report.terms_total.tp, report.terms_total.gold, report.terms_total.pred) == (0, 1, 1)
    assert round(report.numeric.precision, 3) == 0.667
    assert "extra   a2 flood.evacuated 7" in report.errors
    assert "missed  a1 flood.orders curfew present" in report.errors


def test_a_wrong_qualifier_is_a_miss_and_an_extra() -> None:
    preds = [{"article": "a1", "fact": "flood.evacuated", "value": 1200, "qualifier": None}]
    report = score(GOLD[:1], preds, _scheme())
    assert report.numeric.tp == 0


def test_ranges_overlap() -> None:
    assert values_match([2000, 9999], 3000)
    assert values_match([None, 100], [50, None])
    assert not values_match([31, None], 30)

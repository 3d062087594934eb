"""A second, different story (a wildfire) through the same fact language, with no code changes.

The facts are defined in tests/data/story2/facts.yaml and the texts' expected observations in
tests/data/story2/labels.yaml (written by hand, distractors included: containment percentages,
money, dates, highway numbers, another fire, injured firefighters, another story's fire).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.config import load_settings
from monitor.facts import find_facts, value_to_json

DATA = Path(__file__).parent / "data" / "story2"
SETTINGS = load_settings(DATA / "facts.yaml")
LABELS: dict[str, list[list[object]]] = yaml.safe_load(
    (DATA / "labels.yaml").read_text(encoding="utf-8")
)


def _found(text: str) -> set[tuple[object, ...]]:
    return {
        (f.fact, json.dumps(value_to_json(f.value)), f.qualifier, f.mention)
        for f in find_facts(text, SETTINGS.facts)
    }


@pytest.mark.parametrize("article", sorted(LABELS))
def test_story2_article(article: str) -> None:
    text = (DATA / "articles" / f"{article}.txt").read_text(encoding="utf-8")
    expected = {(f, json.dumps(v), q, m) for f, v, q, m in LABELS[article]}
    assert _found(text) == expected
    for f in find_facts(text, SETTINGS.facts):
        assert text[f.start : f.end] == f.text
        assert f.text in f.sentence


def test_story2_hedged_forecast_has_lower_confidence() -> None:
    text = (DATA / "articles" / "ridge-04.txt").read_text(encoding="utf-8")
    by_value = {f.value: f for f in find_facts(text, SETTINGS.facts)}
    assert by_value[30000].confidence < 0.9
    assert by_value[1500].confidence == 1.0


def test_story2_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(DATA / "facts.yaml"), "extract", str(DATA / "articles")])
    out = capsys.readouterr().out
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    printed = {(r["article"], r["fact"], json.dumps(r["value"]), r["qualifier"]) for r in rows}
    expected = {
        (a, f, json.dumps(v), q)
        for a, items in LABELS.items()
        for f, v, q, m in items
        if m != "denied"
    }
    assert printed == expected

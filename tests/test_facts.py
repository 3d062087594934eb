"""The numeric fact finder, the fact language and `monitor extract` (issue 3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_settings, parse_settings
from monitor.errors import ConfigError
from monitor.facts import Finding, find_facts
from monitor.facts.cli import DEFAULT_MENTIONS
from monitor.facts.warm import warm_up_text

from .conftest import REPO, SHARED

FEEDS = REPO / "feeds.yaml"
SETTINGS = load_settings(FEEDS)
DEV = SHARED / "facts" / "dev"


def numeric(text: str) -> list[Finding]:
    return [f for f in find_facts(text, SETTINGS.facts) if f.value is not None]


def values(text: str, fact: str) -> list[object]:
    return [f.value for f in numeric(text) if f.fact == fact]


# --- golden: the dev corpus scored by the referee scorer ------------------------------------


def _score(pred: Path) -> str:
    cmd = [sys.executable, str(DEV.parent / "score.py"), str(DEV / "gold.yaml"), str(pred)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_dev_corpus_numeric_f1(tmp_path: Path) -> None:
    lines = []
    for path in sorted((DEV / "articles").glob("*.txt")):
        for f in find_facts(path.read_text(encoding="utf-8"), SETTINGS.facts):
            if f.mention in DEFAULT_MENTIONS:
                row = {
                    "article": path.stem,
                    "fact": f.fact,
                    "qualifier": f.qualifier,
                    "value": list(f.value) if isinstance(f.value, tuple) else f.value,
                    "term": f.term,
                    "status": f.status,
                }
                lines.append(json.dumps(row))
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = _score(pred).strip().splitlines()[-1]
    m = re.search(
        r"numeric P ([\d.]+) R ([\d.]+) F1 ([\d.]+) \| terms P [\d.]+ R [\d.]+ F1 ([\d.]+)", summary
    )
    assert m, summary
    precision, recall, f1, terms_f1 = (float(g) for g in m.groups())
    print(f"dev numeric P {precision} R {recall} F1 {f1}; terms F1 {terms_f1}")
    assert f1 >= 0.95
    assert precision >= recall
    assert 0.0 <= terms_f1 <= 1.0


def test_evidence_offsets_point_into_the_article() -> None:
    for path in sorted((DEV / "articles").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for f in find_facts(text, SETTINGS.facts):
            assert text[f.start : f.end] == f.text
            assert f.text in f.sentence
            assert f.sentence in text
            assert 0 < f.confidence <= 1


# --- attribution ----------------------------------------------------------------------------


def test_split_unit_noun_and_partitive() -> None:
    text = "Of the 35 countries at the table in Paris, 26 pledged troops to the force for Ukraine."
    assert values(text, "coalition.countries") == [35]
    assert values(text, "coalition.pledged") == [26]


def test_subset_without_a_cue_is_not_the_count() -> None:
    text = "At the Ukraine summit 35 countries are represented, 27 of them by heads of state."
    assert values(text, "coalition.countries") == [35]


def test_subject_in_the_previous_sentence() -> None:
    text = "The coalition of the willing met on Ukraine. Representatives of 31 countries came."
    assert values(text, "coalition.countries") == [31]


def test_no_subject_nearby_no_observation() -> None:
    text = (
        "Ukraine's partners met in Paris. It rained all day. Talks went on into the night. "
        "Representatives of 31 countries came."
    )
    assert values(text, "coalition.countries") == []


def test_subject_in_the_question_of_an_explainer() -> None:
    text = (
        "How big would the force for Ukraine be?\nNo government has published a figure. "
        "An early planning scenario called for 64,000 troops."
    )
    [finding] = [f for f in numeric(text) if f.fact == "force.troops"]
    assert finding.value == 64000
    assert finding.mention == "historical"


@pytest.mark.parametrize(
    "text",
    [
        "The EU's 27 members and NATO's 32 allies back the coalition for Ukraine.",
        "The coalition for Ukraine met on 12 March 2025 and again in 2026.",
        "The coalition pledged €3 billion and 2% of GDP for Ukraine's force.",
        "Under Article 5, the coalition for Ukraine would act together.",
        "The coalition discussed the 28-point plan for Ukraine.",
        "The coalition backed a 30-day ceasefire in Ukraine.",
        "A strike killed 35 people as the coalition met on Ukraine's force.",
        "Russia has about 600,000 troops in Ukraine, where the force would deploy.",
        "Russia launched 112 drones at Ukraine as the coalition met.",
        "Ukraine's army numbers about 880,000 soldiers; the force would deploy later.",
        "The Ukraine Defense Contact Group, a forum of around 50 countries, met the coalition.",
        "Leaders of more than 20 other countries joined the Ukraine coalition call.",
    ],
)
def test_distractors_yield_no_observation(text: str) -> None:
    assert numeric(text) == []


def test_another_story_is_not_counted() -> None:
    text = "The peacekeeping force in Lebanon numbers about 10,000 peacekeepers from 50 countries."
    assert numeric(text) == []


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        (
            "Dozens of countries have joined the coalition for Ukraine.",
            "coalition.countries",
            (24, 99),
        ),
        (
            "Some 30-odd countries took part in the Ukraine coalition call.",
            "coalition.countries",
            (30, 39),
        ),
        (
            "Representatives of 33 countries plus the EU and NATO met as the Ukraine coalition.",
            "coalition.countries",
            33,
        ),
        (
            "Around 30 countries have signed up to the coalition of the willing for Ukraine.",
            "coalition.countries",
            30,
        ),
        (
            "Britain proposed a 10,000-strong force to be deployed in Ukraine after a ceasefire.",
            "force.troops",
            10000,
        ),
        (
            "Thousands of troops could be deployed to Ukraine after a ceasefire.",
            "force.troops",
            (1000, 99999),
        ),
    ],
)
def test_more_ways_of_writing_a_count(text: str, fact: str, value: object) -> None:
    assert values(text, fact) == [value]


def test_joint_figure_has_no_single_country() -> None:
    [f] = numeric(
        "Britain and France have proposed a force of fewer than 30,000 troops for Ukraine."
    )
    assert (f.value, f.qualifier) == ((None, 29999), None)


def test_a_pledge_must_name_what_is_pledged() -> None:
    text = "The coalition of 31 countries (including Ukraine) pledged to keep sanctions."
    assert values(text, "coalition.countries") == [31]
    assert values(text, "coalition.pledged") == []
    aside = "Macron said 26 countries – mainly European – had committed troops to Ukraine's force."
    assert values(aside, "coalition.pledged") == [26]


def test_pledged_countries_are_not_the_member_count() -> None:
    text = "Macron said 26 countries have formally committed to deploy troops to Ukraine's force."
    assert values(text, "coalition.pledged") == [26]
    assert values(text, "coalition.countries") == []
    bound = "A coalition of 35 countries has put its name to a force for Ukraine."
    assert values(bound, "coalition.countries") == [35]
    assert values(bound, "coalition.pledged") == []


def test_historical_mention() -> None:
    [f] = numeric("The coalition of the willing for Ukraine initially had 16 countries.")
    assert (f.value, f.mention) == (16, "historical")
    found = numeric(
        "Ukraine: the number of countries that have committed forces to the mission has risen "
        "to 27, up from twenty-six in September."
    )
    assert [(f.value, f.mention) for f in found] == [(27, "current"), (26, "historical")]


def test_recent_news_is_not_historical() -> None:
    [f] = numeric("Earlier this week, 26 countries pledged troops to the force for Ukraine.")
    assert f.mention == "current"
    [g] = numeric("One day earlier, envoys of some 30 countries met as the Ukraine coalition.")
    assert g.mention == "current"


def test_denials() -> None:
    [f] = numeric("No country has yet committed troops to the reassurance force for Ukraine.")
    assert (f.fact, f.value, f.mention) == ("coalition.pledged", 0, "denied")
    [g] = numeric(
        "Ukraine: a report that 20,000 British troops would join the force was dismissed as "
        "speculation."
    )
    assert (g.value, g.mention, g.qualifier) == (20000, "denied", "United Kingdom")


def test_correction_marks_the_new_value() -> None:
    found = numeric(
        "Earlier reports said 30 countries had joined the coalition for Ukraine; officials now "
        "say 31."
    )
    assert [(f.value, f.mention) for f in found] == [(30, "historical"), (31, "corrected")]
    note = numeric(
        "Correction: yesterday's brief said 30 countries took part in the Ukraine summit. "
        "The presidency's list puts the figure at 31. We regret the error."
    )
    assert [(f.value, f.mention) for f in note] == [(30, "denied"), (31, "corrected")]


def test_hedges_and_attributions_lower_confidence() -> None:
    [sure] = numeric("France will send 5,000 troops to the force in Ukraine.")
    [hedged] = numeric(
        "France could deploy several thousand troops to the force in Ukraine, according to a "
        "diplomat."
    )
    assert sure.confidence == 1.0
    assert hedged.confidence < 0.8
    assert (sure.qualifier, hedged.qualifier) == ("France", "France")
    assert hedged.value == (2000, 9999)


def test_qualifier_is_the_contributor_not_the_source() -> None:
    [f] = numeric(
        "According to Polish officials, planners speak about a force of 15-20 thousand soldiers "
        "for Ukraine."
    )
    assert (f.value, f.qualifier) == ((15000, 20000), None)
    both = numeric("Britain and France will each send 5,000 troops to the force in Ukraine.")
    assert sorted(str(f.qualifier) for f in both) == ["France", "United Kingdom"]


def test_army_cap_needs_a_cap_and_drops_todays_size() -> None:
    text = (
        "The draft would cap Ukraine's army at 800,000 troops in peacetime, down from roughly "
        "880,000 today. Ukraine's armed forces currently number about 880,000."
    )
    assert values(text, "ukraine.army_cap") == [800000]
    cut = "The plan would reduce the size of Ukraine's military from around 880,000 to 600,000."
    assert values(cut, "ukraine.army_cap") == [600000]
    size = "It would limit Ukraine's army to 600,000 troops, down from its current size of 880,000."
    assert values(size, "ukraine.army_cap") == [600000]
    raised = "The plan would cap Ukraine's army at 600,000. Europe's text raises it to 800,000."
    assert values(raised, "ukraine.army_cap") == [600000, 800000]
    change = "Geneva raised the limit on Ukraine's armed forces from 600,000 to 800,000."
    assert [(f.value, f.mention) for f in numeric(change)] == [
        (600000, "historical"),
        (800000, "current"),
    ]


# --- the fact language ----------------------------------------------------------------------


def _facts_yaml(body: str) -> str:
    return "facts:\n" + body


def test_fact_language_errors_name_the_problem() -> None:
    with pytest.raises(ConfigError, match="min_value 10 is above max_value 5"):
        parse_settings(
            _facts_yaml("  - {id: a.b, kind: count, units: [x], min_value: 10, max_value: 5}\n"),
            env={},
        )
    with pytest.raises(ConfigError, match="both cues and exclusions"):
        parse_settings(
            _facts_yaml("  - {id: a.b, kind: count, units: [x], cues: [y], exclusions: [Y]}\n"),
            env={},
        )
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        parse_settings(_facts_yaml("  - {id: a.b, kind: count, units: ['re:(']}\n"), env={})
    with pytest.raises(ConfigError, match=r"facts\[0\].units"):
        parse_settings(_facts_yaml("  - {id: a.b, kind: count, units: []}\n"), env={})


# --- monitor extract ------------------------------------------------------------------------

ARTICLE = (
    "Coalition grows\n"
    "Leaders from 31 countries met in Paris as the coalition of the willing for Ukraine. "
    "France could deploy several thousand troops to the reassurance force."
)
PAGE = """<!doctype html><html lang="en"><head><title>Force for Ukraine</title></head><body>
<article><h1>Force for Ukraine takes shape</h1>
<p>Officials said on Thursday that the multinational force for Ukraine is taking shape after
months of talks between European capitals and Kyiv about what a deterrent would look like.</p>
<p>The working figure for the whole force is 25,000 to 30,000 troops, concentrated far from the
front line, and it would deploy only after a ceasefire, planners said in Brussels.</p>
<p>Britain could contribute up to 10,000 personnel to the force, a defence source said, though
no decision has been taken and ministers have not confirmed the number.</p>
</article></body></html>"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_prints_jsonl_for_txt_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-1.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b-2.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    code, out, _ = _run(["--config", str(FEEDS), "extract", str(tmp_path)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    keys = {
        "article",
        "fact",
        "value",
        "qualifier",
        "term",
        "status",
        "text",
        "sentence",
        "start",
        "end",
        "confidence",
        "mention",
    }
    assert all(keys <= set(r) for r in rows)
    got = {(r["article"], r["fact"], json.dumps(r["value"]), r["qualifier"]) for r in rows}
    assert ("a-1", "coalition.countries", "31", None) in got
    assert ("a-1", "force.troops", "[2000, 9999]", "France") in got
    assert ("b-2", "force.troops", "[25000, 30000]", None) in got
    assert ("b-2", "force.troops", "[null, 10000]", "United Kingdom") in got
    a1 = [r for r in rows if r["article"] == "a-1"]
    assert all(ARTICLE[r["start"] : r["end"]] == r["text"] for r in a1)


def test_extract_local_config_option_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    code, out, _ = _run(["extract", "--config", str(FEEDS), str(path), "--format", "table"], capsys)
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["article", "fact", "value"]
    assert "coalition.countries" in out


def test_extract_denied_figures_only_with_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.txt"
    path.write_text(
        "Ukraine: a report that 20,000 British troops would join the force was dismissed as "
        "speculation.",
        encoding="utf-8",
    )
    _, out, _ = _run(["--config", str(FEEDS), "extract", str(path)], capsys)
    assert out == ""
    _, out, _ = _run(["--config", str(FEEDS), "extract", "--all", str(path)], capsys)
    assert json.loads(out)["mention"] == "denied"


def test_extract_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["--config", str(FEEDS), "extract", str(tmp_path / "nope")], capsys)
    assert code == 2
    assert "no such file or folder" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  - {id: x, kind: count}\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    code, _, err = _run(["--config", str(bad), "extract", str(tmp_path / "a.txt")], capsys)
    assert code == 2
    assert "facts[0].units" in err
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    code, _, err = _run(["--config", str(FEEDS), "extract", str(tmp_path / "x.pdf")], capsys)
    assert code == 2
    assert "neither .txt nor .html" in err


def test_extract_skips_unreadable_files_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \x80")
    code, out, err = _run(["--config", str(FEEDS), "extract", str(tmp_path)], capsys)
    assert code == 1
    assert "b.txt" in err and "UTF-8" in err
    assert any(json.loads(line)["article"] == "a" for line in out.splitlines())


@pytest.mark.parametrize(
    "config", [REPO / "feeds.yaml", REPO / "tests" / "data" / "story2" / "facts.yaml"]
)
def test_warm_up_text_reaches_the_finders_of_any_story(config: Path) -> None:
    # Pool workers find facts in it when they start; it is built from the fact definitions
    # alone, so it must reach the number reading of whatever story is configured.
    specs = load_settings(config).facts
    found = {f.fact for f in find_facts(warm_up_text(specs), specs)}
    counts = [s.id for s in specs if s.kind == "count"]
    assert counts and set(counts) <= found

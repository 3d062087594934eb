"""`monitor extract --explain`: every figure and term mention with the rule that decided it."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import parse_settings
from monitor.facts.explain import explain

CONFIG = """
facts:
  - id: strike.workers
    kind: count
    units: [workers, nurses]
    subjects: [strike, walkout]
    exclusions: [retired]
    min_value: 10
    max_value: 500000
  - id: strike.deal
    kind: terms
    subjects: [strike]
    terms:
      - id: pay_rise
        phrases: [pay rise]
"""
TEXT = (
    "Hospital strike widens\n"
    "About 4,000 nurses joined the strike on Monday, while 300 retired workers watched. "
    "The union wants a 6% pay rise worth $40 million. Only 5 workers crossed the line. "
    "Is a pay rise on offer?\n"
)


@pytest.fixture
def facts():  # type: ignore[no-untyped-def]
    return parse_settings(CONFIG, source="facts.yaml").facts


@pytest.mark.parametrize(
    ("words", "kept", "reason"),
    [
        ("About 4,000", True, ""),
        ("300", False, "exclusion 'retired'"),
        ("6", False, "percentage"),
        ("40 million", False, "money"),
        ("5", False, "outside min_value..max_value (10..500000)"),
    ],
)
def test_each_figure_says_why(facts, words: str, kept: bool, reason: str) -> None:  # type: ignore[no-untyped-def]
    lines = [e for e in explain(TEXT, facts) if e.fact == "strike.workers" and e.text == words]
    assert lines, f"{words!r} not explained"
    assert lines[0].kept is kept
    assert reason in lines[0].reason


def test_terms_mentions_say_why(facts) -> None:  # type: ignore[no-untyped-def]
    terms = [e for e in explain(TEXT, facts) if e.fact == "strike.deal"]
    assert [e.kept for e in terms] == [True, False]
    assert "question" in terms[1].reason
    assert terms[0].observations[0].status == "proposed"


def test_cli_explain_prints_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "facts.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    art = tmp_path / "a1.txt"
    art.write_text(TEXT, encoding="utf-8")
    assert main(["--config", str(cfg), "extract", "--explain", str(art)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== a1\n")
    assert "strike.workers  23-34 'About 4,000'  observation: 4000, current" in out
    assert "dropped: money never counts" in out


def test_readme_example_is_what_explain_prints(capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(__file__).parent / "data" / "explain"
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ monitor --config strike.yaml extract --explain article.txt\n")[1]
    expected = block.split("```")[0]
    assert (
        main(
            [
                "--config",
                str(data / "strike.yaml"),
                "extract",
                "--explain",
                str(data / "article.txt"),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == expected

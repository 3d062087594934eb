"""``monitor backtest``: a small invented story end to end, errors, and the dev corpus scored."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from tests.conftest import REPO, SHARED
from tests.corpus import score_backtest

DATA = Path(__file__).parent / "data" / "backtest"
CONFIG = DATA / "strike.yaml"
DEV = SHARED / "facts" / "dev"


def backtest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["backtest", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_strike_story_decisions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = backtest(capsys, str(DATA), "--config", str(CONFIG), "--format", "json")
    assert code == 0
    events = json.loads(out)
    got = [(e["article"], e["kind"], e["old"], e["new"], e["alert"]) for e in events]
    assert got == [
        ("cal-01", "first", None, 1200, True),
        # Another outlet, same day: the value is now confirmed by two sources.
        ("cal-02", "confirmed", 1200, 1200, False),
        # "grown to 3,000 ..., up from 1,200": an explicit update of a settled value.
        ("cal-03", "change", 1200, 3000, True),
        ("cal-04", "confirmed", 3000, 3000, False),
        # Undated, so it comes last and may only dispute the value, never change it.
        ("cal-06", "conflict", 3000, 5000, False),
    ]
    assert {e["fact"] for e in events} == {"strike.workers"}
    assert [e["published"] for e in events][-1] is None


def test_strike_story_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = backtest(capsys, str(DATA), "--config", str(CONFIG))
    assert code == 0
    history, alerts = out.split("Alerts that would have fired (2)")
    assert "cal-03" in history and "change" in history and "1,200" in history
    alert_lines = [line.split() for line in alerts.splitlines() if "strike.workers:" in line]
    assert [(w[0], w[2], w[4]) for w in alert_lines] == [
        ("2024-05-02", "-", "1,200"),
        ("2024-05-06", "1,200", "3,000"),
    ]
    final = alerts.split("Facts at the end (1)")[1]
    row = next(line.split() for line in final.splitlines() if "strike.workers" in line)
    # value, status, sources, since, disputed by
    assert row[1:] == ["3,000", "confirmed", "3", "2024-05-06", "5,000"]
    assert "6 articles replayed" in out
    # --all lists what the default view hides.
    _, everything, _ = backtest(capsys, str(DATA), "--config", str(CONFIG), "--all")
    assert "cal-06" in everything and "cal-06" not in history


def test_no_fact_found_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "tractors.yaml"
    config.write_text("facts:\n  - {id: farm.tractors, kind: count, units: [tractors]}\n")
    code, out, _ = backtest(capsys, str(DATA), "--config", str(config))
    assert code == 0
    assert out.count("(none") == 2 and "no tracked fact was found" in out
    assert out.rstrip().endswith("6 articles replayed, 0 decisions, 0 alerts")


def _broken(tmp_path: Path, manifest: str | None, files: dict[str, str]) -> Path:
    folder = tmp_path / "story"
    (folder / "articles").mkdir(parents=True)
    if manifest is not None:
        (folder / "manifest.yaml").write_text(manifest)
    for name, text in files.items():
        (folder / "articles" / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("manifest", "files", "expected"),
    [
        (None, {}, ["has no manifest", "manifest.yaml"]),
        ("- {id: a, published: 2024-05-02", {}, ["cannot read", "manifest.yaml"]),
        ("{id: a}", {}, ["manifest.yaml must be a list"]),
        ("- {published: 2024-05-02}", {}, ["manifest.yaml entry 1 has no id"]),
        ("- {id: a}\n- {id: a}", {"a.txt": "x"}, ["lists 'a' twice"]),
        ("- {id: a}", {}, ["lists 'a' but there is no a.txt", "add the file"]),
        (
            "- {id: a, published: last tuesday}",
            {"a.txt": "x"},
            ["'a' has published 'last tuesday'", "ISO date"],
        ),
    ],
)
def test_bad_folder_gets_a_clear_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    manifest: str | None,
    files: dict[str, str],
    expected: list[str],
) -> None:
    folder = _broken(tmp_path, manifest, files)
    code, out, err = backtest(capsys, str(folder), "--config", str(CONFIG))
    assert code == 2 and out == ""
    assert err.startswith("monitor: error: backtest:")
    for words in expected:
        assert words in err


def test_missing_folder_and_config_without_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = backtest(capsys, str(tmp_path / "nowhere"), "--config", str(CONFIG))
    assert code == 2 and "nowhere is not a folder" in err
    empty = tmp_path / "empty.yaml"
    empty.write_text("feeds: []\n")
    code, _, err = backtest(capsys, str(DATA), "--config", str(empty))
    assert code == 2 and "empty.yaml tracks no facts" in err


def test_undated_html_article_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "story"
    shutil.copytree(DATA, folder)
    text = (DATA / "articles" / "cal-06.txt").read_text().split("\n\n")
    paragraphs = "".join(f"<p>{p}</p>" for p in text[1:])
    (folder / "articles" / "cal-06.txt").unlink()
    (folder / "articles" / "cal-06.html").write_text(
        f"<html><head><title>{text[0]}</title></head><body><article><h1>{text[0]}</h1>"
        f"{paragraphs}</article></body></html>"
    )
    _, out, _ = backtest(capsys, str(folder), "--config", str(CONFIG), "--format", "json")
    last = json.loads(out)[-1]
    assert (last["article"], last["kind"], last["new"]) == ("cal-06", "conflict", 5000)


def test_dev_corpus_backtest_scores(tmp_path: Path) -> None:
    # The bar of issue 4, as a user runs it from the repository: the real fact finders of
    # feeds.yaml, every expected alert of TIMELINE.md on the right article, nothing spurious.
    run = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "backtest", str(DEV), "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    found, total, spurious, details = score_backtest(json.loads(run.stdout), tmp_path)
    assert (found, total) == (24, 24), details
    assert spurious == 0, details

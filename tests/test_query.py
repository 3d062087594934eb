"""History queries through the real CLI (``monitor facts/history/changes``) on both back-ends."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from monitor.cli import main
from monitor.config import Settings
from monitor.display import zone
from monitor.models import Article, ArticleVersion
from monitor.query import parse_since, parse_time

from .factories import (
    FRANCE,
    Said,
    Story,
    beta_evidence,
    build_history,
    day,
    store_report,
    story_report,
    words,
)


@pytest.fixture
def story(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Story:
    built = build_history(engine)
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n", encoding="utf-8")
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_CONFIG", str(config))
    return built


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(capsys, *argv, "--format", "json"))


def test_facts_show_current_values_status_sources_and_disputes(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = run_json(capsys, "facts")
    assert [(f["fact"], f["qualifier"], f["value"]) for f in facts] == [
        ("coalition.countries", None, 35),
        ("force.troops", "France", [25000, 30000]),
    ]
    coalition, troops = facts
    assert (coalition["status"], coalition["sources"], coalition["state"]) == (
        "confirmed",
        2,
        "current",
    )
    assert coalition["valid_from"] == "2025-09-11T08:00:00+00:00"
    assert [(e["outlet"], e["article"]) for e in coalition["evidence"]] == [
        ("beta", story.articles[2]),
        ("gamma", story.articles[3]),
    ]
    assert coalition["evidence"][0] == beta_evidence(story)
    assert coalition["disputed_by"] == []
    assert [d["value"] for d in troops["disputed_by"]] == [[15000, 20000]]
    assert troops["disputed_by"][0]["evidence"][0]["outlet"] == "beta"

    table = run(capsys, "facts")
    assert "coalition.countries" in table and "force.troops [France]" in table
    assert "confirmed" in table and "disputed: 15,000 to 20,000" in table
    assert "“35 quoted by gamma”" in table and "https://gamma.example/news/3" in table


def test_history_lists_versions_with_states_and_evidence(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = run_json(capsys, "history", "coalition.countries")
    assert [(r["value"], r["state"], r["status"]) for r in rows] == [
        (31, "superseded", "unconfirmed"),
        (35, "current", "confirmed"),
    ]
    old = rows[0]
    assert old["valid_until"] == "2025-09-11T08:00:00+00:00"
    assert old["superseded_at"] == "2025-09-11T08:05:00+00:00"
    assert old["evidence"][0]["quote"] == "31 quoted by alpha"

    troops = run_json(capsys, "history", "force.troops", "--qualifier", "France")
    assert [(r["value"], r["state"]) for r in troops] == [
        ([25000, 30000], "current"),
        ([15000, 20000], "disputed"),
    ]

    table = run(capsys, "history", "coalition.countries")
    assert "superseded" in table and "“31 quoted by alpha”" in table
    assert "https://alpha.example/news/1" in table


def test_as_of_returns_what_the_monitor_believed_then(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    before_change = run_json(capsys, "history", "coalition.countries", "--as-of", "2025-09-05")
    assert [(r["value"], r["state"], r["valid_until"]) for r in before_change] == [
        (31, "current", None)
    ]
    # Between the change (day 10) and the confirmation (day 11): 35 accepted, one source.
    mid = run_json(capsys, "history", "coalition.countries", "--as-of", day(10, 30).isoformat())
    assert [(r["value"], r["state"], r["status"], r["sources"]) for r in mid] == [
        (31, "superseded", "unconfirmed", 1),
        (35, "current", "unconfirmed", 1),
    ]
    assert [e["outlet"] for e in mid[1]["evidence"]] == ["beta"]
    now = run_json(capsys, "history", "coalition.countries")
    assert (now[1]["status"], now[1]["sources"]) == ("confirmed", 2)

    # The conflict on day 20.2 is not known on day 20 + 1h.
    facts = run_json(capsys, "facts", "--as-of", day(20, 60).isoformat())
    troops = next(f for f in facts if f["fact"] == "force.troops")
    assert troops["disputed_by"] == []
    coalition = next(f for f in facts if f["fact"] == "coalition.countries")
    assert coalition["value"] == 35
    assert run_json(capsys, "facts", "--as-of", "2025-08-01") == []


def test_since_and_fact_glob_filter_changes(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    every = run_json(capsys, "changes")
    assert [(c["fact"], c["kind"]) for c in every] == [
        ("force.troops", "conflict"),
        ("force.troops", "first"),
        ("coalition.countries", "confirmed"),
        ("coalition.countries", "change"),
        ("coalition.countries", "first"),
    ]
    change = every[3]
    assert (change["old"], change["new"], change["alert"]) == (31, 35, True)
    assert change["published"] == "2025-09-11T08:00:00+00:00"
    assert change["decided"] == "2025-09-11T08:05:00+00:00"
    assert change["evidence"]["article"] == story.articles[2]
    assert change["evidence"]["sentence"] == "beta said the figure is 35 (article 2)."

    since = run_json(capsys, "changes", "--since", "2025-09-11T09:00")
    assert [c["kind"] for c in since] == ["conflict", "first", "confirmed"]
    assert [c["fact"] for c in run_json(capsys, "changes", "--fact", "force.*")] == [
        "force.troops",
        "force.troops",
    ]
    assert run_json(capsys, "changes", "--fact", "nothing.*") == []

    history = run_json(capsys, "history", "coalition.countries", "--since", "2025-09-11T12:00")
    assert [r["value"] for r in history] == [35]

    table = run(capsys, "changes", "--fact", "coalition.*")
    assert "31 → 35" in table and "change" in table and "https://beta.example/news/2" in table


def test_csv_has_one_line_per_evidence(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(run(capsys, "facts", "--format", "csv"))))
    coalition = [r for r in rows if r["fact"] == "coalition.countries"]
    assert [(r["value"], r["evidence_outlet"]) for r in coalition] == [
        ("35", "beta"),
        ("35", "gamma"),
    ]
    assert coalition[0]["evidence_url"] == "https://beta.example/news/2"
    troops = [(r["value"], r["state"], r["evidence_outlet"]) for r in rows if r["qualifier"]]
    assert troops == [
        ("[25000, 30000]", "current", "alpha"),
        ("[15000, 20000]", "disputed", "beta"),
    ]
    empty = run(capsys, "changes", "--since", "2030-01-01", "--format", "csv")
    assert empty.splitlines() == [empty.splitlines()[0]]
    assert empty.startswith("id,fact,qualifier,term,kind,old,new,published,decided,alert,")

    changes = list(csv.DictReader(io.StringIO(run(capsys, "changes", "--format", "csv"))))
    assert len(changes) == 5
    assert changes[3]["kind"] == "change" and changes[3]["evidence_quote"] == "35 quoted by beta"


def test_a_rejected_claim_was_disputed_before_the_resolution(
    story: Story, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    story_report(engine, 6, "gamma", 25, [25000, 30000], **FRANCE)
    now = run_json(capsys, "history", "force.troops")
    assert [(r["value"], r["state"], r["superseded_at"]) for r in now] == [
        ([25000, 30000], "current", None),
        ([15000, 20000], "rejected", "2025-09-26T08:05:00+00:00"),
    ]
    then = run_json(capsys, "history", "force.troops", "--as-of", "2025-09-23")
    assert [(r["value"], r["state"], r["superseded_at"]) for r in then] == [
        ([25000, 30000], "current", None),
        ([15000, 20000], "disputed", None),
    ]
    assert run_json(capsys, "facts", "--as-of", "2025-09-23")[1]["disputed_by"] != []
    assert run_json(capsys, "facts")[1]["disputed_by"] == []
    after = run_json(capsys, "history", "force.troops", "--since", "2025-09-27")
    assert [r["state"] for r in after] == ["current"]


def test_term_keys_print_as_written(
    story: Story, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    story_report(engine, 6, "alpha", 3, "proposed", fact="guarantee.terms", term="us_backstop")
    table = run(capsys, "facts")
    assert "guarantee.terms [us_backstop]" in table and "proposed" in table
    rows = run_json(capsys, "history", "guarantee.terms", "--qualifier", "us_backstop")
    assert [(r["term"], r["value"], r["state"]) for r in rows] == [
        ("us_backstop", "proposed", "current")
    ]
    assert "[us_backstop]" in run(capsys, "changes", "--fact", "guarantee.*")


def test_article_tables_print_bracketed_titles_as_written(
    story: Story, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # rich would read "[us_backstop]" and "[bold]" as markup and drop them from the cell.
    title = "[us_backstop] [bold]talks"
    store_report(
        engine,
        6,
        "delta",
        [Said(31)],
        published=day(30),
        now=day(30, 5),
        settings=Settings(),
        text=f"delta report 6. {words(6)}",
        title=title,
    )
    assert title in run(capsys, "articles")


DATE_HINT = "is not a date or time; write e.g. 2025-09-04 or 2025-09-04T12:00Z"
SINCE_HINT = (
    "is not a date, a time or a time ago; write e.g. 2025-09-04, 2025-09-04T12:00Z, 2d, 36h "
    "or yesterday"
)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["history", "coalition.countries", "--since", "last tuesday"],
            f"'last tuesday' {SINCE_HINT}",
        ),
        (["history", "coalition.countries", "--as-of", "2025-13-45"], f"'2025-13-45' {DATE_HINT}"),
        (["changes", "--since", "soon"], f"argument --since: 'soon' {SINCE_HINT}"),
        (["facts", "--as-of", "soon"], f"argument --as-of: 'soon' {DATE_HINT}"),
        (["changes", "--limit", "0"], "argument --limit: '0' is not a positive whole number"),
    ],
)
def test_bad_dates_and_limits_are_a_clear_error(
    story: Story, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unknown_fact_or_qualifier_names_what_exists(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "coalition.members"]) == 2
    err = capsys.readouterr().err
    assert "no history for fact 'coalition.members'" in err
    assert "coalition.countries, force.troops" in err
    assert main(["history", "force.troops", "--qualifier", "Spain"]) == 2
    assert "it has: France" in capsys.readouterr().err


def _cli(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args], env=env, timeout=60, check=False, **kw
    )


def test_long_tables_page_on_a_terminal_never_when_piped(story: Story, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = {
        **os.environ,
        "PAGER": f"cat > {paged}",
        "LINES": "8",
        "COLUMNS": "160",
        "TERM": "xterm",
    }
    piped = _cli(["history", "coalition.countries"], env, capture_output=True)
    assert piped.returncode == 0
    assert b"31 quoted by alpha" in piped.stdout
    assert not paged.exists()

    # On a terminal (a pseudo-terminal here) the taller-than-screen table goes to $PAGER.
    primary, secondary = pty.openpty()
    try:
        done = _cli(
            ["history", "coalition.countries"],
            env,
            stdin=secondary,
            stdout=secondary,
            stderr=subprocess.PIPE,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert done.returncode == 0, done.stderr
    shown = re.sub(r"\x1b\[[0-9;]*m", "", paged.read_text(encoding="utf-8"))
    assert "superseded" in shown and "https://alpha.example/news/1" in shown


@given(st.text(max_size=40) | st.datetimes(timezones=st.timezones()).map(datetime.isoformat))
def test_parse_time_gives_utc_or_a_clear_error(text: str) -> None:
    try:
        parsed = parse_time(text)
    except ValueError as exc:
        assert "is not a date or time; write e.g. 2025-09-04" in str(exc)
    else:
        assert parsed.tzinfo is UTC


def test_parse_time_reads_dates_and_offsets() -> None:
    with pytest.raises(ValueError, match="is not a date or time"):
        parse_time("0001-01-01T00:00+05:00")  # before year 1 in UTC
    assert parse_time("2025-09-04") == datetime(2025, 9, 4, tzinfo=UTC)
    assert parse_time("2025-09-04T12:00Z") == datetime(2025, 9, 4, 12, tzinfo=UTC)
    assert parse_time("2025-09-04T14:00+02:00") == datetime(2025, 9, 4, 12, tzinfo=UTC)


def test_since_takes_times_ago_and_yesterday() -> None:
    now = datetime(2025, 9, 12, 15, 30, tzinfo=UTC)
    assert parse_since("2d", now=now) == datetime(2025, 9, 10, 15, 30, tzinfo=UTC)
    assert parse_since("36h", now=now) == datetime(2025, 9, 11, 3, 30, tzinfo=UTC)
    assert parse_since("yesterday", now=now) == datetime(2025, 9, 11, tzinfo=UTC)
    assert parse_since("today", now=now) == datetime(2025, 9, 12, tzinfo=UTC)
    # "yesterday" starts at midnight where the reader is (display.timezone).
    kyiv = parse_since("yesterday", now=now, tz=zone("Europe/Kyiv"))
    assert kyiv == datetime(2025, 9, 10, 21, 0, tzinfo=UTC)
    assert parse_since("2025-09-04", now=now) == datetime(2025, 9, 4, tzinfo=UTC)


def test_changes_since_two_days_ago_in_the_table(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no changes recorded match" in run(capsys, "changes", "--since", "2d")
    assert "31 → 35" in run(capsys, "changes", "--since", "100000d")


def test_piped_tables_are_never_cut_off(
    story: Story, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "A very long headline " + " ".join(f"word{i}" for i in range(60)) + " END"
    store_report(
        engine,
        6,
        "delta",
        [Said(31)],
        published=day(30),
        now=day(30, 5),
        settings=Settings(),
        text=f"delta report 6. {words(6)}",
        title=title,
    )
    out = run(capsys, "articles")
    assert title in out and "…" not in out


def test_facts_as_of_before_any_data_says_so(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "facts", "--as-of", "2000-01-01")
    assert "no fact had a value yet at 2000-01-01 00:00 UTC; try a later --as-of" in out
    assert "poll --once" not in out


def test_tables_show_times_in_the_display_time_zone(
    story: Story, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "kyiv.yaml"
    config.write_text("display:\n  timezone: Europe/Kyiv\n", encoding="utf-8")
    table = run(capsys, "--config", str(config), "changes")
    assert "EEST" in table and " UTC" not in table
    # JSON keeps ISO 8601 in UTC with its offset.
    rows = run_json(capsys, "--config", str(config), "changes")
    assert all(r["decided"].endswith("+00:00") for r in rows)


def test_evidence_shows_the_title_its_version_had(
    story: Story, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # The outlet retitled the article after the version that stated the figure.
    with engine.begin() as conn:
        conn.execute(sa.update(ArticleVersion).values(title="Headline when it said so"))
        conn.execute(sa.update(Article).values(title="Headline rewritten later"))
    changes = run_json(capsys, "changes")
    titles = {c["evidence"]["title"] for c in changes if c["evidence"]}
    assert titles == {"Headline when it said so"}
    history = run_json(capsys, "history", "coalition.countries")
    assert {e["title"] for v in history for e in v["evidence"]} == {"Headline when it said so"}

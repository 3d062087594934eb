"""The README's first command: `monitor demo` replays the bundled sample story end to end."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from monitor.cli import main
from monitor.models import Article, ArticleVersion, Change
from monitor.store import create_db_engine
from tests.conftest import REPO


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Change], list[Article]]:
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    capture = tmp_path_factory.mktemp("out") / "stdout.txt"
    with capture.open("w") as out, pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        code = main(["--config", str(REPO / "feeds.yaml"), "demo", "--db", str(db)])
    assert code == 0
    engine = create_db_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as s:
            changes = [Change.model_validate(c) for c in s.exec(select(Change)).all()]
            articles = [Article.model_validate(a) for a in s.exec(select(Article)).all()]
            versions = s.exec(select(ArticleVersion.article_id)).all()
    finally:
        engine.dispose()
    assert len(versions) > len(articles)  # at least one article was revised and re-read
    return capture.read_text(), changes, articles


def values(changes: list[Change], fact: str, kind: str | None = None) -> list[object]:
    return [
        json.loads(c.new_json or "null")
        for c in changes
        if c.fact == fact and c.qualifier is None and (kind is None or c.kind == kind)
    ]


def test_demo_prints_alerts_with_their_sentences_and_the_current_facts(
    demo: tuple[str, list[Change], list[Article]],
) -> None:
    out, changes, _ = demo
    assert "ALERT first" in out and "ALERT change" in out
    assert "“Leaders of 26 countries met in London" in out or "Leaders of 26 countries" in out
    assert "Current facts:" in out
    assert sum(c.alert for c in changes) >= 8


def test_demo_follows_the_coalition_count_through_its_changes(
    demo: tuple[str, list[Change], list[Article]],
) -> None:
    _, changes, _ = demo
    assert values(changes, "coalition.countries", "first") == [12]
    changed = values(changes, "coalition.countries", "change")
    assert changed[:2] == [20, 26]
    # The correction on a revisit of the same article: 31, then 30.
    assert changed[-2:] == [31, 30]


def test_demo_keeps_a_same_day_disagreement_as_a_conflict(
    demo: tuple[str, list[Change], list[Article]],
) -> None:
    _, changes, articles = demo
    conflicts = [c for c in changes if c.kind == "conflict" and c.fact == "coalition.countries"]
    assert [json.loads(c.new_json or "null") for c in conflicts] == [24]
    assert not any(c.alert for c in conflicts)
    outlet = {a.id: a.outlet for a in articles}
    assert outlet[conflicts[0].article_id] == "Danube Dispatch"


def test_demo_ignores_distractors(demo: tuple[str, list[Change], list[Article]]) -> None:
    _, changes, _ = demo
    seen = {json.dumps(json.loads(c.new_json or "null")) for c in changes if c.term is None}
    # EU and NATO sizes, a 30-day ceasefire, Russia's troops, an anniversary's day count.
    for distractor in ("27", "32", "600000", "[601, null]", "1106"):
        assert distractor not in seen
    assert set(values(changes, "coalition.pledged")) == {18}

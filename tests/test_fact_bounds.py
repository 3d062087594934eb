"""The fact stage reads hostile text in time that grows with its length, not its square."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import load_settings
from monitor.facts import find_facts
from monitor.facts.spec import FactSpec, TermsFactSpec
from monitor.facts.terms import find_terms

from .conftest import REPO

# Term phrases of the shipped facts, and cues and breaks that change how they are read.
_MENTIONS = [
    "backstop",
    "after a ceasefire",
    "no U.S. troops",
    "coordination cell",
    "U.S.-led monitoring",
]
_OTHERS = [
    "Ukraine",
    "was dropped from the final text",
    "is contested",
    "proposed",
    "It",
    "which the United States would lead",
    "€40 billion",
    "2,000 troops",
    ". ",
    "\n\n",
]


@cache
def _facts() -> list[FactSpec]:
    return list(load_settings(REPO / "feeds.yaml", env={}).facts)


def _terms() -> TermsFactSpec:
    return next(f for f in _facts() if isinstance(f, TermsFactSpec))


def test_evidence_of_a_run_on_page_stays_a_sentence_long() -> None:
    """A 36 KB page that is one endless sentence of term phrases (issue 10: quadratic, 38 s):
    each finding quotes the words around its mention, not the whole page."""
    unit = "Ukraine backstop after a ceasefire, U.S. troops, coordination cell, "
    text = unit * (36_000 // len(unit))
    found = find_terms(text, _terms())
    assert len(found) > 1000
    assert max(len(f.sentence or "") for f in found) < 1_000


@settings(max_examples=6, deadline=8_000)
@given(
    st.lists(st.sampled_from(_MENTIONS), min_size=20, max_size=200),
    st.lists(st.tuples(st.integers(0, 199), st.sampled_from(_OTHERS)), max_size=6),
    st.sampled_from([", ", " ", "; "]),
)
def test_fact_stage_reads_any_mix_of_phrases_in_bounded_time(
    mentions: list[str], others: list[tuple[int, str]], sep: str
) -> None:
    """20 KB of term phrases with a few cues and breaks among them, repeated: each text is
    read within hypothesis's 8 s deadline (about 1 s here; before issue 10's fix an 18 KB
    run-on sentence of phrases took 24 s)."""
    pieces = ["Ukraine", *mentions]
    for at, other in others:
        pieces.insert(at % len(pieces), other)
    unit = sep.join(pieces) + sep
    text = unit * (20_000 // len(unit) + 1)
    findings = find_facts(text, _facts())
    assert all(0 <= f.start <= f.end <= len(text) for f in findings)

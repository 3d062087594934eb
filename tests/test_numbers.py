"""Reading amounts as people write them (src/monitor/facts/numbers.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from num2words import num2words

from monitor.config import load_settings
from monitor.facts import find_facts
from monitor.facts.numbers import Amount, find_amounts

from .conftest import REPO


def _only(text: str) -> Amount:
    found = find_amounts(text)
    assert len(found) == 1, (text, found)
    return found[0]


# SCHEMA.md's table of vague and bounded amounts, row by row.
SCHEMA_TABLE = [
    ("about 30", 30),
    ("some 30", 30),
    ("around 30", 30),
    ("roughly 30", 30),
    ("more than 30", (31, None)),
    ("over 30", (31, None)),
    ("up to 10,000", (None, 10000)),
    ("as many as 10,000", (None, 10000)),
    ("between 10,000 and 30,000", (10000, 30000)),
    ("10,000-30,000", (10000, 30000)),
    ("several thousand", (2000, 9999)),
    ("a few thousand", (2000, 9999)),
    ("thousands", (1000, 99999)),
    ("tens of thousands", (10000, 99999)),
    ("two dozen", 24),
    ("dozens", (24, 99)),
    ("a handful", (3, 6)),
]

MORE = [
    # digits with separators, words, magnitudes
    ("25,000", 25000),
    ("25 000", 25000),
    ("25\u00a0000", 25000),
    ("1,000,000", 1_000_000),
    ("twenty-six", 26),
    ("Thirty-five", 35),
    ("sixty-four thousand", 64000),
    ("six hundred thousand", 600000),
    ("one hundred and twenty", 120),
    ("10k", 10000),
    ("1.5 million", 1_500_000),
    ("600 thousand", 600000),
    ("half a million", 500000),
    ("a quarter of a million", 250000),
    ("a dozen", 12),
    ("in the low tens of thousands", (10000, 39999)),
    ("in the high tens of thousands", (60000, 99999)),
    ("in the low thousands", (1000, 3999)),
    ("low thousands", (1000, 3999)),
    ("in the high thousands", (7000, 9999)),
    ("in the low hundreds", (100, 399)),
    ("in the dozens", (24, 99)),
    ("about a dozen", 12),
    ("a dozen or so", 12),
    ("three dozen", 36),
    # ranges
    ("25,000 to 30,000", (25000, 30000)),
    ("25,000–30,000", (25000, 30000)),
    ("15-20 thousand", (15000, 20000)),
    ("two to three thousand", (2000, 3000)),
    ("1.5-2 million", (1_500_000, 2_000_000)),
    ("ranging from 25,000 to 30,000", (25000, 30000)),
    # bounds and approximations
    ("at least 30", (30, None)),
    ("no fewer than 30", (30, None)),
    ("more than two dozen", (25, None)),
    ("fewer than 75,000", (None, 74999)),
    ("nearly 50", (None, 49)),
    ("just over 70,000", (70001, None)),
    ("no more than 5,000", (None, 5000)),
    ("an estimated 40", 40),
    ("several thousands", (2000, 9999)),
    ("hundreds of thousands", (100000, 999999)),
    ("30-odd", (30, 39)),
    ("30-plus", (30, None)),
    ("30+", (30, None)),
]


@pytest.mark.parametrize(("text", "value"), SCHEMA_TABLE + MORE)
def test_reads_the_amount(text: str, value: object) -> None:
    amount = _only(text)
    assert amount.value == value
    assert (amount.start, amount.end) == (0, len(text)) or text.startswith("ranging")
    assert amount.kind == "number"


def test_vague_and_bounded_amounts_are_not_exact() -> None:
    assert _only("25,000").exact
    assert not _only("about 30").exact
    assert not _only("several thousand").exact
    assert not _only("up to 10,000").exact


def test_from_to_is_two_amounts_not_a_range() -> None:
    text = "raises the limit from 600,000 to 800,000 in peacetime"
    assert [a.value for a in find_amounts(text)] == [600000, 800000]


def test_an_amount_keeps_its_words_in_running_text() -> None:
    text = "Officials said more than two dozen countries pledged on Thursday."
    amount = _only(text)
    assert text[amount.start : amount.end] == "more than two dozen"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a loan of €140bn", "money"),
        ("$67 a barrel", "money"),
        ("2.26 billion pounds", "money"),
        ("a 1.6 billion-pound loan", "money"),
        ("5 per cent of GDP", "percent"),
        ("up 2% on the day", "percent"),
        ("4.8 percent", "percent"),
        ("in 2022", "year"),
        ("in 1995-96", "year"),
        ("the 2014–2015 talks", "year"),
        ("1800-2000 troops", "number"),
        ("on 27 November", "date"),
        ("March 12", "date"),
        ("12.03.2025", "date"),
        ("at 19:05", "time"),
        ("Article 5", "label"),
        ("point 6 of the draft", "label"),
        ("Resolution 1701", "label"),
        ("how many thousands of sailors", "question"),
    ],
)
def test_distractor_kinds_are_marked(text: str, kind: str) -> None:
    assert find_amounts(text)[0].kind == kind


@pytest.mark.parametrize(
    "text", ["the 19th package", "G20 summit", "F-16 jets", "Zapad-2025 exercises", "the 27th"]
)
def test_ordinals_and_names_are_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9))
def test_any_integer_in_digits_reads_back(n: int) -> None:
    for text in (str(n), f"{n:,}", f"{n:,}".replace(",", " ")):
        amount = _only(text)
        assert amount.value == n
        assert (amount.start, amount.end) == (0, len(text))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9))
def test_any_integer_in_words_reads_back(n: int) -> None:
    text = num2words(n)
    amount = _only(text)
    assert amount.value == n, text
    assert (amount.start, amount.end) == (0, len(text))


@settings(max_examples=300)
@given(st.text())
def test_any_text_reads_without_error(text: str) -> None:
    for amount in find_amounts(text):
        assert 0 <= amount.start < amount.end <= len(text)


_FACTS = load_settings(REPO / "feeds.yaml").facts


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "26 countries",
                    "coalition",
                    "troops",
                    "of them",
                    "up from",
                    "Ukraine",
                    ".",
                    "\n",
                    "several thousand",
                    "capped at",
                    "the number of countries is",
                    "France",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_any_text_goes_through_the_fact_stage(parts: list[str]) -> None:
    text = " ".join(parts)
    for finding in find_facts(text, _FACTS):
        assert text[finding.start : finding.end] == finding.text

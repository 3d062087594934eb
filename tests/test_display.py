"""One way to show values and times to people, everywhere (monitor.display)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.display import change_text, value_text, when_text, zone


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (31, "31"),
        (25000, "25,000"),
        ([None, 10000], "up to 10,000"),
        ((None, 9999), "fewer than 10,000"),
        ([31, None], "more than 30"),
        ([30, None], "at least 30"),
        ([2000, 9999], "2,000 to 9,999"),
        ([150, 150], "150"),
        ([None, None], "unknown"),
        ("removed", "removed"),
        ("present", "present"),
        (None, "none"),
    ],
)
def test_values_read_as_words(value: object, words: str) -> None:
    assert value_text(value) == words


def test_changes_read_as_words() -> None:
    assert change_text("first", None, [None, 30000]) == "new fact: up to 30,000"
    assert change_text("change", 26, 31) == "change: 26 → 31"
    assert change_text("conflict", 26, 24) == "disputed: 26 → 24"
    assert change_text("refinement", [None, 30000], 25000) == "refinement: up to 30,000 → 25,000"
    assert change_text("confirmed", 30, 30) == "30 confirmed"


def test_times_carry_their_zone() -> None:
    when = datetime(2025, 3, 5, 20, 0, tzinfo=UTC)
    assert when_text(when) == "2025-03-05 20:00 UTC"
    assert when_text("2025-03-05T20:00:00+00:00", zone("Europe/Kyiv")) == "2025-03-05 22:00 EET"
    assert when_text(datetime(2025, 7, 1, 12, tzinfo=UTC), zone("Europe/Kyiv")).endswith("EEST")
    assert when_text(None, empty="never") == "never"
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a time zone"):
        zone("Mars/Olympus")

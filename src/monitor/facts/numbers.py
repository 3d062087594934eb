"""Reading amounts as people write them: digits, words, magnitudes, vague amounts, ranges, bounds.

:func:`find_amounts` returns every amount in a text with its character span and its value,
normalized as ``../shared/facts/SCHEMA.md`` says: an integer, or ``(low, high)`` with ``None``
for an open end. Number words go through text2num; this module only finds where they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from text_to_num import text2num

Value = int | tuple[int | None, int | None]

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD = r"(?:%s)(?:[-\s](?:%s))?" % ("|".join(_TENS), "|".join(_UNITS[1:10]))
_SMALL = r"(?:%s|%s)" % (_WORD, "|".join(sorted(_UNITS, key=len, reverse=True)))
_SCALE = r"(?:hundred|thousand|million)"
WORDS = rf"(?:{_SMALL}(?:\s+(?:and\s+)?(?:{_SCALE}|{_SMALL}))*|(?:a|one)\s+(?:hundred|thousand))"
DIGITS = r"\d{1,3}(?:(?:,|\u00a0|\u202f| (?=\d{3}\b))\d{3})+(?!\d)|\d+(?:\.\d+)?"
MAGNITUDE = r"(?:\s*(?:k|K)\b|\s+(?:thousand|million|billion)\b|\s*(?:m|mn|bn)\b)"
ATOM = rf"(?:(?:{DIGITS})(?:{MAGNITUDE})?|\b{WORDS}\b)"

VAGUE: dict[str, tuple[int | None, int | None] | int] = {
    "tens of thousands": (10000, 99999),
    "hundreds of thousands": (100000, 999999),
    "several thousand": (2000, 9999),
    "several thousands": (2000, 9999),
    "a few thousand": (2000, 9999),
    "a couple of thousand": (2000, 2999),
    "thousands": (1000, 99999),
    "several hundred": (200, 999),
    "a few hundred": (200, 999),
    "hundreds": (100, 999),
    "two dozen": 24,
    "three dozen": 36,
    "a dozen or so": 12,
    "a dozen": 12,
    "dozen or so": 12,
    "dozens": (24, 99),
    "a handful": (3, 6),
}
_VAGUE = "|".join(re.escape(k) for k in sorted(VAGUE, key=len, reverse=True))

APPROX = r"(?:about|around|some|roughly|approximately|an estimated|estimated|nearly|almost|close to|circa|c\.|~)"
ABOVE = r"(?:more than|over|above|upwards of|in excess of|exceeding)"
ATLEAST = r"(?:at least|no fewer than|no less than|a minimum of|at a minimum)"
UPTO = r"(?:up to|as many as|as much as|at most|no more than|a maximum of|maximum of|not more than)"
BELOW = r"(?:fewer than|less than|under|below)"

RANGE_SEP = r"(?:\s*[-\u2013\u2014]\s*|\s+to\s+|\s+and\s+)"


@dataclass(frozen=True)
class Amount:
    """An amount found in text: ``text[start:end]`` reads as ``value``."""

    start: int
    end: int
    value: Value
    exact: bool = True


def _atom_value(raw: str) -> int | None:
    s = raw.strip().lower()
    mag = 1
    for suffix, factor in (
        ("thousand", 1000),
        ("million", 1_000_000),
        ("billion", 1_000_000_000),
        ("bn", 1_000_000_000),
        ("mn", 1_000_000),
        ("k", 1000),
        ("m", 1_000_000),
    ):
        if s.endswith(suffix) and re.match(r"^[\d.,\s\u00a0\u202f]+" + suffix + "$", s):
            mag, s = factor, s[: -len(suffix)].strip()
            break
    if re.fullmatch(r"[\d.,\s\u00a0\u202f]+", s):
        digits = re.sub(r"[,\s\u00a0\u202f]", "", s)
        try:
            number = float(digits)
        except ValueError:
            return None
        return round(number * mag)
    if s.startswith(("a ", "one ")) and s.split()[-1] in ("hundred", "thousand"):
        return 100 if s.endswith("hundred") else 1000
    try:
        return int(text2num(s.replace(" and ", " "), "en"))
    except (ValueError, IndexError):
        return None


@cache
def _pattern() -> re.Pattern[str]:
    atom = rf"(?P<a>{ATOM})"
    atom2 = rf"(?P<b>{ATOM})"
    return re.compile(
        rf"(?:\bbetween\s+(?P<between>{ATOM})\s+and\s+(?P<between2>{ATOM}))"
        rf"|(?P<vague>\b(?:{_VAGUE})\b)"
        rf"|(?:(?P<q>\b(?:{APPROX}|{ABOVE}|{ATLEAST}|{UPTO}|{BELOW}))\s+)?{atom}"
        rf"(?:(?P<sep>{RANGE_SEP}){atom2})?",
        re.I,
    )


def find_amounts(text: str) -> list[Amount]:
    """Every amount in ``text``, left to right, non-overlapping."""
    out: list[Amount] = []
    for m in _pattern().finditer(text):
        amount = _read(m)
        if amount is not None:
            out.append(amount)
    return out


def _read(m: re.Match[str]) -> Amount | None:
    if m.group("between"):
        lo, hi = _atom_value(m.group("between")), _atom_value(m.group("between2"))
        if lo is None or hi is None:
            return None
        return Amount(m.start(), m.end(), _range(lo, hi, m.group("between2")))
    if m.group("vague"):
        return Amount(m.start(), m.end(), VAGUE[m.group("vague").lower()], exact=False)
    a = _atom_value(m.group("a"))
    if a is None:
        return None
    if m.group("b"):
        sep = m.group("sep").strip().lower()
        b = _atom_value(m.group("b"))
        if b is not None and sep != "and" and (sep != "to" or b > a) and _plausible(a, b):
            return Amount(m.start(), m.end(), _range(a, b, m.group("b")))
        end = m.end("a")
    else:
        end = m.end()
    qualifier = (m.group("q") or "").lower()
    value = _bounded(qualifier, a)
    start = m.start() if qualifier else m.start("a")
    return Amount(start, end, value, exact=not qualifier)


def _plausible(a: int, b: int) -> bool:
    return a <= b * 1000 and (b >= a or b * 1000 >= a)


def _range(lo: int, hi: int, hi_text: str) -> Value:
    # "15-20 thousand": the magnitude written once applies to both ends.
    if lo < hi / 100 and re.search(r"thousand|million|k\b", hi_text, re.I):
        scale = hi // max(_atom_value(re.sub(r"(?i)\s*(thousand|million|k)\b", "", hi_text)) or 1, 1)
        lo *= scale
    return (min(lo, hi), max(lo, hi))


def _bounded(qualifier: str, n: int) -> Value:
    if not qualifier or re.fullmatch(APPROX, qualifier, re.I):
        return n
    if re.fullmatch(ABOVE, qualifier, re.I):
        return (n + 1, None)
    if re.fullmatch(ATLEAST, qualifier, re.I):
        return (n, None)
    if re.fullmatch(UPTO, qualifier, re.I):
        return (None, n)
    return (None, n - 1)


def value_to_json(value: Value | None) -> int | list[int | None] | None:
    """A value as JSON: an integer, or ``[low, high]`` with ``null`` for an open end."""
    if value is None or isinstance(value, int):
        return value
    return [value[0], value[1]]

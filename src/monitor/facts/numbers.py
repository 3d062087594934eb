"""Reading amounts as people write them: digits, words, magnitudes, vague amounts, ranges, bounds.

:func:`find_amounts` returns every amount in a text with its character span, its value normalized
as ``../shared/facts/SCHEMA.md`` says (an integer, or ``(low, high)`` with ``None`` for an open
end) and its *kind*: plain numbers are ``number``; money, percentages, years, dates, clock times,
labels ("Article 5", "point 6"), decimals and amounts asked about ("how many thousands") are
marked so that no fact counts them. Number words are validated and valued by text2num; this
module only finds where they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from text_to_num import text2num

Value = int | tuple[int | None, int | None]
Kind = Literal[
    "number",
    "money",
    "percent",
    "year",
    "date",
    "time",
    "label",
    "decimal",
    "question",
    "ratio",
    "age",
]

_ONES = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[-\s](?:{'|'.join(_ONES)})\b)?"
    rf"|{'|'.join(_TEENS)}|{'|'.join(_ONES)}|zero)\b"
)
_SCALE = r"(?:thousand|million|billion)\b"
_HUNDREDS = rf"(?:(?:{_SMALL}|a)\s+hundred\b(?:\s+(?:and\s+)?{_SMALL})?|{_SMALL})"
_GROUP = rf"(?:{_HUNDREDS}(?:\s+{_SCALE})?|a\s+{_SCALE})"
# "one hundred and twenty-three thousand, four hundred and fifty-six": num2words and British
# usage put a comma after a scale word; any over-long match is trimmed by text2num's verdict.
WORDS = (
    rf"(?:half\s+a\s+(?:million|billion)\b|a\s+quarter\s+of\s+a\s+(?:million|billion)\b"
    rf"|{_GROUP}(?:(?:(?:(?<=thousand)|(?<=million)|(?<=billion)),)?\s+(?:and\s+)?{_GROUP})*)"
)
DIGITS = (
    r"(?<![\w])(?<!\d[.,:/])(?<![A-Za-z]-)"
    r"(?:\d{1,3}(?:(?:,|\u00a0|\u202f|\u2009| (?=\d{3}(?!\d)))\d{3})+(?!\d)|\d+(?:\.\d+)?)"
)
MAGNITUDE = r"(?:(?:k|K|m|mn|bn)(?![\w])|\s+(?:thousand|million|billion)\b)"
DOZEN = rf"(?:(?:{_SMALL}|\d+|a)\s+dozen\b)"
ATOM = rf"(?:{DOZEN}|{DIGITS}{MAGNITUDE}?(?![\w])|\b{WORDS})"

# Vague amounts (SCHEMA.md's table, plus the obvious neighbours).
VAGUE: dict[str, Value] = {
    "several tens of thousands": (20000, 99999),
    "a few tens of thousands": (20000, 99999),
    "several hundred thousand": (200000, 999999),
    "a few hundred thousand": (200000, 999999),
    "tens of thousands": (10000, 99999),
    "hundreds of thousands": (100000, 999999),
    "several thousand": (2000, 9999),
    "several thousands": (2000, 9999),
    "a few thousand": (2000, 9999),
    "a couple of thousand": (2000, 2999),
    "thousands": (1000, 99999),
    "in the thousands": (1000, 99999),
    "in the tens of thousands": (10000, 99999),
    "in the low tens of thousands": (10000, 39999),
    "in the high tens of thousands": (60000, 99999),
    "in the hundreds": (100, 999),
    "in the low thousands": (1000, 3999),
    "low thousands": (1000, 3999),
    "in the high thousands": (7000, 9999),
    "high thousands": (7000, 9999),
    "in the low hundreds": (100, 399),
    "low hundreds": (100, 399),
    "several hundred": (200, 999),
    "a few hundred": (200, 999),
    "hundreds": (100, 999),
    "millions": (1_000_000, 999_999_999),
    "a dozen or so": 12,
    "dozen or so": 12,
    "dozens": (24, 99),
    "in the dozens": (24, 99),
    "a handful": (3, 6),
}
_INEXACT_VAGUE = "|".join(re.escape(k) for k in sorted(VAGUE, key=len, reverse=True))

APPROX = (
    r"(?:about|around|some|roughly|approximately|an\s+estimated|estimated|close\s+to|circa"
    r"|c\.|~|an\s+approximate)"
)
ABOVE = (
    r"(?:(?:more\s+than|just\s+over|well\s+over|over|above|past)(?:\s+the)?"
    r"|upwards\s+of|in\s+excess\s+of|exceeding"
    # a level passed: "the toll has passed / surpassed / exceeded 3,000"
    r"|(?<!not\s)(?:passed|surpassed|exceeded|exceeds|topped|tops|crossed)(?:\s+the)?)"
)
ATLEAST = r"(?:at\s+least|no\s+fewer\s+than|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of)"
UPTO = (
    r"(?:up\s+to|as\s+many\s+as|as\s+much\s+as|at\s+most|no\s+more\s+than|not\s+more\s+than"
    r"|a\s+maximum\s+of|maximum\s+of"
    # a bound, not a denial: "does not exceed 90,000", "must not exceed"
    r"|(?:does|do|did|will|would|must|may|should|shall|can|could)\s+not\s+exceed"
    r"|(?:doesn|don|didn|won|wouldn|mustn|shouldn|can)['’]t\s+exceed|cannot\s+exceed)"
)
BELOW = r"(?:fewer\s+than|less\s+than|just\s+under|just\s+below|nearly|almost|under|below)"
_QUALIFIER = rf"(?:{APPROX}|{ABOVE}|{ATLEAST}|{UPTO}|{BELOW})"

# "30-odd countries" (30 to 39), "30-plus", "30+", "30 or more" (at least 30), "30 or fewer".
_SUFFIX = (
    r"-odd\b|\s+odd\b(?=\s+[a-z])|-plus\b|\+(?![\d\w])"
    r"|\s+or\s+(?:more|fewer|less)\b(?!\s+than)"
)
RANGE_SEP = r"(?:\s*[-\u2013\u2014]\s*|\s+to\s+)"

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥₴₽₹]|US\$|\b(?:EUR|USD|GBP|UAH|PLN|CHF|RUB)\s?)\s*$", re.IGNORECASE
)
_CURRENCY_AFTER = re.compile(
    r"^[\s-]*(?:euros?|dollars?|pounds?(?!\s+of\b)|sterling|zlotys?|zloty|hryvnias?|hryvnia|roubles?"
    r"|rubles?|yuan|yen|francs?|rupees?|kronor|kroner|krona)\b",
    re.IGNORECASE,
)
_PERCENT_AFTER = re.compile(r"^\s*(?:%|per\s*cent\b|percent\b|percentage\s+points?\b|pc\b)", re.I)
_DATE_BEFORE = re.compile(rf"\b{_MONTH}\s*$")
_DATE_AFTER = re.compile(rf"^(?:st|nd|rd|th)?\s*(?:of\s+)?{_MONTH}(?![a-z])")
# "how many thousands of soldiers to send": an amount asked about, not stated.
_QUESTION_BEFORE = re.compile(r"\bhow\s+many\s+$", re.I)
_LABEL_BEFORE = re.compile(
    r"\b(?:Article|Articles|Art\.|point|points|Resolution|Section|Chapter|Clause|Paragraph|No\."
    r"|Room|Flight|Route|Highway|page|Protocol|Phase|Stage|Level|Part|Rule|Amendment|Model"
    r"|Type|Mark|Block|Minsk|Vol\.|Volume|Item|Line|Step)\s*$",
    re.IGNORECASE,
)
# "in 2022", and a span of years: "in 1995-96", "the 2014-2015 talks" (not "1800-2000 troops").
_YEAR = re.compile(r"(1[89]\d\d|2[01]\d\d)(?:[-\u2013/](?:\d\d|(?P<to>1[89]\d\d|2[01]\d\d)))?")
_YEARS_APART = 10


def _is_year(text: str, start: int, end: int) -> bool:
    m = _YEAR.fullmatch(text, start, end)
    return m is not None and (
        m.group("to") is None or 0 < int(m.group("to")) - int(m.group(1)) <= _YEARS_APART
    )


_MASKS = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|\b\d+/\d+\b"
    # telephone numbers: "626-577-3752", "(213) 555-0100"
    r"|(?:\(\d{3}\)\s*|\b\d{3}[-.\s])\d{3}[-.]\d{4}\b"
)
# An age, not an amount: "people over 65", "children under 5", "aged 12", "65 and older".
_AGE_BEFORE = re.compile(
    r"\b(?:people|those|persons|adults|children|kids|patients|anyone|women|men|residents"
    r"|individuals|babies|infants)\s+(?:aged\s+)?(?:over|under|above|below|older\s+than"
    r"|younger\s+than)\s+$|\b(?:aged?|ages)\s+$",
    re.I,
)
_AGE_AFTER = re.compile(
    r"^(?:\s*-?\s*years?[\s-]+old|\s+years?\s+of\s+age|\s+and\s+(?:older|over|up)\b)", re.I
)
_NAMED_COUNT = re.compile(r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)?\s+\($")
# A rate, not an amount: "one in five patients", "3 out of 1,000 children", "15 for each one".
_RATIO_AFTER = re.compile(
    r"^\s+(?:in|out\s+of\s+every)\s+(?:every\s+)?(?:(?!(?:1[89]|2[01])\d\d\b)\d|one\b|two\b|three\b|four\b|five\b|six\b"
    r"|seven\b|eight\b|nine\b|ten\b|twenty\b|a\s+(?:hundred|thousand)\b)",
    re.I,
)
_RATIO_BEFORE = re.compile(
    r"\b(?:one|\d+)\s+(?:in|out\s+of\s+every)\s+(?:every\s+)?$|\b(?:for|per)\s+(?:each|every)\s+$",
    re.I,
)


@dataclass(frozen=True)
class Amount:
    """An amount found in text: ``text[start:end]`` reads as ``value``.

    ``exact`` is false for approximations, bounds and vague amounts; ``kind`` says whether it is
    a plain ``number`` or something no count should take (money, percent, year, date, ...).
    """

    start: int
    end: int
    value: Value
    exact: bool = True
    kind: Kind = "number"


@cache
def _pattern() -> re.Pattern[str]:
    return re.compile(
        rf"(?:\bbetween\s+(?P<between>{ATOM})\s+and\s+(?P<between2>{ATOM}))"
        rf"|(?:(?P<q>\b{_QUALIFIER})\s+)?(?:(?P<vague>\b(?:{_INEXACT_VAGUE})\b)"
        rf"|(?P<a>{ATOM})(?:(?P<sep>{RANGE_SEP})(?P<b>{ATOM})|(?P<sfx>{_SUFFIX}))?)",
        re.IGNORECASE,
    )


# Where an amount can be: the full pattern only runs near these (it is slow to try everywhere).
_TRIGGER_WORDS = [
    *_ONES,
    *_TEENS,
    *_TENS,
    "zero",
    "hundreds?",
    "thousands?",
    "millions?",
    "billions?",
    "dozens?",
    "several",
    "few",
    "couple",
    "handful",
    "tens",
    "half",
    "quarter",
]
_FIRST_LETTERS = "".join(
    sorted({w[0] for w in _TRIGGER_WORDS} | {w[0].upper() for w in _TRIGGER_WORDS})
)
# The lookahead on first letters lets most positions fail fast.
_TRIGGER = re.compile(
    rf"\d|\b(?=[{_FIRST_LETTERS}])(?:{'|'.join(_TRIGGER_WORDS)})\b", re.IGNORECASE
)
# Words that may end a qualifier or lead-in right before a number ("more than", "up to", "a").
_LEAD_ENDS = frozenset(
    "about around some roughly approximately estimated estimate to close circa c. ~ than over "
    "above of exceeding least most as many much under below nearly almost between a approximate "
    "upwards excess minimum maximum the low high past passed surpassed exceeded exceeds topped "
    "tops crossed exceed".split()
)
_MAX_NUMBER_WORDS = 24  # "nine hundred and ninety-nine million, nine hundred ..." is 17
_LEAD = re.compile(
    rf"(?:\bbetween\s+|\b{_QUALIFIER}\s+)?(?:\ba\s+|\bin\s+the\s+(?:(?:low|high)\s+)?|\b(?:low|high)\s+)?$",
    re.IGNORECASE,
)
_LOOKBACK, _LOOKAHEAD = 40, 240


def find_amounts(text: str) -> list[Amount]:
    """Every amount in ``text``, left to right, non-overlapping."""
    out: list[Amount] = []
    masks = [(m.start(), m.end(), m.group(0)) for m in _MASKS.finditer(text)]
    pattern = _pattern()
    end = 0
    for trigger in _TRIGGER.finditer(text):
        t = trigger.start()
        if t < end:
            continue
        before = text[max(end, t - 16) : t].split()
        lead = None
        if before and before[-1].lower().lstrip("\"'“‘(") in _LEAD_ENDS:
            lead = _LEAD.search(text, max(end, t - _LOOKBACK), t)
        starts = (lead.start(), t) if lead is not None and lead.start() < t else (t,)
        for start in starts:
            m = pattern.match(text, start, min(len(text), t + _LOOKAHEAD))
            amount = _read(text, m) if m is not None else None
            if m is not None and amount is not None:
                out.append(_classify(text, amount, m, masks))
                end = amount.end
                break
    return out


def _read(text: str, m: re.Match[str]) -> Amount | None:
    if m.group("between"):
        lo, _ = _atom(m.group("between"))
        hi, _ = _atom(m.group("between2"))
        if lo is None or hi is None:
            return None
        return Amount(m.start(), m.end(), _range(lo, m.group("between"), hi, m.group("between2")))
    q = (m.group("q") or "").lower()
    if m.group("vague"):
        value = _bounded(q, VAGUE[re.sub(r"\s+", " ", m.group("vague").lower())])
        return Amount(m.start(), m.end(), value, exact=False)
    a, a_len = _atom(m.group("a"))
    if a is None:
        return None
    if q and (
        _PHRASAL.search(text, max(0, m.start() - 24), m.start()) or _the_not_mark(text, m, q)
    ):
        q = ""  # "handed over 40 files": a verb's particle, not a bound
    start = m.start() if q else m.start("a")
    b_text = m.group("b")
    if b_text and a_len == len(m.group("a")) and not _from_to(text, m):
        b, b_len = _atom(b_text)
        if b is not None and b_len == len(b_text):
            value = _range(a, m.group("a"), b, b_text)
            if isinstance(value, tuple) or _is_year(text, m.start("a"), m.end()):
                return Amount(start, m.end(), value, exact=not q)
    end = m.start("a") + a_len
    suffix = (m.group("sfx") or "").strip().lower() if a_len == len(m.group("a")) else ""
    if suffix:
        step = 10 ** max(0, len(str(a)) - 1)
        about: Value = (a, None)
        if suffix.endswith("odd"):
            about = (a, a + step - 1)
        elif suffix.endswith(("fewer", "less")):
            about = (None, a)
        return Amount(start, m.end(), _bounded(q, about), exact=False)
    return Amount(start, end, _bounded(q, a), exact=not q)


# Verbs whose particle is "over" ("handed over 40 files", "took over 3 sites").
_PHRASAL = re.compile(
    r"\b(?:hand|take|turn|sign|give|pass|win|carry|roll|fork|hold|paper|look|think|mull|fight"
    r"|argue|stumble|trip|watch|preside|pore|tide|flip|knock|tak|hav)(?:s|ed|ing|en|e)?\s+$"
    r"|\b(?:took|gave|given|won|held|fought|handed|taken)\s+$",
    re.I,
)
_MARK = re.compile(r"\s+(?:mark|threshold|milestone|level|barrier|line)\b", re.I)


def _the_not_mark(text: str, m: re.Match[str], q: str) -> bool:
    """ "passed the 30 countries" is no bound; "passed the 3,000 mark" is one."""
    return q.rstrip().lower().endswith(" the") and not _MARK.match(text, m.end())


def _atom(raw: str) -> tuple[int | None, int]:
    """The value of one number and how many characters of ``raw`` it takes."""
    s = raw.lower()
    dozen = re.fullmatch(r"(.+?)\s+dozen", s)
    if dozen:
        n = 1 if dozen.group(1) == "a" else _atom(dozen.group(1))[0]
        return (None if n is None else n * 12), len(raw)
    digits = re.fullmatch(rf"({DIGITS})\s*(k|m|mn|bn|thousand|million|billion)?", s)
    if digits:
        number = float(re.sub(r"[,\s\u00a0\u202f\u2009]", "", digits.group(1)))
        factor = {"k": 1000, "thousand": 1000, "m": 10**6, "mn": 10**6, "million": 10**6}.get(
            digits.group(2) or "", 10**9 if digits.group(2) in ("bn", "billion") else 1
        )
        return round(number * factor), len(raw)
    return _words(raw)


def _words(raw: str) -> tuple[int | None, int]:
    """The longest run of words from the start that reads as one number ("twenty-six, one of
    which" reads 26): grow it word by word until text2num refuses it."""
    best: tuple[int | None, int] = (None, 0)
    for n, token in enumerate(re.finditer(r"[a-z]+(?:-[a-z]+)?", raw.lower())):
        if n >= _MAX_NUMBER_WORDS:
            break
        if token.group(0) in ("and", "a", "of", "half", "quarter"):
            continue
        value = _word_value(raw[: token.end()].lower().replace(",", " "))
        if value is None:
            break
        best = (value, token.end())
    return best


def _word_value(phrase: str) -> int | None:
    words = re.sub(r"\s+", " ", phrase).strip()
    special = re.fullmatch(r"(half|a quarter of) a (million|billion)", words)
    if special:
        scale = 10**6 if special.group(2) == "million" else 10**9
        return scale // 2 if special.group(1) == "half" else scale // 4
    if words.startswith("a "):
        words = "one " + words[2:]
    words = re.sub(r"\band\b", " ", words)
    try:
        return int(text2num(re.sub(r"\s+", " ", words).strip(), "en"))
    except (ValueError, IndexError, KeyError):
        return None


def _from_to(text: str, m: re.Match[str]) -> bool:
    """'from 600,000 to 800,000' is a change between two amounts, not a range ('ranging from')."""
    if m.group("sep").strip().lower() != "to":
        return False
    before = text[max(0, m.start() - 40) : m.start()]
    return bool(
        re.search(r"\bfrom\s+(?:\S+\s+){0,2}$", before, re.I)
        and not re.search(r"\b(?:rang\w*|anywhere|var\w*)\s+from\s+(?:\S+\s+){0,2}$", before, re.I)
    )


def _range(lo: int, lo_text: str, hi: int, hi_text: str) -> Value:
    # "15-20 thousand", "1.5-2 million": a magnitude written once applies to both ends.
    scaled = re.search(r"(?:\s+|(?<=\d))(thousand|million|billion|k|m|mn|bn)\s*$", hi_text, re.I)
    own = re.search(r"(?:thousand|million|billion|k|m|mn|bn)\s*$", lo_text.strip(), re.I)
    if scaled and lo < hi / 100 and not own:
        lo = _atom(f"{lo_text.strip()} {scaled.group(1)}")[0] or lo
    if hi <= lo:
        return lo
    return (lo, hi)


def _bounded(qualifier: str, n: Value) -> Value:
    q = re.sub(r"\s+", " ", qualifier)
    if not q or re.fullmatch(APPROX, q, re.I):
        return n
    lo, hi = (n, n) if isinstance(n, int) else n
    if re.fullmatch(ABOVE, q, re.I):
        return ((lo + 1) if isinstance(n, int) and lo is not None else lo, None)
    if re.fullmatch(ATLEAST, q, re.I):
        return (lo, None)
    if re.fullmatch(UPTO, q, re.I):
        return (None, hi)
    return (None, (hi - 1) if isinstance(n, int) and hi is not None else hi)


def _classify(
    text: str, amount: Amount, m: re.Match[str], masks: list[tuple[int, int, str]]
) -> Amount:
    core = m.start("a") if m.group("a") else amount.start
    before, after = text[max(0, core - 14) : core], text[amount.end : amount.end + 30]
    raw = text[core : amount.end]
    kind: Kind = "number"
    for start, end, masked in masks:
        if start < amount.end and core < end:
            kind = "time" if ":" in masked else "date"
    if kind != "number":
        pass
    elif _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after):
        kind = "money"
    elif _PERCENT_AFTER.match(after):
        kind = "percent"
    elif _DATE_BEFORE.search(before) or _DATE_AFTER.match(after):
        kind = "date"
    elif _LABEL_BEFORE.search(before):
        kind = "label"
    elif _AGE_BEFORE.search(text[max(0, core - 40) : core]) or _AGE_AFTER.match(after):
        kind = "age"
    elif _NAMED_COUNT.search(text[max(0, core - 30) : core]) and after.startswith(")"):
        kind = "label"  # "Arizona (1), Florida (3)": a breakdown by name
    elif _RATIO_AFTER.match(after) or _RATIO_BEFORE.search(text[max(0, core - 24) : core]):
        kind = "ratio"
    elif _QUESTION_BEFORE.search(before):
        kind = "question"
    elif _is_year(raw, 0, len(raw)):
        kind = "year"
    elif re.fullmatch(r"\d+\.\d+", raw):
        kind = "decimal"
    if kind == "number":
        return amount
    return Amount(amount.start, amount.end, amount.value, amount.exact, kind)


def value_to_json(value: Value | None) -> int | list[int | None] | None:
    """A value as JSON: an integer, or ``[low, high]`` with ``null`` for an open end."""
    if value is None or isinstance(value, int):
        return value
    return [value[0], value[1]]

"""Status cues: general English words that say a term was dropped, is missing, is contested or
is only asked for. Story words never live here; a fact adds its own through ``cues:``.

Cues are read in the sentence of a mention (outside the mention's own words, so "no U.S. troops"
is not an absence of itself). Removal and absence are also read in the next sentences of the
same paragraph when they refer back to it ("The line was cut from the final text."). An absence
in a text whose earlier drafts had the term is a removal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.facts.spec import Status, StatusCues
from monitor.facts.text import phrase_regex

# Nouns for the written outcome of a negotiation: an absence is stated against one of them.
_DOC = (
    r"(?:text|texts|declaration|communiqu[eé]|statement|document|agreement|deal|plan|framework|"
    r"treaty|draft|package|accord|version|wording|conclusions|final|agreed|signed)"
)
_NEG = r"(?:not|never|no|nobody|none|neither|nor|without|\w+n't)"

DEFAULT_CUES: dict[Status, tuple[str, ...]] = {
    "removed": (
        r"(?:removed|dropped|deleted|struck|cut|stripped|excised|erased|scrubbed|taken out|"
        r"scrapped|omitted|left out|edited out|cut out) (?:\w+ ){0,2}?from",
        r"(?:was|were|been|being|got) (?:\w+ )?(?:removed|dropped|deleted|cut|struck out|"
        r"scrapped|excised|stripped out|taken out|edited out|watered down)",
        r"(?:vanished|disappeared|went missing|fell out|was gone|were gone)",
        r"no longer (?:in|part of|included|contains?|includes?|mentions?|appears?)",
        r"(?:did not|didn't|failed to) (?:survive|make it into|make the final)",
    ),
    "absent": (
        rf"{_NEG} (?:\w+ ){{0,2}}?(?:in|part of|included in|mentioned in|written into|among)"
        rf" (?:[\w'’-]+ ){{0,4}}?{_DOC}",
        r"(?:appears?|appeared|features?) nowhere",
        r"nowhere in",
        r"(?:contains?|contained|includes?|included|mentions?|mentioned) (?:no|nothing on)",
        r"(?:does|do|did)(?: not|n't) (?:include|contain|mention|provide for|refer to)",
        r"(?:absence of|absent from|missing from|left out of|omitted from|omits|is silent on)",
        r"no mention of",
    ),
    "disputed": (
        r"(?:contested|disputed|in dispute|controversial|contentious|divisive|sticking point|"
        r"bone of contention|at odds|divided over|split over|disagree|disagrees|disagreed|"
        r"disagreement over|remains? unresolved)",
        r"(?:rejects|rejected|refuses to accept|refused to accept|will never accept|objects to|"
        r"objected to|opposes|opposed)",
    ),
    "proposed": (
        r"(?:propos\w*|draft|drafts|drafted|offers?|offered|offering|on offer|floated|mooted|"
        r"tabled|put forward|suggested|counter-?propos\w*)",
        r"(?:prepared|willing|ready) to (?:give|offer|provide|extend)",
        r"(?:seeks?|seeking|sought|asks? for|asked for|asking for|requests?|requested|"
        r"requesting|calls? for|called for|press(?:es|ed|ing)? for|push(?:es|ed|ing)? for|"
        r"lobb\w* for|urged?|urging|demand\w*|wants?|wanted|hopes?|hoped|hoping|counting on|"
        r"count on|insists? on|insisted on)",
        r"(?:needs?|needed|necessary|essential|indispensable|required|requires)",
        r"(?:under discussion|being (?:negotiated|discussed|worked out)|still (?:being )?"
        r"(?:negotiated|discussed|worked out)|to be (?:finali[sz]ed|agreed|worked out|spelled out)|"
        r"will be (?:finali[sz]ed|spelled out|worked out|settled)|has yet to|have yet to|"
        r"unanswered|discussed|would be put to|in return for|in exchange for)",
    ),
    "present": (
        r"(?:agreed|adopted|approved|signed|endorsed|established|set up|created|creates|"
        r"launched|decided|commits|committed|confirmed|began work|opened|opens|in force)",
    ),
}
# An active removal ("the text dropped X") is about what follows it in its clause.
DEFAULT_REMOVAL_VERBS = (r"(?:dropped|removed|deleted|scrapped|struck out|excised)",)
DEFAULT_EARLIER = (
    r"(?:earlier|previous|prior|initial|original|first|preliminary) (?:drafts?|versions?|texts?)",
    r"(?:drafts?|draft text) (?:\w+ ){0,3}?(?:contained|included|had|carried|promised)",
    r"(?:was|were|appeared|had been) in (?:the |an )?(?:earlier )?drafts?",
    r"between the draft and",
)
# Pronouns and document parts a following sentence uses to refer back to a mention.
_ANAPHOR = re.compile(
    r"\b(?:it|this|that|they|these|such)\b|\bthe (?:line|provision|clause|passage|sentence|"
    r"language|wording|commitment|pledge|promise|point|paragraph|reference|idea)\b",
    re.I,
)
_NEGATED = re.compile(rf"\b{_NEG}(?:\s+[\w'’-]+){{0,2}}\s*$", re.I)
_PARAGRAPH = re.compile(r"\n\s*\n")
# Where one clause of a sentence ends and another, about something else, begins.
_CLAUSE = re.compile(r";|,\s+(?:and\s+that|but|while|whereas|although|though|yet|as)\b", re.I)
_AFTER = 60  # characters after a mention in which a cue can still be about it

# Strongest first: one mention gets the first status whose cue it has.
ORDER: tuple[Status, ...] = ("removed", "disputed", "absent", "proposed", "present")


@dataclass(frozen=True)
class Cues:
    """Compiled cue patterns of one terms fact."""

    by_status: dict[Status, re.Pattern[str]]
    removal_verbs: re.Pattern[str]
    earlier: re.Pattern[str]


def _join(sources: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{s})" for s in sources), re.I)


def _words(sources: tuple[str, ...]) -> list[str]:
    return [rf"(?<![\w-]){s}(?![\w])" for s in sources]


@lru_cache(maxsize=64)
def compiled(extra: StatusCues) -> Cues:
    """The default cues plus a fact's own, compiled once per fact definition."""
    by_status: dict[Status, re.Pattern[str]] = {}
    for status in ORDER:
        sources = _words(DEFAULT_CUES[status])
        sources += [phrase_regex(p) for p in getattr(extra, status)]
        by_status[status] = _join(sources)
    return Cues(by_status, _join(_words(DEFAULT_REMOVAL_VERBS)), _join(_words(DEFAULT_EARLIER)))


def _overlaps(m: re.Match[str], mention: tuple[int, int]) -> bool:
    return m.start() < mention[1] and m.end() > mention[0]


def _scoped(
    pattern: re.Pattern[str],
    text: str,
    span: tuple[int, int],
    mention: tuple[int, int],
    *,
    after: int,
) -> bool:
    """Whether ``pattern`` has a non-negated match in the mention's clause: before the mention,
    or at most ``after`` characters after it (a relative clause: "the backstop London seeks")."""
    for m in pattern.finditer(text, *span):
        if _overlaps(m, mention) or m.start() - mention[1] > after:
            continue
        if _NEGATED.search(text, max(span[0], m.start() - 30), m.start()):
            continue
        lo, hi = (m.end(), mention[0]) if m.end() <= mention[0] else (mention[1], m.start())
        if _CLAUSE.search(text, lo, hi):
            continue
        return True
    return False


def read_sentence(
    text: str, start: int, end: int, mention: tuple[int, int], cues: Cues
) -> Status | None:
    """The strongest status cue about a mention in its sentence text[start:end], or None."""
    span = (start, end)
    earlier = cues.earlier.search(text, start, end) is not None
    if _scoped(cues.removal_verbs, text, (start, mention[0]), mention, after=0):
        return "removed"
    for status in ORDER:
        pattern = cues.by_status[status]
        if status in ("removed", "absent"):
            # Negation is part of these cues ("no longer", "not in the text"): no check.
            hit = any(not _overlaps(m, mention) for m in pattern.finditer(text, start, end))
        else:
            hit = _scoped(pattern, text, span, mention, after=_AFTER)
        if hit:
            return "removed" if status == "absent" and earlier else status
    return None


def read_following(text: str, spans: list[tuple[int, int]], cues: Cues) -> Status | None:
    """Removal or absence stated by the sentences after a mention that refer back to it."""
    earlier = False
    for start, end in spans:
        if not _ANAPHOR.search(text, start, end):
            continue
        earlier = earlier or cues.earlier.search(text, start, end) is not None
        if cues.by_status["removed"].search(text, start, end):
            return "removed"
        if cues.by_status["absent"].search(text, start, end):
            return "removed" if earlier else "absent"
    return None


def same_paragraph(text: str, end: int, start: int) -> bool:
    """Whether no blank line separates text[:end] from text[start:]."""
    return _PARAGRAPH.search(text, end, start) is None

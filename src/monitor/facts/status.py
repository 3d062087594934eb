"""Status cues: general English words that say a term was dropped, is missing, is contested or
is only asked for. Story words never live here; a fact adds its own through ``cues:``.

Cues are read in the sentence of a mention (outside the mention's own words, so "no job cuts" is
not an absence of itself). Removal, absence and dispute are also read in the next sentences of
the same paragraph when they refer back to it ("The line was cut from the final text."), and a
proposal too when the mention's own sentence states nothing. An absence in a text whose earlier
drafts had the term is a removal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.facts.prefix import guarded
from monitor.facts.spec import Status, StatusCues
from monitor.facts.text import phrase_regex

# Nouns for the written outcome of a negotiation: an absence is stated against one of them.
_DOC = (
    r"(?:text|texts|declaration|communiqu[eé]|statement|document|agreement|deal|plan|framework|"
    r"treaty|draft|package|accord|version|wording|conclusions|final|agreed|signed)"
)
_DOCUMENT = re.compile(rf"\b{_DOC}\b", re.I)
_NEG = r"(?:not|never|no|nobody|none|neither|nor|without|\w+n['’]t)"

# Words that call the thing itself contested (not a party that rejects something).
_CONTESTED = (
    r"(?:contested|disputed|in dispute|controversial|contentious|divisive|sticking point|"
    r"(?:has|have|had|expressed|voiced|raised) (?:\w+ )?(?:doubts|reservations|objections) "
    r"(?:about|over|on|to)|non-starter|"
    # called unfounded: "warning against X", "no evidence that X works", "by no means proven"
    r"warn(?:s|ed|ing)? against|(?:is |there is )?no evidence (?:that|for)|by no means|"
    r"(?:is|are|was|were) (?:simply |just |plain )?wrong|unacceptable|under no circumstances|"
    r"condemn(?:s|ed|ing)?|"
    r"not (?:an )?evidence-based|unproven|debunked|"
    r"at odds|divided over|split over|disagree|disagrees|disagreed|remains? unresolved|"
    r"disagreements? (?:\w+ )?(?:over|about|on|as to)|"
    r"(?:point|matter|subject|source|bone) of (?:\w+ )?(?:disagreement|contention|dispute|"
    r"argument|debate|friction)|"
    # a split of opinion: "some say yes; others deny it"
    r"some\b[^.?!]{0,60}?[;,]\s*(?:but\s+|while\s+)?others\s+(?:deny|denied|disagree\w*|"
    r"dispute\w*|reject\w*|say no|doubt\w*))"
)
# Proposal cues that say a thing is on the table, not that someone needs or wants something.
_OFFERED = (
    r"(?:propos\w*|draft|drafts|drafted|offers?|offered|offering|on offer|floated|mooted|"
    r"tabled|put forward|suggested|counter-?propos\w*)"
)
_PENDING = (
    r"(?:under discussion|being (?:negotiated|discussed|worked out)|still (?:being )?"
    r"(?:negotiated|discussed|worked out)|to be (?:finali[sz]ed|agreed|worked out|"
    r"spelled out)|(?:will|would) be (?:finali[sz]ed|spelled out|worked out|settled)|"
    r"has yet to|have yet to|unanswered|discussed|would be put to|in return for|"
    r"in exchange for|"
    # still to happen: "a wage board will be set up", "is to be established"
    r"(?:will|would|shall|is to|are to|to) be (?:set up|established|created|launched|introduced|"
    r"formed|put in place|rolled out)|"
    # awaiting a vote: "a tentative agreement", "members will vote on the offer"
    r"tentative(?:ly)? (?:agreement|deal|accord|contract|pact|agreed)|"
    r"(?:vote|voting|votes) on|put to a vote|(?:pending|subject to|awaiting) ratification)"
)

# Where a cue stands relative to the mention it is about: "before" ("the text contains no X",
# "they proposed X"), "after" ("X was removed", "X is not in the final text"), or "either"
# ("the X the union is seeking", "seeking X"). A cue after a mention must follow it closely.
Where = str
DEFAULT_CUES: dict[Status, dict[Where, tuple[str, ...]]] = {
    "removed": {
        "after": (
            r"(?:removed|dropped|deleted|struck|cut|stripped|excised|erased|scrubbed|taken out|"
            r"scrapped|omitted|left out|edited out|cut out|excluded) (?:\w+ ){0,2}?"
            r"(?:from|out of)",
            r"(?:was|were|been|being|got|is|are) (?:\w+ )?(?:removed|dropped|deleted|cut|"
            r"struck out|scrapped|excised|stripped out|taken out|edited out|watered down)",
            r"(?:vanished|disappeared|went missing|fell out|was gone|were gone|is gone)",
            r"no longer (?:in|part of|included|appears?)",
            r"(?:did not|didn['’]t|failed to) (?:survive|make it into|make the final)",
        ),
        "before": (
            r"(?:dropped|removed|deleted|scrapped|struck out|excised|cut out)",
            # given up: "withdrawing legislation that calls for X", "abandoned X"
            r"(?:withdr[ae]w\w*|abandon\w*|shelv\w*|ditch\w*|gave up|giv\w+ up|backed down on|"
            r"retract\w*|divested \w+ (?:\w+ ){0,8}?of)",
            r"no longer (?:contains?|includes?|mentions?|provides? for)",
        ),
    },
    "absent": {
        "after": (
            rf"{_NEG} (?:\w+ ){{0,2}}?(?:in|part of|included in|mentioned in|written into|among)"
            rf" (?:[\w'’-]+ ){{0,4}}?{_DOC}",
            r"(?:appears?|appeared|features?) nowhere",
            r"nowhere in",
            r"(?:absent from|missing from|left out of|omitted from)",
            r"(?:is|was|are|were|remains?) (?:not on|off) the table",
        ),
        "before": (
            r"(?:contains?|contained|includes?|included|mentions?|mentioned) (?:no|nothing on)",
            r"(?:does|do|did)(?: not|n['’]t) (?:include|contain|mention|provide for|refer to)",
            # an offer that leaves it out: "the offer would not restore X", "did not reinstate X",
            # "fell short of X"
            r"(?:does|do|did|would|will)(?: not|n['’]t) (?:include|contain|restore|reinstate|"
            r"bring back|offer|provide|grant|guarantee)",
            r"(?:fell|falls|fall|falling|stopped|stops) short of (?:\w+ ){0,6}?",
            r"failed to (?:meet|include|restore|deliver)",
            r"(?:absence of|omits|omitted|is silent on|was silent on|no mention of)",
            r"there (?:is|was|are|were) no (?:\w+ ){0,2}?(?:clause|provision|reference|mention|"
            r"language|line|paragraph|passage|wording|commitment|pledge)",
        ),
    },
    "disputed": {
        "either": (
            _CONTESTED,
            # (rejecting an offer that includes the term leaves the term offered: "members
            # rejected an offer of a 25% raise" is still a proposal of a raise)
            r"(?:rejects|rejected|refuses to accept|refused to accept|will never accept|"
            r"objects to|objected to|opposes|opposed)"
            r"(?! (?:an?|the|its|their|this|that|[a-z]+['’]s) (?:[\w'’-]+ ){0,2}?"
            r"(?:offers?|proposals?|deals?|contracts?|agreements?|bids?|packages?)\b)",
        ),
    },
    "proposed": {
        "either": (
            _OFFERED,
            r"(?:prepared|willing|ready) to (?:give|offer|provide|extend)",
            r"(?:seeks?|seeking|sought|asks? for|asked for|asking for|requests?|requested|"
            r"requesting|calls? for|called for|press(?:es|ed|ing)? for|push(?:es|ed|ing)? for|"
            r"lobb\w* for|urged?|urging|demand\w*|wants?|wanted|hopes?|hoped|hoping|counting on|"
            r"count on|insists? on|insisted on|insist(?:s|ed|ing)? that)",
            r"(?:needs?|needed|necessary|essential|indispensable|required|requires)",
            _PENDING,
        ),
    },
    "present": {
        "either": (
            r"(?:agreed|adopted|approved|signed|endorsed|established|set up|created|creates|"
            r"launched|decided|commits|committed|confirmed|began work|opened|opens|in force)",
            # a measure taken: "declared a state of emergency", "a lawsuit was filed"
            r"(?:declared|issued|imposed|enacted|implemented|introduced|filed|put in place|"
            r"in place|in effect|took effect|came into force|under way|underway|conducting)",
            r"(?:includes|included|contains|provides for|foresees|envisages|enshrines)",
        ),
    },
}
DEFAULT_EARLIER = (
    r"(?:earlier|previous|prior|initial|original|first|preliminary) (?:drafts?|versions?|texts?)",
    r"(?:drafts?|draft text) (?:\w+ ){0,3}?(?:contained|included|had|carried|promised)",
    r"(?:was|were|appeared|had been) in (?:the |an )?(?:earlier )?drafts?",
    r"between the draft and",
)
# Pronouns and document parts a following sentence uses to refer back to a mention.
_ANAPHOR = re.compile(
    r"\b(?:it|this|that|they|these|such)\b|\bthe (?:line|provision|clause|passage|sentence|"
    r"language|wording|commitment|pledge|promise|point|paragraph|reference|idea|details)\b",
    re.I,
)
# After a removal word: nothing it acts on, so it is said of the term ("it was not dropped from").
_NO_OBJECT = re.compile(r"\s*(?:[.,;:!?\"”’)]|from\b|out of\b|at all\b|$)", re.I)
_OPENS_ON = re.compile(
    r"[\"'“‘]?(?:whether\s+)?(?:it|this|that|they|these|such|the details)\b", re.I
)
_NEGATED = re.compile(rf"\b{_NEG}(?:\s+[\w'’-]+){{0,2}}\s*$", re.I)
_PARAGRAPH = re.compile(r"\n\s*\n")
# Where one clause of a sentence ends and another, about something else, begins.
_CLAUSE = re.compile(r";|,\s+(?:and\s+that|but|while|whereas|although|though|yet|as)\b", re.I)
# "and has offered ..." starts a second predicate of the sentence's subject, with its own object:
# its ask or agreement is not about the term ("X was in drafts and has since vanished" still is).
_COORDINATED = re.compile(
    r",?\s+and\s+(?:has|have|had|is|are|was|were|will)\s+(?!(?:\w+\s+)?been\b)", re.I
)
# A relative clause describes the noun before it: a cue before that noun is not about a mention
# inside the clause ("The plan omits the coalition, which would deploy after a ceasefire").
_RELATIVE = re.compile(r",\s+(?:which|who|whose)\b", re.I)
# The comma that closes a relative clause before the main verb ("..., remain the first line").
_CLOSES = re.compile(
    r",\s+(?:\w+\s+)?(?:remains?|stays?|is|are|was|were|has|have|had|will|would|can|could|must)\b",
    re.I,
)
_REFERS = re.compile(r"\s*(?:it|this|that|they|which)\b", re.I)
# A clause whose subject refers back ("..., and the idea is disputed"): its dispute is the term's.
_SUBJECT_REFERS = re.compile(
    r"\b(?:it|this|that|the (?:idea|proposal|question|issue|point|commitment|pledge|promise))"
    r"\s+(?:[\w'’]+\s+){0,2}$",
    re.I,
)
# "contained no such commitment": an absence stated of what the sentence before named.
_SUCH = re.compile(r"\s+(?:any\s+)?such\b", re.I)
_AFTER = 80  # characters after a mention in which a cue can still be about it
_AGREED = 40  # characters before a mention in which an agreement is still about it

# Strongest first: one mention gets the first status whose cue it has.
ORDER: tuple[Status, ...] = ("removed", "disputed", "absent", "proposed", "present")


@dataclass(frozen=True)
class Cues:
    """Compiled cue patterns of one terms fact: per status, those before and after a mention."""

    before: dict[Status, re.Pattern[str] | None]
    after: dict[Status, re.Pattern[str] | None]
    earlier: re.Pattern[str]
    pending: re.Pattern[str]  # on the table, not yet agreed (a later sentence's proposal)
    contested: re.Pattern[str]  # called contested (a later sentence's dispute)


def _join(sources: list[str]) -> re.Pattern[str] | None:
    return guarded(re.compile("|".join(f"(?:{s})" for s in sources), re.I)) if sources else None


def _words(sources: tuple[str, ...]) -> list[str]:
    return [rf"(?<![\w-]){s}(?![\w])" for s in sources]


@lru_cache(maxsize=64)
def compiled(extra: StatusCues) -> Cues:
    """The default cues plus a fact's own (either side), compiled once per fact definition."""
    before: dict[Status, re.Pattern[str] | None] = {}
    after: dict[Status, re.Pattern[str] | None] = {}
    for status in ORDER:
        cues = DEFAULT_CUES[status]
        either = _words(cues.get("either", ())) + [phrase_regex(p) for p in getattr(extra, status)]
        before[status] = _join(_words(cues.get("before", ())) + either)
        after[status] = _join(_words(cues.get("after", ())) + either)
    earlier = _join(_words(DEFAULT_EARLIER))
    pending = _join(_words((_OFFERED, _PENDING)))
    contested = _join(_words((_CONTESTED,)))
    assert earlier is not None and pending is not None and contested is not None
    return Cues(before, after, earlier, pending, contested)


def _about(
    pattern: re.Pattern[str] | None,
    text: str,
    span: tuple[int, int],
    mention: tuple[int, int],
    *,
    negatable: bool,
    refer: bool = False,
    reach: int | None = None,
) -> bool:
    """Whether ``pattern`` matches in the mention's clause: on its side of the mention, not
    negated (when ``negatable``), and close behind it when it follows. With ``refer``, a next
    clause that refers back ("..., but it was dropped") still counts. ``reach`` bounds how far
    before the mention a cue may stand."""
    if pattern is None:
        return False
    lo, hi = span
    for m in pattern.finditer(text, lo, hi):
        if m.start() < mention[1] and m.end() > mention[0]:
            continue
        if m.start() >= mention[1] and m.start() - mention[1] > _AFTER:
            break
        if reach is not None and m.end() <= mention[0] and mention[0] - m.end() > reach:
            continue
        if negatable and _NEGATED.search(text, max(lo, m.start() - 30), m.start()):
            continue
        gap = (m.end(), mention[0]) if m.end() <= mention[0] else (mention[1], m.start())
        if m.end() <= mention[0] and _relative(text, lo, m, mention[0]):
            continue
        if negatable and _COORDINATED.search(text, *gap):
            continue
        # "X, which declared a night ban, urged ...": the main clause's verb is X's, not the
        # term's inside the relative clause.
        if (
            m.start() >= mention[1]
            and "," in text[mention[1] : m.start()]
            and (rel := _RELATIVE.search(text, max(0, mention[0] - 80), mention[0])) is not None
            and not re.search(r"[.!?;]", text[rel.end() : mention[0]])
        ):
            continue
        boundary = _CLAUSE.search(text, *gap)
        if boundary is not None and not (refer and _REFERS.match(text, boundary.end())):
            continue
        return True
    return False


def _relative(text: str, lo: int, cue: re.Match[str], mention: int) -> bool:
    """Whether a relative clause stands between a cue and the mention after it: the mention
    is inside it ("..., which would deploy X"), or the cue is and the clause closes before the
    mention ("X's army, which under the draft ..., remains Y")."""
    rel = _RELATIVE.search(text, cue.end(), mention)
    if rel is not None and "," not in text[rel.end() : mention]:
        return True  # no comma closes the clause before the mention ("The draft, which ..., has")
    opened = _RELATIVE.search(text, max(lo, cue.start() - 60), cue.start())
    return opened is not None and _CLOSES.search(text, cue.end(), mention) is not None


def read_sentence(
    text: str, start: int, end: int, mention: tuple[int, int], cues: Cues
) -> Status | None:
    """The strongest status cue about a mention in its sentence text[start:end], or None."""
    before, after = (start, mention[0]), (mention[1], end)
    for status in ORDER:
        negatable = status in ("proposed", "present", "disputed")
        refer = not negatable
        # An agreement must be stated of the term itself, not of a clause around it ("agreed
        # to let the other side offer ..."): it stands close.
        reach = _AGREED if status == "present" else None
        if _about(
            cues.before[status],
            text,
            before,
            mention,
            negatable=negatable,
            refer=refer,
            reach=reach,
        ) or _about(cues.after[status], text, after, mention, negatable=negatable, refer=refer):
            if status == "absent" and cues.earlier.search(text, start, end):
                return "removed"
            return status
        # A phrase can carry its own status word ("offer a pay rise"); a negation in
        # it ("no job cuts") is the term itself, never an absence.
        if negatable and _any(cues.before[status], text, mention[0], mention[1]):
            return status
        if status == "absent" and cues.earlier.search(text, start, end):
            return "removed"  # "an earlier draft had included X": no longer there
    return None


def removes(text: str, start: int, end: int, cues: Cues) -> bool:
    """Whether text[start:end] says something was dropped from a text ("Several provisions were
    excluded from the final version")."""
    if _DOCUMENT.search(text, start, end) is None:
        return False
    return _any(cues.after["removed"], text, start, end) or _any(
        cues.before["removed"], text, start, end
    )


def read_following(
    text: str, spans: list[tuple[int, int]], cues: Cues, *, unstated: bool = False
) -> Status | None:
    """Removal, absence or dispute stated by the sentences after a mention that refer back to
    it ("It is, in short, contested."); for a mention whose own sentence states nothing
    (``unstated``), also a proposal ("The details are still being negotiated.")."""
    earlier = False
    for start, end in spans:
        if not _ANAPHOR.search(text, start, end):
            continue
        earlier = earlier or cues.earlier.search(text, start, end) is not None
        if _any(cues.after["removed"], text, start, end):
            return "removed"
        if _any(cues.after["absent"], text, start, end) or _of_such(
            cues.before["absent"], text, start, end
        ):
            return "removed" if earlier else "absent"
        # Asks and disputes are common words: only a sentence that opens on the mention, or a
        # clause whose subject refers back, speaks of it ("It is contested", "and the idea is
        # disputed", not "Officials said that Moscow opposes ...").
        opens = _OPENS_ON.match(text, start, end) is not None
        if _disputes(cues.contested, text, start, end, opens=opens):
            return "disputed"
        if not opens:
            continue
        if unstated and _stated(cues.pending, text, start, end):
            return "proposed"
    return None


def _of_such(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> bool:
    """Whether an absence cue in text[start:end] is stated of "such" a thing ("contained no
    such commitment")."""
    return pattern is not None and any(
        _SUCH.match(text, m.end()) for m in pattern.finditer(text, start, end)
    )


def _disputes(pattern: re.Pattern[str], text: str, start: int, end: int, *, opens: bool) -> bool:
    """Whether text[start:end] calls something contested, not negated: anywhere in a sentence
    that opens on the mention, else in a clause whose subject refers back to it or as a split
    of opinion ("Some say yes; others deny it")."""
    for m in pattern.finditer(text, start, end):
        if _NEGATED.search(text, max(start, m.start() - 30), m.start()):
            continue
        if opens or m.group().lower().startswith("some"):
            return True
        if _SUBJECT_REFERS.search(text, max(start, m.start() - 40), m.start()):
            return True
    return False


def read_answer(text: str, spans: list[tuple[int, int]], cues: Cues) -> Status | None:
    """The status an interview answer gives the term its question asks about ("Is there a
    backstop?" "There are discussions. We hope ..."): the strongest cue it states, not negated."""
    for status in ORDER:
        for pattern in (cues.before[status], cues.after[status]):
            if any(_stated(pattern, text, start, end) for start, end in spans):
                return status
    return None


def denies_removal(text: str, start: int, end: int, cues: Cues) -> bool:
    """Whether text[start:end] denies that something was removed ("I would not say removed",
    "it has not been dropped"); "Moscow has not dropped its demands" denies nothing."""
    pattern = cues.before["removed"]
    if pattern is None:
        return False
    return any(
        _NEGATED.search(text, max(start, m.start() - 30), m.start())
        and _NO_OBJECT.match(text, m.end(), end)
        for m in pattern.finditer(text, start, end)
    )


def _stated(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> bool:
    """Whether ``pattern`` matches in text[start:end] without a negation just before it."""
    if pattern is None:
        return False
    return any(
        not _NEGATED.search(text, max(start, m.start() - 30), m.start())
        for m in pattern.finditer(text, start, end)
    )


def _any(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> bool:
    return pattern is not None and pattern.search(text, start, end) is not None


def same_paragraph(text: str, end: int, start: int) -> bool:
    """Whether no blank line separates text[:end] from text[start:]."""
    return _PARAGRAPH.search(text, end, start) is None

"""What an amount counts: its unit noun, split or implied, and the amount it refers back to.

General English only: how a count names its unit ("26 countries", "the 26-nation coalition",
"the number of countries ... is 26", "French troops could number several thousand"), how a bare
figure points back ("the working figure is 25,000-30,000", "up from twenty-six"), partitives
("Of those, twenty-six ...", "27 of them") and complements ("20 *other* countries"). Which nouns
are units, subjects or cues comes from the fact definition (:class:`Phrases`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.facts.document import Document
from monitor.facts.spec import NumericFactSpec
from monitor.facts.text import noun_lemmas, phrase_regex, phrases_pattern


@dataclass(frozen=True)
class Phrases:
    """A numeric fact's phrases compiled once."""

    units: re.Pattern[str]
    subjects: re.Pattern[str] | None
    cues: re.Pattern[str] | None
    exclusions: re.Pattern[str] | None
    defer: re.Pattern[str] | None
    topic: re.Pattern[str] | None
    subject_binder: re.Pattern[str] | None
    cue_binder: re.Pattern[str] | None
    names: tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=64)
def compile_phrases(spec: NumericFactSpec) -> Phrases:
    """The patterns of ``spec`` (cached per fact definition)."""
    units = phrases_pattern(_with_synonyms(spec.units), inflect=True)
    assert units is not None  # the spec requires at least one unit
    names: list[tuple[str, re.Pattern[str]]] = []
    if spec.qualifier is not None:
        for name, words in spec.qualifier.names:
            pattern = phrases_pattern((name, *words))
            if pattern is not None:
                names.append((name, pattern))
    return Phrases(
        units=units,
        subjects=phrases_pattern(spec.subjects, inflect="noun"),
        cues=phrases_pattern(spec.cues, inflect="verb"),
        exclusions=phrases_pattern(spec.exclusions, inflect="noun"),
        defer=phrases_pattern(spec.defer_cues, inflect="verb"),
        topic=phrases_pattern(spec.topic),
        subject_binder=_binder(spec.subjects),
        cue_binder=_binder(spec.cues),
        names=tuple(names),
    )


def _with_synonyms(units: tuple[str, ...]) -> tuple[str, ...]:
    extra: list[str] = []
    for unit in units:
        if not unit.startswith("re:"):
            word = unit.lower()
            for lemma in {word, *noun_lemmas(word)}:
                extra.extend(SYNONYMS.get(lemma, ()))
    return tuple(dict.fromkeys((*units, *extra)))


def _binder(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern for a phrase that takes the figure after it: "a force of 25,000"."""
    if not phrases:
        return None
    heads = "|".join(phrase_regex(p) for p in phrases)
    return re.compile(
        rf"(?:{heads})[\"'”’]?s?\s+(?:now\s+)?(?:of|at|to|from|is|was|remains|numbers?|stands\s+at"
        # "the force could number 20,000", "a force for Ukraine may number 20,000"
        rf"|(?:(?:for|in)\s+[A-Z][\w'’-]*\s+)?(?:would|will|could|might|should|may)\s+(?:be|number|total)"
        rf"|stood\s+at"
        # "Britain's contribution has been put at 5,000"
        rf"|(?:(?:has|have|had)\s+been|is|was|are|were)\s+(?:put|set|estimated|pegged|fixed)\s+at)"
        rf"\s+$",
        re.IGNORECASE,
    )


@dataclass(frozen=True)
class Head:
    """What amount number ``index`` of a document counts, for one fact.

    ``unit``: it counts the fact's unit (written, implied by a binding, or inherited from
    ``antecedent``); ``bound`` / ``cued``: it is attached to a subject / cue phrase ("a force of
    25,000", "26-nation coalition" / "the 600,000 limit"); ``subset``: a part of a counted
    group ("27 of them"); ``complement``: an increment or the rest ("20 other countries",
    "one additional"). ``how`` names the rule that decided (for tests and debugging).
    """

    unit: bool
    bound: bool = False
    cued: bool = False
    subset: bool = False
    complement: bool = False
    antecedent: int | None = None
    inner: bool = False
    question: int | None = None
    span_start: int = -1
    span_end: int = -1
    how: str = ""


_TOKEN = re.compile(r"[\"'“”‘’«»]*([A-Za-z][A-Za-z'’.]*(?:-[A-Za-z]+)*)|([^\sA-Za-z\"'“”‘’«»])")
# Words that may stand between a number and its noun ("26 European countries", "75,000 trained
# personnel", "several thousand Russian and Belarusian soldiers").
_MODIFIER_SUFFIX = re.compile(r"(?:an|ian|ish|ese|ed|al|ive|ic|ary|ing|ly)$")
_MODIFIERS = frozenset(
    "more other further additional extra new remaining and or active foreign western allied "
    "partner member participating contributing regular combat ground".split()
)
_COMPLEMENT = frozenset("more other further additional extra new".split())
# After these, a number has no noun of its own: "Thirty-five were represented", "at 31, ...".
_FUNCTION = frozenset(
    "in on at to for from of by with and or but is are was were be been has have had will would "
    "could can may might should shall must do does did said says say told this that which who "
    "whom what when where while than as up down more less per each last next today now "
    "currently since during into over under about after before between against within without "
    "so yet not no nor also still only just even already soon later then there here it its their "
    "strong "
    "they them these those we our you he she his her a an the".split()
)
_OF_UNIT = re.compile(
    r"[\"'”’]*\s+of\s+(?:(?:its|their|our|his|her)\s+own\s+)?"
    r"(?!(?:the|them|those|these|which|whom|its|their)\b)",
    re.I,
)
_OF_MODIFIERS = re.compile(
    r"(?:(?:[A-Z][\w'’-]*|\w+(?:an|ish|ese|ed|al|ing)|[\w]+-[\w-]+)\s+){1,2}"
)
_OPEN_QUOTE = re.compile(r"[\"“‘']+$")
_PARTITIVE_AFTER = re.compile(r"^\s+of\s+(?:them|those|these|whom|which)\b", re.I)
# "26 of the 35 members", "26 of what were by then 35 members": a part of a group.
_OF_GROUP = re.compile(
    r"\s+of\s+(?:the|what\s+(?:[\w,]+\s+){0,3}?(?:were|are|was|is|had\s+become)"
    r"(?:\s+(?:then|now|already|still|by\s+then))?)\s+",
    re.I,
)
_PARTITIVE_OF_THE = re.compile(r"^\s+of\s+(?:the\b|what\s)", re.I)
_PARTITIVE_BEFORE = re.compile(r"\b(?:of|from)\s+(?:them|those|these|which|whom)\s*,?\s*$", re.I)
_FROM_GROUP = re.compile(r"^\W*(?:from|of|out\s+of)\s+(?:the\s+)?(?:[A-Za-z]+\s+)?$", re.I)
_FIGURE = re.compile(
    r"\b(?:figure|number|total|tally|estimate|headcount|count|requirement|size|range)\b"
    r"[^.;!?\d]{0,60}?"
    r"\b(?:is|was|at|remains|remained|has\s+been|had\s+been|stands\s+at|stood\s+at|of|to|be)"
    r"\s+$",
    re.I,
)
# "The European text raises it to 800,000": "it" is the figure just given.
_PRONOUN = re.compile(
    r"\b(?:puts?|putting|sets?|setting|raise[sd]?|raising|lift(?:s|ed)?|lower(?:s|ed)?|cuts?"
    r"|increase[sd]?|reduce[sd]?|keeps?|kept|fix(?:es|ed)?|caps?|capped|brings?|brought)\s+"
    r"(?:it|this|that)\s+(?:back\s+)?(?:at|to)\s+$",
    re.I,
)
_COMPARE = re.compile(
    r"(?:\b(?:up|down|rising|falling|rose|fell|raised|lowered|cut)\s+from|\bfrom|\bcompared"
    r"\s+with|\bcompared\s+to|\bagainst|\bversus|\bvs\.?)\s+$",
    re.I,
)
# "Of the 26, only a few ...": a figure given before, named again.
_DEFINITE = re.compile(r"\b(?:the|those|these)\s+$", re.I)
_SET_AT = re.compile(r"\b(?:at|to|of)\s+$", re.I)
_HOW_BIG = re.compile(r"\bhow\s+(?:big|large|many|much|strong|sizeable)\b", re.I)
_TO_AFTER_FROM = re.compile(r"^\s+to\s+$", re.I)
_CONTRAST = re.compile(r"\W*(?:by|in)\s+(?:comparison|contrast)\b", re.I)
_DASH_BEFORE = re.compile(r"\s*(?:—|–|--)\s*$")
_TIMES = re.compile(r"\s+times\b", re.I)
_IN_THE = re.compile(r"in\s+the\s", re.I)
_IN_THE_BEFORE = re.compile(r"\s+in\s+[\"“‘']*the\s+$", re.I)
_OUT_OF_N = re.compile(r"^\s+out\s+of\s+(?:a\s+|the\s+)?(?=\d)", re.I)
# A share won or held of a whole: "won 37 of the 150 seats", "holds 88 out of 150 seats".
_HOLDS = re.compile(
    r"\b(?:won|wins?|winning|holds?|held|holding|secured?|securing|took|takes?|taking|got|gets"
    r"|getting|obtain(?:s|ed)?|claim(?:s|ed)?|controls?|controlled|occup(?:y|ies|ied)|left\s+with"
    r"|has|have|had|hold\s+just|holds\s+just|at|with)\s+(?:just\s+|only\s+)?$",
    re.I,
)
_NUMBER_WORD = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty"
    r"|fifty|hundred|thousand|dozens?|several|few)\b",
    re.I,
)
_MARK_AFTER = re.compile(r"\s+(?:mark|threshold|milestone|barrier)\b", re.I)
# "another 5 countries", "an additional 300 troops": an increment, not a total.
_INCREMENT_BEFORE = re.compile(
    r"\b(?:another|an\s+additional|a\s+further|an\s+extra|additional|further|the\s+other"
    r"|(?:an?\s+)?(?:increase|rise|jump|drop|fall|decrease)\s+of|(?:up|down|rose|fell|grew|increased"
    r"|decreased|jumped|climbed|dropped)\s+by|(?:added|adds|adding)(?:\s+another)?)\s+$",
    re.I,
)
# "A ceiling of 90,000. That is how many officers ...": the next sentence names the noun.
_HOW_MANY_NEXT = re.compile(
    r"[\"'“‘]?(?:that|this|it)\s*(?:is|was|['’]s)\s+(?:how\s+many|the\s+(?:number|count)\s+of)\s+",
    re.I,
)
_LEVEL = re.compile(
    r"(?:passed|surpassed|exceeded|exceeds|topped|tops|crossed|above|over|past|beyond)\b", re.I
)
# The same counted thing in other words (general English): with units [countries], "30
# nations" and "31 member states" count too; a fact's exclusions still apply to them.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "country": (
        "nations",
        "states",
        "member states",
        "governments",
        "allies",
        "partners",
        "partner countries",
        "delegations",
    ),
    "nation": ("countries", "states", "governments", "allies", "partners", "delegations"),
    "people": ("individuals", "persons"),
    "person": ("individuals", "persons", "people"),
    "troop": (
        "soldiers",
        "personnel",
        "servicemen",
        "service members",
        "boots on the ground",
        "military personnel",
    ),
    "soldier": ("troops", "personnel", "servicemen", "service members", "boots on the ground"),
}
_BINDER_REACH = 60  # the longest subject or cue phrase plus "of", "at", "numbers" ...
_UNIT_NUMBER = (
    r"\s+(?:\w+\s+){0,2}?(?:numbers?|numbered|totals?|totalled|totaled)\s+$"
    # a level reached: "the death toll from the quake has reached / rose to 1,200"
    r"|\s+(?:toll\s+|count\s+|tally\s+)?(?:[\w'’]+\s+){0,5}?(?:(?:has|have|had)\s+)?"
    r"(?:reached|hit|rose\s+to|risen\s+to|climbed\s+to|jumped\s+to|grew\s+to|grown\s+to"
    r"|increased\s+to|stands\s+at|stood\s+at)\s+$"
)
_UNIT_LEVEL = (
    r"\s+(?:toll\s+|count\s+|tally\s+)?(?:[\w'’]+\s+){0,5}?(?:(?:has|have|had)\s+)?"
    r"(?:(?:rose|risen|climbed|jumped|grew|grown|went|gone|soared|moved|stood|stands|is|was)\s+)?$"
)


def resolve(doc: Document, ph: Phrases) -> list[Head | None]:
    """The :class:`Head` of every amount of ``doc`` for one fact (None: counts something else)."""
    heads: list[Head | None] = []
    for i in range(len(doc.amounts)):
        heads.append(_head(doc, ph, i, heads))
    return heads


def _head(doc: Document, ph: Phrases, i: int, heads: list[Head | None]) -> Head | None:
    text, amount = doc.text, doc.amounts[i]
    s = doc.sentence_of(amount.start)
    sent = doc.sentences[s]
    after = text[amount.end : min(sent.end, amount.end + 120)]
    # A quoted figure reads like a bare one: troops could number "several thousand".
    before = _OPEN_QUOTE.sub("", text[max(sent.start, amount.start - 120) : amount.start])
    prev = i - 1 if i > 0 and doc.sentence_of(doc.amounts[i - 1].start) == s else None
    prev_head = heads[prev] if prev is not None else None
    # "twenty-six of the 35-nation coalition's members": the 35 is inside the 26's phrase.
    inner = prev is not None and bool(
        _OF_GROUP.fullmatch(text, doc.amounts[prev].end, amount.start)
    )
    word, noun_at, complement = _noun_after(after, ph)
    if word == "bare" and _shares_unit_ahead(doc, ph, i):
        word = "unit"  # "24, 20 and 7 seats": each figure of the list counts the seats
    if amount.kind == "year" and word != "unit":
        return None
    span = (amount.start, amount.end + noun_at if word in ("unit", "bound") else amount.end)

    if _PARTITIVE_AFTER.match(after) or _PARTITIVE_BEFORE.search(before[-40:]):
        ante = _antecedent(doc, i, heads, want_unit=True)
        if ante is None:
            return None
        return Head(
            True,
            subset=True,
            antecedent=ante,
            span_start=span[0],
            span_end=span[1],
            how="partitive",
        )
    if _PARTITIVE_OF_THE.match(after) or _OUT_OF_N.match(after):
        rest = text[amount.end : doc.clause(amount.end)[1]]
        if ph.units.search(rest[:80]):
            # "won 37 of the 150 seats": what was won is the figure; the rest is the whole.
            share = bool(_HOLDS.search(before[-30:]))
            unit = ph.units.search(rest[:80])
            end = amount.end + unit.end() if share and unit is not None else span[1]
            return Head(True, subset=not share, span_start=span[0], span_end=end, how="of-the")
        return None
    if prev is not None and prev_head is not None and prev_head.unit:
        lead = text[sent.start : doc.amounts[prev].start]
        between = text[doc.amounts[prev].end : amount.start]
        if _FROM_GROUP.match(lead) and "," in between:
            return Head(
                True,
                subset=True,
                antecedent=prev,
                span_start=span[0],
                span_end=span[1],
                how="from-group",
            )
    if word == "other":
        return None
    bound_after = _bound_after(after, noun_at, ph) if word in ("unit", "bound") else (0, 0)
    tail = before[-_BINDER_REACH:]
    if _IN_THE.match(text, amount.start):
        tail += "of "  # "a force in the tens of thousands" reads as "a force of tens of thousands"
    elif (in_the := _IN_THE_BEFORE.search(tail)) is not None:
        tail = tail[: in_the.start()] + " of "  # 'a contribution in "the low thousands"'
    bound = bool(ph.subject_binder and ph.subject_binder.search(tail)) or bound_after[0]
    cued = bool(ph.cue_binder and ph.cue_binder.search(tail)) or bound_after[1]
    complement = complement or bool(_INCREMENT_BEFORE.search(before[-32:]))
    if word == "unit":
        return Head(
            True,
            bound=bool(bound),
            cued=bool(cued),
            complement=complement,
            inner=inner,
            span_start=span[0],
            span_end=span[1],
            how="unit",
        )
    if word == "bound":
        return Head(
            True,
            bound=bool(bound),
            cued=bool(cued),
            complement=complement,
            inner=inner,
            span_start=span[0],
            span_end=span[1],
            how="noun-bound",
        )
    # A bare figure: its noun is elsewhere.
    if complement and word == "bare":
        # "another 60,000 are under warnings", "up by 45": an increment; but in "the county sent
        # 700 and the state agency another 200" the 200 is the state agency's own figure.
        clause_start = doc.clause(amount.start)[0]
        if not any(p.search(text, clause_start, amount.start) for _, p in ph.names):
            return None
    if bound or cued:
        return Head(
            True,
            bound=bool(bound),
            cued=bool(cued),
            inner=inner,
            span_start=span[0],
            span_end=span[1],
            how="bound",
        )
    unit_before = _unit_before(doc, ph, i, before)
    if unit_before is not None:
        return Head(True, span_start=unit_before, span_end=amount.end, how="unit-before")
    # "By comparison, the first draft spoke of 600,000": set against the figure just given.
    contrast = prev is None and bool(_CONTRAST.match(text, sent.start))
    if (
        contrast
        or _COMPARE.search(before[-40:])
        or (prev is not None and _TO_AFTER_FROM.match(text[doc.amounts[prev].end : amount.start]))
    ):
        ante = prev if prev is not None else _antecedent(doc, i, heads, want_unit=False)
        if _counts(heads, ante):
            return Head(True, antecedent=ante, span_start=span[0], span_end=span[1], how="compare")
        return None
    if _FIGURE.search(before[-100:]) or _PRONOUN.search(before[-40:]):
        ante = _antecedent(doc, i, heads, want_unit=True)
        if ante is not None:
            return Head(True, antecedent=ante, span_start=span[0], span_end=span[1], how="figure")
        # "How big a force? ... the working figure was about 30,000": the question names it;
        # "the figure rose to 800,000 in peacetime": a cue of the fact's says what it is.
        q = doc.question_before(s)
        if q is not None and _HOW_BIG.search(doc.sentence_text(q)):
            return Head(True, question=q, span_start=span[0], span_end=span[1], how="figure")
        if ph.cues is not None and not _other_count_before(doc, heads, i):
            return Head(True, span_start=span[0], span_end=span[1], how="figure")
    if _DEFINITE.search(before[-12:]):
        same = _same_value_before(doc, heads, i)
        if same is not None:
            return Head(True, antecedent=same, span_start=span[0], span_end=span[1], how="restated")
    q = _question(doc, ph, i, s)
    if q is not None:
        return Head(True, question=q, span_start=span[0], span_end=span[1], how="question")
    if s + 1 < len(doc.sentences) and not after.strip(" .\"'”’"):
        nxt = doc.sentences[s + 1]
        how_many = _HOW_MANY_NEXT.match(text, nxt.start, nxt.end)
        if how_many is not None and ph.units.match(text, how_many.end()):
            return Head(True, question=s + 1, span_start=span[0], span_end=span[1], how="next")
    ante = _antecedent(doc, i, heads, want_unit=False)
    if ante is not None and _counts(heads, ante):
        if _comparable(doc.amounts[ante].value, amount.value):
            return Head(True, antecedent=ante, span_start=span[0], span_end=span[1], how="ellipsis")
    # "should be maintained at a peacetime level of 800,000": a level set for the thing, which
    # a cue of the fact in the figure's clause must then name (checked by the caller).
    if ph.cues is not None and _SET_AT.search(before[-20:]):
        return Head(True, span_start=span[0], span_end=span[1], how="level")
    return None


LIST_REACH = 8  # figures in one list ("24, 20 and 7 seats"); bounded so a table stays linear
LIST_GLUE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)$", re.I)


def _shares_unit_ahead(doc: Document, ph: Phrases, i: int) -> bool:
    """Whether amount ``i`` opens a list of figures ("24, 20 and 7 seats") whose last figure
    is followed by the unit."""
    text = doc.text
    j = i
    while j + 1 < min(len(doc.amounts), i + LIST_REACH) and LIST_GLUE.match(
        text[doc.amounts[j].end : doc.amounts[j + 1].start]
    ):
        j += 1
    if j == i or doc.amounts[j].kind != "number":
        return False
    end = doc.amounts[j].end
    word, _, _ = _noun_after(text[end : min(len(text), end + 120)], ph)
    return word == "unit"


def _other_count_before(doc: Document, heads: list[Head | None], i: int) -> bool:
    """Whether an earlier figure of the sentence counts something else ("Another 3 captives
    were freed, bringing the total to 23": the total is of captives, not of this fact)."""
    s = doc.sentence_of(doc.amounts[i].start)
    return any(
        heads[j] is None and doc.amounts[j].kind == "number"
        for j in range(max(0, i - LIST_REACH), i)
        if doc.sentence_of(doc.amounts[j].start) == s
    )


def _same_value_before(doc: Document, heads: list[Head | None], i: int) -> int | None:
    """The last earlier amount with the same value that counts the unit ("Of the 26, ...")."""
    value = doc.amounts[i].value
    for j in range(i - 1, -1, -1):
        head = heads[j]
        if doc.amounts[j].value == value and head is not None and head.unit:
            return j
    return None


def _counts(heads: list[Head | None], j: int | None) -> bool:
    """Whether amount ``j`` counts the fact's unit."""
    head = heads[j] if j is not None else None
    return head is not None and head.unit


def _noun_after(after: str, ph: Phrases) -> tuple[str, int, bool]:
    """('unit' | 'bound' | 'bare' | 'other', where in ``after`` the unit ends or the subject or
    cue noun starts, complement?)."""
    hyphen = re.match(r"-([A-Za-z]+)", after)
    if hyphen:
        if ph.units.fullmatch(hyphen.group(1)):
            return "unit", hyphen.end(), False
        if hyphen.group(1).lower() == "strong":  # "a 10,000-strong (British) force"
            rest = re.match(r"\s+", after[hyphen.end() :])
            at = hyphen.end() + (rest.end() if rest else 0)
            mods = _OF_MODIFIERS.match(after, at)
            for pos in (at, mods.end()) if mods else (at,):
                if any(_is_head(after, pos, ph)):
                    return "bound", pos, False
            if not after[at : at + 1].isalpha():  # "the force could be 25,000-strong."
                return "bare", 0, False
        return "other", 0, False
    of = _OF_UNIT.match(after)
    if of is not None:  # "dozens of countries", "thousands of (French) troops"
        mods = _OF_MODIFIERS.match(after, of.end())
        for pos in (of.end(), mods.end()) if mods else (of.end(),):
            unit = ph.units.match(after, pos)
            if unit is not None:
                return "unit", unit.end(), False
    if _MARK_AFTER.match(after):  # "above the 5,000 mark": the figure is bare
        return "bare", 0, False
    complement = False
    first: str | None = None
    for n, m in enumerate(_TOKEN.finditer(after)):
        if m.group(2) is not None:  # punctuation
            return ("bare", 0, False) if first is None or first == "verb" else ("other", 0, False)
        word = m.group(1).rstrip(".")
        unit = ph.units.match(after, m.start(1))
        if unit:
            return "unit", unit.end(), complement
        if n == 0:
            subject, cue = _is_head(after, m.start(1), ph)
            # "35 coalition members", "the 600,000 limit"; but in "200 troops" the subject
            # word is the figure's own noun (another fact's unit), not ours.
            unit_near = ph.units.search(after, m.end(1), m.end(1) + 40) if subject else None
            # ... but "124 cases across nine counties": that unit is another figure's.
            if unit_near is not None and _NUMBER_WORD.search(after, m.end(1), unit_near.start()):
                unit_near = None
            if cue or unit_near is not None:
                return "bound", m.start(1), False
        low = word.lower()
        if n == 0:
            first = "verb" if low in _FUNCTION or low.endswith("ed") else "noun"
        if low in _COMPLEMENT:
            complement = True
        is_modifier = (
            low in _MODIFIERS
            or word[:1].isupper()
            or bool(_MODIFIER_SUFFIX.search(low))
            or "-" in low  # "300 full-time nurses", "40 fire-damaged homes"
        ) and low not in _FUNCTION - {"and", "or"}
        if n >= 4 or not is_modifier:
            break
    return ("bare", 0, complement) if first in (None, "verb") else ("other", 0, False)


def _is_head(after: str, pos: int, ph: Phrases) -> tuple[bool, bool]:
    """Whether a subject / a cue phrase starts at ``after[pos]``."""
    return (
        bool(ph.subjects and ph.subjects.match(after, pos)),
        bool(ph.cues and ph.cues.match(after, pos)),
    )


def _bound_after(after: str, unit_end: int, ph: Phrases) -> tuple[bool, bool]:
    rest = re.match(r"['’]?s?\s*", after[unit_end:])
    return _is_head(after, unit_end + (rest.end() if rest else 0), ph)


def _unit_before(doc: Document, ph: Phrases, i: int, before: str) -> int | None:
    """Start of the unit noun when it comes first: "the number of countries ... is 26".

    Only within the figure's clause: "publish the number of troops; vague pledges - 'several
    thousand' - do not deter" gives no number of troops.
    """
    offset = doc.amounts[i].start - len(before)
    # "a list of countries — some thirty": the figure set after its noun by a dash.
    dash = _DASH_BEFORE.search(before)
    if dash is not None:
        for m in ph.units.finditer(before, max(0, dash.start() - 40), dash.start()):
            if m.end() == dash.start():
                return offset + m.start()
    start = max(doc.amounts[i - 1].end if i > 0 else 0, doc.clause(doc.amounts[i].start)[0])
    window = before[max(0, start - offset) :] if start > offset else before
    base = doc.amounts[i].start - len(window)
    for m in re.finditer(r"\bnumber\s+of\s+", window, re.I):
        unit = ph.units.match(window, m.end())
        if unit is None:
            nxt = re.match(r"\w+\s+", window[m.end() :])
            unit = ph.units.match(window, m.end() + nxt.end()) if nxt else None
        if unit is not None:
            return base + m.start()
    level = _LEVEL.match(doc.text, doc.amounts[i].start) is not None
    for m in ph.units.finditer(window):
        if re.match(_UNIT_NUMBER, window[m.end() :], re.I) or (
            level and re.match(_UNIT_LEVEL, window[m.end() :], re.I)
        ):
            return base + m.start()
    return None


def _antecedent(doc: Document, i: int, heads: list[Head | None], *, want_unit: bool) -> int | None:
    """The nearest earlier amount in this sentence or the two before it (with a unit, if asked)."""
    s = doc.sentence_of(doc.amounts[i].start)
    for j in range(i - 1, -1, -1):
        if doc.sentence_of(doc.amounts[j].start) < s - (2 if want_unit else 1):
            break
        head = heads[j]
        # "three times as many" multiplies a figure; it is none itself.
        if _TIMES.match(doc.text, doc.amounts[j].end):
            continue
        if not want_unit:
            return j
        if head is not None and head.unit and not head.subset:
            return j
        # "Another 3 captives were freed, bringing the total to 23": the total is of what
        # the nearest figure of its sentence counts, which is not this fact's unit.
        if (
            head is None
            and doc.amounts[j].kind == "number"
            and doc.sentence_of(doc.amounts[j].start) == s
        ):
            return None
    return None


def _question(doc: Document, ph: Phrases, i: int, s: int) -> int | None:
    """The "How many <unit> ...?" question that the first figure of sentence ``s`` answers.

    The figure may come a sentence or two into the answer ("How many troops? No figure has been
    agreed. Officials have talked about 25,000 to 30,000."), before any other figure.
    """
    if i > 0 and doc.sentence_of(doc.amounts[i - 1].start) == s:
        return None
    q = doc.question_before(s)
    if q is None or (i > 0 and doc.sentence_of(doc.amounts[i - 1].start) > q):
        return None
    question = doc.sentence_text(q)
    m = re.search(r"\bhow\s+many\s+", question, re.I)
    if m and ph.units.match(question, m.end()):
        return q
    return None


def _comparable(a: object, b: object) -> bool:
    def mid(v: object) -> float:
        if isinstance(v, int):
            return float(v)
        if isinstance(v, tuple):
            ends = [x for x in v if isinstance(x, int)]
            return float(sum(ends) / len(ends)) if ends else 0.0
        return 0.0

    x, y = mid(a), mid(b)
    return x > 0 and y > 0 and max(x, y) / min(x, y) <= 100

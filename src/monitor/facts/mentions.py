"""How an article states a figure: as current, as an earlier figure, denied, or as a correction.

And how sure it sounds: hedges ("could", "is expected to") and attributions ("according to a
diplomat") lower the confidence. Only general English lives here; story words are in feeds.yaml.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from monitor.facts.document import Document
from monitor.facts.model import Mention

# Said of the figure in its own sentence: it is wrong, disowned or dismissed.
_DENIAL = re.compile(
    r"\b(?:dismissed|denied|denies|deny|disowned|disowns|repudiated|did\s+not\s+come\s+from"
    r"|didn['’]t\s+come\s+from|not\s+true|untrue|false|speculation|speculative|inaccurate"
    r"|incorrect(?:ly)?|erroneous(?:ly)?|wrongly|mistaken(?:ly)?|no\s+basis|fake)\b"
    # "- a figure that was not confirmed", "a claim which could not be independently verified",
    # "though the figure has not been confirmed"
    r"|\b(?:figure|number|claim|report|estimate)s?\s+(?:(?:that|which)\s+)?(?:\w+\s+){0,2}?"
    r"(?:not|never)\s+(?:\w+\s+){0,2}?(?:confirmed|verified)\b"
    # 'later said this number "was never a commitment"': disowned by whoever gave it
    r"|\b(?:was|were|has\s+been|had\s+been)\s+never\s+(?:a|an|any)\s+(?:firm\s+)?"
    r"(?:commitment|promise|pledge|offer)\b"
    # "officials disputed a report that ...": the report's figure, not a proposal they oppose
    r"|\b(?:disput|contest|reject|question)(?:ed|s)?\s+(?:a|the|this|that|these|those|such)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:reports?|claims?|figures?|numbers?|accounts?|stor(?:y|ies))\b",
    re.I,
)
# The next sentence takes back the figures just given: "Neither number has been tabled".
_VALID = (
    r"(?:been\s+)?(?:tabled|agreed|confirmed|true|accurate|correct|verified|official|endorsed"
    r"|accepted|real|on\s+the\s+table|come\s+from)\b"
)
_FIGURES = r"(?:\w+\s+)?(?:numbers?|figures?|estimates?|claims?|reports?)\b"
_RETRACT = re.compile(
    rf"^\W*(?:(?:neither|none\s+of\s+(?:these|those|the|them))\s+{_FIGURES}.*?\b{_VALID}"
    rf"|(?:these|those|both)\s+{_FIGURES}.*\b(?:not|never|no\s+longer)\s+(?:\w+\s+){{0,2}}"
    rf"{_VALID})",
    re.I,
)
_NEGATED = re.compile(
    # "will not send 20,000 troops"; but "has not changed from 26" confirms the figure.
    r"\b(?:not|never|no\s+longer|n['’]t|nor)\s+(?!(?:\w+\s+)?(?:changed|moved|budged|shifted"
    r"|gone|risen|fallen|grown|increased|decreased|dropped|declined)\b)(?:\w+\s+){0,2}$",
    re.I,
)
# The figure is what someone does not want: "not interested in a contingent of several thousand".
_UNWANTED = re.compile(
    r"\b(?:not\s+interested\s+in|no\s+interest\s+in|(?:does|do|did)\s+not\s+want"
    r"|(?:doesn|don|didn)['’]t\s+want|no\s+appetite\s+for"
    r"|(?<!not\s)(?<!n['’]t\s)(?<!never\s)rul(?:es?|ed|ing)\s+out)\b",
    re.I,
)
_CORRECTION_NOTE = re.compile(
    r"\bcorrection\b|\bregret\s+the\s+error\b|\b(?:incorrectly|erroneously|wrongly|mistakenly)"
    r"\s+(?:said|reported|stated|gave|put)",
    re.I,
)
_REPORTED = re.compile(r"\b(?:said|reported|stated|gave|put|wrote|cited|claimed)\b", re.I)
_CORRECTED = re.compile(
    r"\b(?:now\s+(?:say|says|put|puts|give|gives|estimate|estimates)|corrected\s+(?:to|figure)"
    r"|(?:later|since|subsequently)\s+(?:said|put|gave|stated|confirmed|clarified)"
    r"|revised\s+(?:up|down)?\s*(?:to|figure)|correct\s+figure|in\s+fact|actually|puts\s+the"
    r"\s+figure\s+at)\b",
    re.I,
)
_EARLIER = re.compile(
    # ("earlier this week", "a day earlier" are today's news, not an earlier figure)
    r"\b(?:initially|originally|at\s+first|at\s+the\s+outset|previously|formerly"
    r"|(?<!day\s)(?<!days\s)(?<!hours\s)(?<!week\s)(?:earlier|early)"
    r"(?!\s+(?:this|today|on|in\s+the\s+day|that\s+day|next|January|February|March|April|May"
    r"|June|July|August|September|October|November|December|morning|afternoon|evening|hours"
    r"|days|weeks|months|stages?)\b)"
    r"|began|begun|started|last\s+year|a\s+year\s+ago|used\s+to|had\s+been|up\s+from"
    r"|down\s+from|first\s+(?:sketched|proposed|planned|discussed|mooted|floated))\b",
    re.I,
)
_FROM_TO = re.compile(r"\bfrom\s+(?:\S+\s+){0,2}$", re.I)
_HYPOTHETICAL = re.compile(
    r"\b(?:even\s+a|imagine|suppose|supposing|hypothetical(?:ly)?|for\s+the\s+sake\s+of)\b"
    # a figure worked out from one: "That would give a force of 26,000"
    r"|^\W*(?:that|this|which)\s+would\s+(?:give|mean|make|produce|leave|amount\s+to|add\s+up)\b",
    re.I,
)
_COUNTERFACTUAL = re.compile(
    r"[^.;]{0,80}?\b(?:if|unless)\s+(?:\w+\s+){0,5}?(?:were|had\s+been|was\s+to|were\s+to)\b",
    re.I,
)
_MARGIN = re.compile(r"\b(?:margin|lead|gap|difference)\s+(?:of\s+error\s+)?of\s+$", re.I)
_DIFFERENCE = re.compile(
    r"\s*(?:more|fewer|less)\s+than\b|\s*(?:ahead\s+of|behind|short\s+of)\b", re.I
)
_UNIT_WORDS = re.compile(
    r"(?:\s+(?!(?:and|or|but|left|with)\b)[A-Za-z][\w'’-]*){0,2}?"
    r"(?=\s+(?:more|fewer|less|ahead|behind|short)\b)",
    re.I,
)


def _unit_end(text: str, end: int, limit: int) -> int:
    """Where the words after a figure end before a comparison ("10 seats| ahead of")."""
    m = _UNIT_WORDS.match(text, end, limit)
    return m.end() if m is not None else end


# An analysts' reckoning, not a plan: "Some analysts argue a deterrent would need 100,000".
_ANALYSTS_CONDITIONAL = re.compile(
    r"\b(?:analysts?|experts?|think[-\s]tanks?|researchers?|commentators?|scholars?|academics?)"
    r"\b[^.;:]*\bwould\b",
    re.I,
)
# A later answer calls the figure false: "Can you confirm this? - No. That figure is false."
_CALLED_FALSE = re.compile(
    r"\b(?:that|this|the|these|those)\s+(?:\w+\s+)?(?:figures?|numbers?|reports?|claims?"
    r"|stor(?:y|ies))\s+(?:is|are|was|were)\s+(?:simply\s+|completely\s+|totally\s+)?"
    r"(?:false|wrong|untrue|not\s+true|inaccurate|incorrect|fake|nonsense|made\s+up)\b",
    re.I,
)
# "the 100,000 figure as a thought experiment": a figure named again and dismissed.
_DISMISSED = re.compile(
    r"\b(?:that|this|the)\s+[\w,.]+\s+(?:figures?|numbers?|estimates?)\s+(?:is\s+|was\s+)?as\s+"
    r"(?:a\s+|an\s+|mere\s+|pure\s+)*(?:thought\s+experiment|hypothetical|speculation|fantasy"
    r"|guesswork|illustration)\b"
    r"|\b(?:that|this|the)\s+[\w,.]+\s+(?:figures?|numbers?|estimates?)\s+(?:is|was)\s+"
    r"(?:a\s+|an\s+|mere\s+|pure\s+|only\s+)*(?:thought\s+experiment|hypothetical|speculation"
    r"|fantasy|guesswork|illustration)\b",
    re.I,
)
_CLAIM_THAT = re.compile(r"\bclaim(?:s|ed|ing)?\s+that\b", re.I)
_ANSWER_REACH = 3  # sentences: a question, the answerer's name and "No." may come between
_COMPARED = re.compile(
    r"\b(?:up|down)\s+from\s+(?:\S+\s+){0,2}$|\bcompared\s+(?:with|to)\s+\S*\s*$", re.I
)
_NOW_AFTER = re.compile(r"\s*(?:today|now|currently|at\s+present)\b", re.I)
_HEDGE = re.compile(
    r"\b(?:could|would|might|may|possibly|possible|potential(?:ly)?|likely|reportedly"
    r"|(?:is|are|was|were)\s+expected\s+to|expects?\s+to|if\s+confirmed|plans?\s+to|considering"
    r"|unconfirmed|estimated|tentative(?:ly)?|proposed|draft|never\s+confirmed|declined\s+to"
    r"\s+confirm)\b",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"\b(?:according\s+to|said|says|told|reported|sources?|officials?|diplomats?|a\s+person"
    r"|people\s+familiar)\b",
    re.I,
)
_ANONYMOUS = re.compile(
    r"\b(?:anonymity|anonymous(?:ly)?|unnamed|a\s+(?:\w+\s+)?(?:diplomat|official|source)"
    r"|one\s+(?:\w+\s+)?(?:diplomat|official|source)|sources)\b",
    re.I,
)


_REACH = 300


@dataclass(frozen=True)
class Reading:
    """How a figure is stated: ``mention``, a ``confidence`` factor, ``drop`` (hypothetical)."""

    mention: Mention
    confidence: float
    drop: bool = False


def read_mention(doc: Document, start: int, end: int, region: tuple[int, int]) -> Reading:
    """The mention status and confidence of the figure at ``text[start:end]``.

    ``region`` is the figure's own clause (where "up from", "initially" or "could" must stand).
    """
    text = doc.text
    s = doc.sentence_of(start)
    span = doc.sentences[s]
    # The figure's neighbourhood in its sentence (bounded, for run-on "sentences" in tables).
    sentence = text[max(span.start, start - _REACH) : min(span.end, end + _REACH)]
    lead = text[max(region[0], start - _REACH) : start]
    opening = text[max(span.start, start - _REACH) : start]
    if _HYPOTHETICAL.search(opening) or _ANALYSTS_CONDITIONAL.search(opening):
        return Reading("current", 0.0, drop=True)
    # "he could win 50 seats if new elections were held": a counterfactual, not a figure.
    if _COUNTERFACTUAL.match(text, end, min(span.end, end + _REACH)):
        return Reading("current", 0.0, drop=True)
    # "a margin of error of two seats", "10 seats ahead of the rival", "18 more than it has":
    # a difference between two figures, not one of them.
    if _MARGIN.search(lead[-40:]) or _DIFFERENCE.match(text, _unit_end(text, end, span.end)):
        return Reading("current", 0.0, drop=True)
    if _COMPARED.search(lead) and _NOW_AFTER.match(text[end : end + 20]):
        # "a ceiling of 800,000, down from 880,000 today": today's size, not an earlier cap.
        return Reading("current", 0.0, drop=True)
    confidence = 1.0
    if _HEDGE.search(sentence):
        confidence *= 0.8
    if _ATTRIBUTION.search(sentence):
        confidence *= 0.9
    if _ANONYMOUS.search(sentence):
        confidence *= 0.85
    line = _line(doc, start)
    if _CORRECTION_NOTE.search(line):
        if _REPORTED.search(lead) and not _CORRECTED.search(lead):
            return Reading("denied", confidence)
        return Reading("corrected", confidence)
    if _DENIAL.search(sentence) or _NEGATED.search(lead[-40:]) or _UNWANTED.search(lead):
        return Reading("denied", confidence)
    if _quoted_claim(text[max(span.start, start - _REACH) : start]):
        return Reading("denied", confidence)
    if _RETRACT.search(doc.sentence_text(s + 1)[:_REACH]) or _called_false(doc, s, start, end):
        return Reading("denied", confidence)
    if _CORRECTED.search(lead):
        return Reading("corrected", confidence)
    if _EARLIER.search(lead) or (_FROM_TO.search(lead) and re.match(r"\s+to\s", text[end:])):
        return Reading("historical", confidence)
    return Reading("current", confidence)


def _quoted_claim(lead: str) -> bool:
    """Inside a quoted claim: posts "claim that 'NATO will send 100,000 soldiers'"."""
    claim = _CLAIM_THAT.search(lead)
    if claim is None:
        return False
    rest = lead[claim.end() :]
    return rest.count('"') % 2 == 1 or rest.rfind("“") > rest.rfind("”")


def _called_false(doc: Document, s: int, start: int, end: int) -> bool:
    """Whether one of the next few sentences calls the figure false, before any other figure,
    or names its value in doing so ("I would treat the 100,000 figure as a thought experiment").
    """
    last = min(len(doc.sentences) - 1, s + _ANSWER_REACH)
    if last <= s:
        return False
    stop = doc.sentences[last].end
    lo = bisect_left(doc.amounts, end, key=lambda x: x.start)
    hi = bisect_left(doc.amounts, stop, key=lambda x: x.start)
    later = list(doc.amounts[lo:hi])
    nxt = later[0].start if later else stop
    at = bisect_left(doc.amounts, start + 1, key=lambda x: x.start) - 1
    value = (
        doc.amounts[at].value
        if at >= 0 and doc.amounts[at].start <= start < doc.amounts[at].end
        else None
    )
    for k in range(s + 1, last + 1):
        span = doc.sentences[k]
        for m in _DISMISSED.finditer(doc.text, span.start, span.end):
            if any(_same(a.value, value) and m.start() <= a.start < m.end() for a in later):
                return True
        if span.start >= nxt:
            return False
        if _CALLED_FALSE.search(doc.text, span.start, min(span.end, span.start + _REACH)):
            return True
    return False


def _same(named: object, value: object) -> bool:
    """Whether ``named`` names ``value`` again ("the 100,000 figure" for "100,000 or more")."""
    ends = value if isinstance(value, tuple) else (value,)
    return named is not None and (named == value or named in ends)


def _line(doc: Document, pos: int) -> str:
    """The paragraph (line) around ``pos``, at most ``2 * _REACH`` characters each side."""
    text = doc.text
    start = max(text.rfind("\n", max(0, pos - 2 * _REACH), pos) + 1, pos - 2 * _REACH, 0)
    end = text.find("\n", pos, pos + 2 * _REACH)
    return text[start : end if end >= 0 else min(len(text), pos + 2 * _REACH)]

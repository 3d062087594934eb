"""Terms facts: each mention of a named term with its status.

A mention is a term phrase in an article that names one of the fact's ``subjects``. Its status
comes from cues in its sentence, or in the sentences after it that refer back to it
(facts/status.py). An article then supports one status per term, as a careful reader would say
it: a removal or an absence is the outcome of the earlier proposal it mentions (unless the article
goes on to contest or deny that removal), a dispute outweighs the asks around it, and an
agreement outweighs talk of a proposal. Every mention of the term carries that status; its
confidence drops when its own words read differently, and with hedges ("could", "is expected
to") and attributions ("according to"). Questions that only ask and opinion polls state nothing;
an interview question is stated by its answer, the next paragraph.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from monitor.facts.model import Finding
from monitor.facts.prefix import guarded
from monitor.facts.spec import Status, TermsFactSpec, TermSpec
from monitor.facts.status import (
    Cues,
    compiled,
    denies_removal,
    read_answer,
    read_following,
    read_sentence,
    removes,
    same_paragraph,
)
from monitor.facts.text import Span, loose_pattern, phrases_pattern, sentences

# Article-level precedence of what cues state (an agreement outweighs talk of a proposal); a
# mention without cues only fills in, an unstated ask before an unstated presence.
_STATED: dict[Status, int] = {"removed": 6, "disputed": 5, "absent": 4, "present": 3, "proposed": 2}
_UNSTATED: dict[Status, int] = {"proposed": 1}
_FOLLOWING = 3  # sentences after a mention that may still be about it
# A mention is read within this many characters either side, however long its "sentence" (news
# sentences stay under 400): a page of one endless run-on sentence is then read in linear time,
# not in time that grows with the square of its length (issue 10).
_REACH = 400
_HEDGE = re.compile(
    r"\b(?:could|might|may|possibly|perhaps|probably|likely|unlikely|is expected to|"
    r"are expected to|appears? to|seems? to|if confirmed)\b",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"\b(?:according to|reportedly|sources?|on condition of anonymity|anonymous|quoted|"
    r"claimed|seen by|(?:a|one|two|several) (?:\w+ )?(?:diplomats?|officials?))\b",
    re.I,
)


# A question asserts nothing about a term unless it takes it for granted ("Where will the cell
# sit?"); "Will there be...?" and "And the offer made last week?" only ask.
_WH = re.compile(
    r"(?:[A-Z]{1,3}:\s*)?[\"'“‘]?(?:where|when|how|what|who|whom|whose|which|why)\b", re.I
)


# An opinion poll reports what the public thinks, not the terms ("a poll found majorities
# supported sending troops after a ceasefire").
_POLL = re.compile(r"\b(?:polls?|polled|surveys?|surveyed|respondents)\b", re.I)


# Links to other stories under a heading ("Read more:", "Related: ...", "In other news:") are
# headlines of those stories, not what this article says.
_ASIDE = re.compile(
    r"^[ \t]*(?:read (?:more|also)|also read|related(?: \w+)?|see also|more on this(?: story)?|"
    r"most read|recommended|in other (?:\w+ )?news)[ \t]*:[^\n]*(?:\n[ \t]*[-•*–][^\n]*)*",
    re.I | re.M,
)


# Term phrases say who acts first ("the United States would lead monitoring"); a text may name
# the actor elsewhere. A sentence opening on a pronoun subject ("It has agreed to lead ...") is
# also read with the named subject of the sentence before ("The United States has ruled out
# ...") in the pronoun's place, and a relative clause with a named subject ("a monitoring
# mechanism that the United States would lead") in the order of a main clause.
_PRONOUN = re.compile(r"(?:It|They)\s+(?=[a-z])")
_NAMED = re.compile(
    r"(?:(?:No|Yes)[.,]\s+)?((?:The\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}\s+)(?=[a-z])"
)
_RELATIVE = guarded(
    re.compile(
        r"\b(?:that|which)\s+((?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}\s+"
        r"(?:(?:would|will|is to|has agreed to|have agreed to|agreed to|offered to|plans to)\s+)?"
        r"[a-z]+)\b"
    )
)
_CLAUSE_PRONOUN = re.compile(r"(?:,|;)\s+(?:but|and|while|yet|so)?\s*(it|they)\s+(?=[a-z])")
_HEAD = re.compile(r"(?<![\w-])(?:[\w-]+\s+){1,4}$")


@dataclass(frozen=True)
class _StandIn:
    """A reading of text[start:end] in another word order; a match in ``view`` counts when it
    takes in both sides of ``junction`` and runs to ``end`` (or to ``rest`` plus its length
    after the junction, when ``rest`` is given)."""

    view: str
    junction: int
    start: int
    end: int
    rest: int | None


def _stand_ins(text: str, spans: list[Span]) -> list[_StandIn]:
    out = []
    for i in range(1, len(spans)):
        pronoun = _PRONOUN.match(text, spans[i].start, spans[i].end)
        if pronoun is None or not same_paragraph(text, spans[i - 1].end, spans[i].start):
            continue
        named = _NAMED.match(text, spans[i - 1].start, spans[i - 1].end)
        if named is not None:
            subject = named.group(1)
            view = subject + text[pronoun.end() : spans[i].end]
            out.append(_StandIn(view, len(subject), pronoun.start(), spans[i].end, pronoun.end()))
    # "The United States will not send troops, but it has agreed to lead ...": a clause opening
    # on "it"/"they" is read with the named subject its sentence opened on.
    for span in spans:
        named = _NAMED.match(text, span.start, span.end)
        if named is None:
            continue
        for opening in _CLAUSE_PRONOUN.finditer(text, named.end(), span.end):
            actor = named.group(1)
            view = actor + text[opening.end() : span.end]
            out.append(_StandIn(view, len(actor), opening.start(1), span.end, opening.end()))
    for m in _RELATIVE.finditer(text):
        head = _HEAD.search(text, max(0, m.start() - 60), m.start())
        if head is not None:
            clause = m.group(1) + " "
            out.append(_StandIn(clause + head.group(), len(clause), head.start(), m.end(), None))
    return out


@dataclass(frozen=True)
class _Mention:
    term: TermSpec
    start: int
    end: int
    sentence: Span
    status: Status
    explicit: bool


def find_terms(text: str, spec: TermsFactSpec) -> list[Finding]:
    """Every mention of a term of ``spec`` in ``text``, each with the status the article gives
    that term; empty when the article names none of the fact's subjects."""
    subjects = phrases_pattern(spec.subjects)
    if not text or (subjects is not None and subjects.search(text) is None):
        return []
    spans = sentences(text)
    if not spans:
        return []
    located = _locate(text, spec, spans)
    cues = compiled(spec.cues)
    named = {i for _, _, _, i in located}
    read = (_read(text, term, start, end, i, spans, named, cues) for term, start, end, i in located)
    mentions = [m for m in read if m is not None]
    resolved: dict[str, tuple[Status, bool]] = {}
    statuses = {t.id: t.statuses for t in spec.terms}
    for m in mentions:
        best = resolved.get(m.term.id)
        if best is None or _rank(m.status, m.explicit) > _rank(*best):
            resolved[m.term.id] = (m.status, m.explicit)
    if any(s == "absent" for s, _ in resolved.values()) and _removal_elsewhere(
        text, spans, named, cues
    ):
        # "Provisions were excluded from the final version ... the text contains no X": X's
        # absence is that removal.
        resolved = {t: ("removed" if s == "absent" else s, e) for t, (s, e) in resolved.items()}
    for term in _contested_removals(text, spans, mentions, resolved, cues):
        resolved[term] = ("disputed", True)
    if _PENDING_VOTE.search(text):
        # "members will vote on the tentative agreement": what it includes is still proposed
        resolved = {
            t: ("proposed", e) if s == "present" and "proposed" in statuses[t] else (s, e)
            for t, (s, e) in resolved.items()
        }
    return [_finding(text, spec.id, m, resolved[m.term.id][0]) for m in mentions]


def _removal_elsewhere(text: str, spans: list[Span], named: set[int], cues: Cues) -> bool:
    """Whether a sentence naming no term, and not read as the follow-up of a mention, says
    that something was removed from a text."""
    near = {j for i in named for j in range(i + 1, i + 1 + _FOLLOWING)}
    return any(
        removes(text, span.start, span.end, cues)
        for i, span in enumerate(spans)
        if i not in named and i not in near
    )


def _contested_removals(
    text: str,
    spans: list[Span],
    mentions: list[_Mention],
    resolved: dict[str, tuple[Status, bool]],
    cues: Cues,
) -> list[str]:
    """Terms whose removal the article goes on to contest: a dispute stated after the removal
    ("It is, in short, contested") or a denial of it ("I would not say removed")."""
    specs = {m.term.id: m.term for m in mentions}
    removed = [
        t for t, (s, _) in resolved.items() if s == "removed" and "disputed" in specs[t].statuses
    ]
    if not removed:
        return []
    denied = any(denies_removal(text, span.start, span.end, cues) for span in spans)
    starts = [s.start for s in spans]
    out = []
    for term in removed:
        own = [m for m in mentions if m.term.id == term and m.explicit]
        first = min((m.start for m in own if m.status == "removed"), default=len(text))
        if denied or any(
            m.status == "disputed"
            and m.start > first
            and _called_contested(text, spans, starts, m, cues)
            for m in own
        ):
            out.append(term)
    return out


def _called_contested(
    text: str, spans: list[Span], starts: list[int], m: _Mention, cues: Cues
) -> bool:
    """Whether the mention's sentence, or one of the next, calls the term contested (a party
    rejecting it after its removal does not reopen it)."""
    i = bisect_right(starts, m.start) - 1
    last = spans[min(i + _FOLLOWING, len(spans) - 1)].end
    return cues.contested.search(text, m.sentence.start, last) is not None


def _asks(text: str, sentence: Span) -> bool:
    """Whether the sentence is a question that does not take its subject for granted."""
    if text[sentence.end - 1] != "?":
        return False
    return _WH.match(text, sentence.start, sentence.end) is None


def _rank(status: Status, explicit: bool) -> int:
    return _STATED[status] if explicit else _UNSTATED.get(status, 0)


def _locate(
    text: str, spec: TermsFactSpec, spans: list[Span]
) -> list[tuple[TermSpec, int, int, int]]:
    """Term phrases as (term, start, end, sentence index); overlaps keep the longest."""
    starts = [s.start for s in spans]
    asides = [(m.start(), m.end()) for m in _ASIDE.finditer(text)]
    aside_starts = [lo for lo, _ in asides]
    stand_ins = _stand_ins(text, spans)
    found: list[tuple[TermSpec, int, int, int]] = []
    for term in spec.terms:
        pattern = loose_pattern(term.phrases)
        context = phrases_pattern(term.context)
        if pattern is None:
            continue
        last_end = -1
        for start, end in _matches(pattern, text, stand_ins):
            if end <= start or start < last_end:
                continue
            i = max(0, bisect_right(starts, start) - 1)
            near = _near(spans[i], start, end)
            if _POLL.search(text, near.start, near.end):
                continue
            k = bisect_right(aside_starts, start) - 1
            if k >= 0 and start < asides[k][1]:
                continue
            if context is not None:
                lo, hi = spans[max(i - 1, 0)].start, spans[min(i + 1, len(spans) - 1)].end
                lo, hi = max(lo, start - 2 * _REACH), min(hi, end + 2 * _REACH)
                if context.search(text, lo, hi) is None:
                    continue
            found.append((term, start, end, i))
            last_end = end
    return sorted(found, key=lambda f: (f[1], f[2]))


def _matches(
    pattern: re.Pattern[str], text: str, stand_ins: list[_StandIn]
) -> list[tuple[int, int]]:
    """Where ``pattern`` matches in ``text``, and in the stand-in readings of its pronoun
    sentences and relative clauses (a match there must take in the stand-in words)."""
    found = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not stand_ins:
        return found
    for s in stand_ins:
        m = pattern.search(s.view)
        if m is not None and m.start() < s.junction < m.end():
            end = s.end if s.rest is None else s.rest + m.end() - s.junction
            found.append((s.start, end))
    return sorted(found)


def _read(
    text: str,
    term: TermSpec,
    start: int,
    end: int,
    i: int,
    spans: list[Span],
    named: set[int],
    cues: Cues,
) -> _Mention | None:
    sentence = spans[i]
    if _asks(text, sentence):
        answer = _answer(text, i, spans)
        said = read_answer(text, answer, cues) if answer else None
        if said is None or said not in term.statuses:
            return None
        return _Mention(term, start, end, _near(sentence, start, end), said, True)
    if end > sentence.end:
        # A phrase that runs over a sentence break keeps the whole of both as its sentence.
        j = i
        while j + 1 < len(spans) and spans[j].end < end:
            j += 1
        sentence = Span(sentence.start, max(spans[j].end, end))
    sentence = _near(sentence, start, end)
    status = read_sentence(text, sentence.start, sentence.end, (start, end), cues)
    if status not in ("removed", "absent"):
        following = _following(text, i, spans, named)
        later = (
            read_following(text, following, cues, unstated=status is None) if following else None
        )
        if later is not None:
            status = later
    if status == "proposed" and _adopted_list(text, i, spans):
        status = "present"  # "The declaration was adopted. Key points: - a cell will be set up"
    explicit = status is not None
    if status is None or status not in term.statuses:
        status, explicit = term.default_status, False
    return _Mention(term, start, end, sentence, status, explicit)


# An agreement that still needs a vote of those it binds is a proposal.
_PENDING_VOTE = re.compile(
    r"\btentative(?:ly)?\s+(?:agreement|deal|accord|contract|pact|agreed)\b"
    r"|\b(?:will|to|would)\s+vote\s+on\s+(?:the|a|an|whether)\b|\bput\s+to\s+a\s+vote\b"
    r"|\bratification\s+vote\b|\bif\s+(?:it\s+is\s+)?ratified\b",
    re.I,
)
_ITEM = re.compile(r"[-•*–—]\s")
_ADOPTED = re.compile(r"\b(?:agreed|adopted|signed|approved|endorsed|ratified)\b", re.I)
_TENTATIVE = re.compile(r"\b(?:tentative|draft|proposed|would|if)\b", re.I)
_INTRO_REACH = 6


def _adopted_list(text: str, i: int, spans: list[Span]) -> bool:
    """Whether sentence ``i`` is an item of a list that the lines before it say was adopted:
    the items of an adopted text are its terms, however each is worded ("will be set up")."""
    if not _ITEM.match(text, spans[i].start):
        return False
    k = i
    while k > 0 and _ITEM.match(text, spans[k].start):
        k -= 1
    for j in range(k, max(-1, k - _INTRO_REACH), -1):
        said = text[spans[j].start : spans[j].end]
        if _ADOPTED.search(said):
            return not _TENTATIVE.search(said)
    return False


def _near(sentence: Span, start: int, end: int) -> Span:
    """The part of a mention's sentence within ``_REACH`` characters of it."""
    return Span(max(sentence.start, start - _REACH), min(sentence.end, end + _REACH))


def _answer(text: str, i: int, spans: list[Span]) -> list[tuple[int, int]]:
    """The first sentences of the paragraph after a question that ends its own paragraph (an
    interview's answer); empty when the question runs on in its paragraph."""
    j = i + 1
    if j >= len(spans) or same_paragraph(text, spans[i].end, spans[j].start):
        return []
    out = [(spans[j].start, spans[j].end)]
    for k in range(j + 1, min(j + _FOLLOWING, len(spans))):
        if not same_paragraph(text, spans[k - 1].end, spans[k].start):
            break
        out.append((spans[k].start, spans[k].end))
    return out


def _following(text: str, i: int, spans: list[Span], named: set[int]) -> list[tuple[int, int]]:
    """Up to three next sentences of the same paragraph, until one names a term itself."""
    out: list[tuple[int, int]] = []
    for j in range(i + 1, min(i + 1 + _FOLLOWING, len(spans))):
        if j in named or not same_paragraph(text, spans[j - 1].end, spans[j].start):
            break
        out.append((spans[j].start, spans[j].end))
    return out


def _finding(text: str, fact: str, m: _Mention, status: Status) -> Finding:
    confidence = 1.0
    s, e = m.sentence.start, m.sentence.end
    if _HEDGE.search(text, s, e):
        confidence -= 0.2
    if _ATTRIBUTION.search(text, s, e):
        confidence -= 0.1
    if status != m.status:
        confidence -= 0.2
    return Finding(
        fact=fact,
        text=text[m.start : m.end],
        sentence=text[s:e],
        start=m.start,
        end=m.end,
        term=m.term.id,
        status=status,
        mention="current",
        confidence=round(max(confidence, 0.3), 2),
    )


def explain_terms(text: str, spec: TermsFactSpec) -> list[tuple[str, int, int, str]]:
    """Every match of a term phrase as (term id, start, end, why it states nothing or "")."""
    spans = sentences(text)
    if not spans:
        return []
    starts = [s.start for s in spans]
    asides = [(m.start(), m.end()) for m in _ASIDE.finditer(text)]
    located = {(t.id, s, e) for t, s, e, _ in _locate(text, spec, spans)}
    out = []
    for term in spec.terms:
        pattern = loose_pattern(term.phrases)
        context = phrases_pattern(term.context)
        for m in pattern.finditer(text) if pattern is not None else ():
            i = max(0, bisect_right(starts, m.start()) - 1)
            reason = ""
            if (term.id, m.start(), m.end()) not in located:
                if _POLL.search(text, spans[i].start, spans[i].end):
                    reason = "in an opinion poll"
                elif any(lo <= m.start() < hi for lo, hi in asides):
                    reason = "in a list of links to other stories"
                elif context is not None:
                    reason = (
                        f"no context word ({', '.join(term.context)}) in or beside its sentence"
                    )
                else:
                    reason = "inside a longer mention"
            elif _asks(text, spans[i]):
                reason = "a question that only asks (no answer states it)"
            out.append((term.id, m.start(), m.end(), reason))
    return sorted(out, key=lambda t: (t[1], t[2]))

"""Counts and quantities: amounts attributed to a tracked fact, with their evidence.

An amount becomes a :class:`Finding` only when it counts the fact's unit (see
:mod:`monitor.facts.attribution`), its subject is named nearby, its cue (if the fact has cues) is
stated of it, no exclusion stands next to it and its value is in the fact's range. How it is
stated (current, earlier, denied, corrected; hedged) comes from :mod:`monitor.facts.mentions`.
"""

from __future__ import annotations

import re

from monitor.facts.attribution import Head, Phrases, compile_phrases, resolve
from monitor.facts.document import Document, read_document
from monitor.facts.mentions import read_mention
from monitor.facts.model import Finding
from monitor.facts.numbers import Value
from monitor.facts.spec import NumericFactSpec

_HEADLINE_CONFIDENCE = 0.8
_EXCLUSION_BEFORE, _EXCLUSION_AFTER = 60, 40
_WHOLE = re.compile(r"\b(?:whole|entire|total|overall|combined|in\s+all|altogether)\b", re.I)
# A country named as the source of a figure is not the one contributing it.
_SOURCE_AFTER = re.compile(
    r"^(?:\s*(?:,|and)\s*[A-Z][\w.]*)*['’]?s?\s+(?:\w+\s+)?(?:officials?|ministers?|ministry"
    r"|government|sources?|diplomats?|president|presidency|prime\s+minister|media|press"
    r"|newspapers?|army|armed\s+forces|military|intelligence|spokes\w+|leaders?|officers?)\b",
    re.I,
)
_SOURCE_BEFORE = re.compile(r"\b(?:according\s+to|by|from|in|with)\s+(?:the\s+)?$", re.I)


def find_numeric(text: str, spec: NumericFactSpec) -> list[Finding]:
    """Every statement of ``spec`` in ``text``, in text order."""
    ph = compile_phrases(spec)
    if ph.topic is not None and not ph.topic.search(text):
        return []
    doc = read_document(text)
    heads = resolve(doc, ph)
    found: list[Finding] = []
    for i, head in enumerate(heads):
        if head is None:
            continue
        finding = _judge(doc, spec, ph, heads, i, head)
        if finding is not None:
            found.append(finding)
    return found


def _judge(
    doc: Document,
    spec: NumericFactSpec,
    ph: Phrases,
    heads: list[Head | None],
    i: int,
    head: Head,
) -> Finding | None:
    amount = doc.amounts[i]
    if head.complement or (head.subset and not spec.cues) or not _in_range(amount.value, spec):
        return None
    text = doc.text
    region = _region(doc, heads, i)
    regions = [region]
    windows = [_window(doc, i, head)]
    j = head.antecedent
    while j is not None and heads[j] is not None and len(regions) < 4:
        regions.append(_region(doc, heads, j))
        windows.append(_window(doc, j, heads[j]))  # type: ignore[arg-type]
        j = heads[j].antecedent  # type: ignore[union-attr]
    if ph.exclusions is not None and any(ph.exclusions.search(text, a, b) for a, b in windows):
        return None
    said = [text[a:b] for a, b in regions]
    if ph.defer is not None and not head.bound and any(ph.defer.search(t) for t in said):
        return None
    if ph.cues is not None and not head.cued:
        question = doc.sentence_text(head.question) if head.question is not None else ""
        if not any(ph.cues.search(t) for t in [*said, question]):
            return None
    confidence = 1.0
    if not head.bound and not _subject_near(doc, spec, ph, i, head):
        headline = doc.headline
        if ph.subjects is None or headline is None:
            return None
        if not ph.subjects.search(text, headline.start, headline.end):
            return None
        confidence = _HEADLINE_CONFIDENCE
    start, end = min(head.span_start, amount.start), max(head.span_end, amount.end)
    reading = read_mention(doc, amount.start, amount.end, region)
    if reading.drop:
        return None
    sentence = doc.sentences[doc.sentence_of(amount.start)]
    return Finding(
        fact=spec.id,
        text=text[start:end],
        sentence=text[sentence.start : sentence.end],
        start=start,
        end=end,
        value=amount.value,
        qualifier=_qualifier(doc, ph, heads, i) if spec.qualifier is not None else None,
        mention=reading.mention,
        confidence=round(max(0.05, confidence * reading.confidence), 2),
    )


def _in_range(value: Value, spec: NumericFactSpec) -> bool:
    if isinstance(value, int):
        return spec.min_value <= value <= spec.max_value
    lo, hi = value
    low = lo if lo is not None else hi
    high = hi if hi is not None else lo
    return low is not None and high is not None and spec.min_value <= low and high <= spec.max_value


def _region(doc: Document, heads: list[Head | None], i: int) -> tuple[int, int]:
    """The amount's own clause, cut at its neighbours: where its cues must be stated."""
    amount = doc.amounts[i]
    start, end = doc.clause(amount.start)
    if i > 0 and doc.amounts[i - 1].end > start:
        start = doc.amounts[i - 1].end
    head = heads[i]
    nxt = i + 1
    # "twenty-six of the 35-nation coalition's members signed up": the verb is the 26's.
    if nxt < len(doc.amounts) and heads[nxt] is not None and heads[nxt].inner:  # type: ignore[union-attr]
        nxt += 1
    if head is not None and head.inner:
        end = min(end, head.span_end)
    if nxt < len(doc.amounts) and doc.amounts[nxt].start < end:
        end = doc.amounts[nxt].start
    return start, max(start, end)


def _window(doc: Document, i: int, head: Head) -> tuple[int, int]:
    """Where an exclusion disqualifies the amount: right next to it, within its sentence."""
    amount = doc.amounts[i]
    sent = doc.sentences[doc.sentence_of(amount.start)]
    start = max(sent.start, amount.start - _EXCLUSION_BEFORE)
    if i > 0 and doc.amounts[i - 1].end > start:
        start = doc.amounts[i - 1].end
    end = min(sent.end, max(amount.end, head.span_end) + _EXCLUSION_AFTER)
    if i + 1 < len(doc.amounts) and doc.amounts[i + 1].start < end:
        end = doc.amounts[i + 1].start
    return min(start, head.span_start if head.span_start >= 0 else start), max(start, end)


def _subject_near(doc: Document, spec: NumericFactSpec, ph: Phrases, i: int, head: Head) -> bool:
    if ph.subjects is None:
        return True
    s = doc.sentence_of(doc.amounts[i].start)
    first = max(0, s - spec.subject_window)
    places = [(doc.sentences[k].start, doc.sentences[k].end) for k in range(first, s + 1)]
    for q in (head.question, doc.question_before(s)):
        if q is not None:
            places.append((doc.sentences[q].start, doc.sentences[q].end))
    return any(ph.subjects.search(doc.text, a, b) for a, b in places)


def _qualifier(doc: Document, ph: Phrases, heads: list[Head | None], i: int) -> str | None:
    """The country (or other key) a figure belongs to; None for a total."""
    text, amount = doc.text, doc.amounts[i]
    sent = doc.sentences[doc.sentence_of(amount.start)]
    start = sent.start
    for j in range(i - 1, -1, -1):
        if doc.amounts[j].end <= sent.start:
            break
        if heads[j] is not None:
            start = doc.amounts[j].end
            break
    head = heads[i]
    end = max(amount.end, head.span_end if head is not None else amount.end)
    lead = text[start : amount.start]
    if _WHOLE.search(lead[-60:]):
        return None
    best: tuple[int, str] | None = None
    for name, pattern in ph.names:
        for m in pattern.finditer(text, start, end):
            if _SOURCE_AFTER.match(text[m.end() : m.end() + 60]):
                continue
            if _SOURCE_BEFORE.search(text[max(sent.start, m.start() - 20) : m.start()]):
                continue
            if best is None or m.start() > best[0]:
                best = (m.start(), name)
    return best[1] if best else None

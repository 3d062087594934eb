"""Counts and quantities: amounts attributed to a tracked fact, with their evidence.

An amount becomes a :class:`Finding` only when it counts the fact's unit (see
:mod:`monitor.facts.attribution`), its subject is named nearby, its cue (if the fact has cues) is
stated of it, no exclusion stands next to it and its value is in the fact's range. How it is
stated (current, earlier, denied, corrected; hedged) comes from :mod:`monitor.facts.mentions`,
which country it belongs to from :mod:`monitor.facts.qualifier`.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from monitor.facts.attribution import Head, Phrases, compile_phrases, resolve
from monitor.facts.document import Document, read_document
from monitor.facts.mentions import read_mention
from monitor.facts.model import Finding
from monitor.facts.numbers import Amount, Value
from monitor.facts.qualifier import name_in, qualifiers
from monitor.facts.spec import NumericFactSpec

_HEADLINE_CONFIDENCE = 0.8
_EXCLUSION_BEFORE, _EXCLUSION_AFTER = 60, 40
_DEFER_BEFORE = 40
_NEXT_OPENING = 30
_HEADING = 60
_WITHIN = re.compile(r"\s+(?:within|out\s+of)\s+(?:the|a|its|their)\s+(?:[A-Za-z]+\s+)?", re.I)
_DATED_AFTER = 24
_WHEN = re.compile(r",?\s+when\b", re.I)
_SINCE = re.compile(r"\b(?:since|from)\s+$", re.I)
_BELONGS = re.compile(
    r"['’]?s?\s*(?:\(|,?\s+(?:in|into|to|of|within|from|outside|belonging\s+to|that\s+(?:make|made)"
    r"\s+up|who|which|that|are|were|is|was|have|had|has)\b)",
    re.I,
)
_PRONOUN_SUBJECT = re.compile(r"\b(?:it|they)\s+(?:\w+\s+){1,2}$", re.I)
_NEGATED_CUE = re.compile(r"\b(?:not|never|no|without|n['’]t)\s+(?:\w+\s+){0,2}$", re.I)
_NO_OBJECT = re.compile(
    r"\s*(?:$|[,;.]|(?:in|on|at|last|this|earlier|so\s+far|already|formally)\b)", re.I
)
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NONE = re.compile(r"\b(?:no|not\s+a\s+single|not\s+one|none\s+of\s+the)\s+", re.I)
_WORD = re.compile(r"[\w.]+\s+")
_COUNTED = re.compile(r"\s+(?:numbers?|figures?|counts?|totals?|levels?)\b", re.I)
_JOINED = re.compile(r"[,;]|\b(?:and|plus|as\s+well\s+as|while|but|including)\b", re.I)
_FROM_X = re.compile(r"\bfrom\s+(?:\S+\s+){0,2}$", re.I)
_TO_Y = re.compile(r"\s+to\s", re.I)
_REDUCTION = re.compile(
    r"reduc\w*|cut\w*|shrink\w*|downsiz\w*|demobili[sz]\w*|trim\w*|slash\w*", re.I
)
_PRESENT_CLAUSE = re.compile(
    r"\b(?:which|that|who)\s+(?:\w+\s+)?(?:now|currently|today|at\s+present|presently)\b", re.I
)
_OUT_OF = re.compile(r"\bout\s+of\s+(?:a\s+|the\s+)?$", re.I)
_COMPARED = re.compile(
    r"\b(?:compar(?:es|ed|ing)\s+(?:with|to)|against|versus|vs\.?)\s+(?:\w+\s+){0,2}$", re.I
)
_PRESENT = re.compile(
    r"\b(?:current(?:ly)?|today['’]?s?|now|at\s+present|presently|existing)\b", re.I
)


def find_numeric(text: str, spec: NumericFactSpec) -> list[Finding]:
    """Every statement of ``spec`` in ``text``, in text order."""
    verdicts = judge_amounts(text, spec)
    if verdicts is None:
        return []
    found = [f for _, v in verdicts if not isinstance(v, str) for f in v]
    found.extend(_denials(read_document(text), spec, compile_phrases(spec)))
    return restatements_dropped(sorted(found, key=lambda f: (f.start, f.end)))


def judge_amounts(
    text: str, spec: NumericFactSpec
) -> list[tuple[Amount, list[Finding] | str]] | None:
    """Every amount of ``text`` with its findings for ``spec``, or why it has none (``monitor
    extract --explain``); None when the article names none of the fact's ``topic``."""
    ph = compile_phrases(spec)
    if ph.topic is not None and not ph.topic.search(text):
        return None
    doc = read_document(text)
    heads = resolve(doc, ph)
    out: list[tuple[Amount, list[Finding] | str]] = []
    for i, head in enumerate(heads):
        if head is None and doc.amounts[i].kind == "year":
            out.append((doc.amounts[i], "a year never counts"))
        elif head is None:
            out.append(
                (
                    doc.amounts[i],
                    "counts no unit of the fact (no unit noun, subject or cue binds it)",
                )
            )
        else:
            out.append((doc.amounts[i], _judge(doc, spec, ph, heads, i, head)))
    return out


def restatements_dropped(found: list[Finding]) -> list[Finding]:
    """Without a figure that is an end of a range given earlier for the same key ("a force of
    15,000-20,000 ... a force of 15,000 is symbolic" says the range again, not a new value)."""
    ranges: list[tuple[str | None, int, int]] = []
    out: list[Finding] = []
    for f in found:
        v = f.value
        if isinstance(v, int) and any(q == f.qualifier and v in (lo, hi) for q, lo, hi in ranges):
            continue
        if isinstance(v, tuple) and v[0] is not None and v[1] is not None and f.mention != "denied":
            ranges.append((f.qualifier, v[0], v[1]))
        out.append(f)
    return out


def _denials(doc: Document, spec: NumericFactSpec, ph: Phrases) -> list[Finding]:
    """ "No country has yet committed troops": the fact stated as zero, kept as a denial."""
    out: list[Finding] = []
    for m in _NONE.finditer(doc.text):
        unit = ph.units.match(doc.text, m.end())
        if unit is None:
            word = _WORD.match(doc.text, m.end())
            unit = ph.units.match(doc.text, word.end()) if word else None
        if unit is None or _COUNTED.match(doc.text, unit.end()):
            continue
        s = doc.sentence_of(m.start())
        clause = doc.clause(m.start())
        said = doc.text[clause[0] : clause[1]]
        if ph.cues is not None and not ph.cues.search(said):
            continue
        if ph.defer is not None and ph.defer.search(said):
            continue
        if ph.exclusions is not None and ph.exclusions.search(said):
            continue
        sentence = doc.sentences[s]
        places = range(max(0, s - spec.subject_window), s + 1)
        if spec.subject_in_clause and ph.subjects is not None:
            if not ph.subjects.search(said):
                continue
        elif ph.subjects is not None and not any(
            ph.subjects.search(doc.text, doc.sentences[k].start, doc.sentences[k].end)
            for k in places
        ):
            continue
        out.append(
            Finding(
                fact=spec.id,
                text=doc.text[m.start() : unit.end()],
                sentence=doc.text[sentence.start : sentence.end],
                start=m.start(),
                end=unit.end(),
                value=0,
                qualifier=name_in(doc, ph, m.start(), unit.end()) if ph.names else None,
                mention="denied",
                confidence=1.0,
            )
        )
    return out


def _judge(
    doc: Document,
    spec: NumericFactSpec,
    ph: Phrases,
    heads: list[Head | None],
    i: int,
    head: Head,
) -> list[Finding] | str:
    """The findings of amount ``i``, or why it is none (a reason for ``--explain``)."""
    amount = doc.amounts[i]
    if head.complement:
        return "an increment or the rest of a group ('two more', '20 other countries')"
    if head.subset and not spec.cues:
        return "a part of a group ('27 of them', 'one of the eight')"
    if not _in_range(amount.value, spec):
        return f"outside min_value..max_value ({spec.min_value}..{spec.max_value})"
    if spec.since is not None and _dated_before(doc, i, spec.since):
        return f"its clause dates it before `since` ({spec.since})"
    # "a protection unit of 150 personnel within the 300 ceiling": a part of the next figure.
    part = _WITHIN.match(doc.text, max(amount.end, head.span_end))
    if part is not None and any(a.start == part.end() for a in doc.amounts[i + 1 : i + 2]):
        return "a part of the figure after it ('150 within the 300 ceiling')"
    text = doc.text
    region = _region(doc, heads, i)
    regions = [region]
    windows = [_window(doc, i, head)]
    chain = [i]  # the amount and the ones it refers back to
    j = head.antecedent
    while j is not None and len(regions) < 4:
        earlier = heads[j]
        if earlier is None:
            break
        regions.append(_region(doc, heads, j))
        windows.append(_window(doc, j, earlier))
        chain.append(j)
        j = earlier.antecedent
    if ph.exclusions is not None:
        for a, b in windows:
            if (hit := _exclusion(text, ph, a, b)) is not None:
                return f"exclusion {hit!r} next to it"
        if _excluded_actor(doc, ph, ph.exclusions, amount.start):
            return "its 'it'/'they' is an excluded actor named before"
    # An elliptic figure ("... while Kyiv countered with 250,000") borrows its antecedent's noun
    # and exclusions, not its cues: a cue must be said of the figure itself.
    said = [text[a:b] for a, b in (regions[:1] if head.how == "ellipsis" else regions)]
    if ph.defer is not None and not head.bound:
        spans = zip(regions[: len(said)], chain, strict=False)
        if any(_deferred(text, ph.defer, r, _said_at(doc, heads, k)) for r, k in spans):
            return "a defer cue is said of it (it belongs to another fact)"
        # "How many countries signed up? Twenty-six.": the question says what the figure counts.
        if head.question is not None and ph.defer.search(doc.sentence_text(head.question)):
            return "the question it answers has a defer cue"
    if ph.cues is not None and not head.cued:
        question = doc.sentence_text(head.question) if head.question is not None else ""
        shared = [text[a:b] for a, b in _shared_verb(doc, heads, i)]
        if not any(_cued(ph.cues, t) for t in [*said, question, *shared]):
            return "no cue said of it in its clause"
    confidence = 1.0
    if spec.subject_in_clause and ph.subjects is not None and not head.bound:
        question = doc.sentence_text(head.question) if head.question is not None else ""
        if not any(ph.subjects.search(t) for t in [*said, question]):
            # "26 countries pledged in September": what was pledged was said nearby.
            if not _bare_cue(text, ph, region) or not _subject_near(doc, spec, ph, i, head):
                return "no subject in its clause (subject_in_clause)"
    elif not head.bound and not any(
        # "... called for 64,000 troops. The working range had shrunk to 15,000-20,000": the
        # figure it refers back to was placed.
        _subject_near(doc, spec, ph, k, h)
        for k in chain
        if (h := heads[k]) is not None
    ):
        # Explainers and interviews answer "How many countries are involved?" under a headline
        # naming the subject; elsewhere a subject only in the headline is too far away.
        headline = doc.headline
        answer = doc.question_before(doc.sentence_of(amount.start)) is not None
        if (
            ph.subjects is not None
            and headline is not None
            and answer
            and ph.subjects.search(text, headline.start, headline.end)
        ):
            confidence = _HEADLINE_CONFIDENCE
        elif (
            ph.cues is not None and head.how == "unit" and _subject_in_story(doc, ph, amount.start)
        ):
            # "Nine patients have been hospitalized": its own noun and cue say what it is; the
            # story's subject named in its paragraph or headline is enough.
            confidence = _HEADLINE_CONFIDENCE
        else:
            return f"no subject within subject_window ({spec.subject_window}) sentences"
    if ph.cues is not None and _not_the_cap(doc, region, amount.start, amount.end, ph):
        return "the thing's present size or a yardstick, not the value its cue states"
    start, end = min(head.span_start, amount.start), max(head.span_end, amount.end)
    reading = read_mention(doc, amount.start, amount.end, region)
    if reading.drop:
        return "hypothetical, or worked out from a hypothesis"
    sentence = doc.sentences[doc.sentence_of(amount.start)]
    keys = qualifiers(doc, ph, heads, i) if spec.qualifier is not None else [None]
    return [
        Finding(
            fact=spec.id,
            text=text[start:end],
            sentence=text[sentence.start : sentence.end],
            start=start,
            end=end,
            value=amount.value,
            qualifier=qualifier,
            mention=reading.mention,
            confidence=round(max(0.05, confidence * reading.confidence), 2),
        )
        for qualifier in keys
    ]


def _exclusion(text: str, ph: Phrases, a: int, b: int) -> str | None:
    """The first exclusion in ``text[a:b]`` that is not part of a qualifier's name ("Mexico"
    excluded, "New Mexico" a state the fact is keyed by)."""
    assert ph.exclusions is not None
    for hit in ph.exclusions.finditer(text, a, b):
        lo, hi = max(0, hit.start() - 30), min(len(text), hit.end() + 30)
        inside = any(
            m.start() <= hit.start() and hit.end() <= m.end()
            for _, pattern in ph.names
            for m in pattern.finditer(text, lo, hi)
        )
        if not inside:
            return hit.group(0)
    return None


# Figures that share one verb: "250 prisoners as well as 1,718 detainees will be freed",
# "handed over 7 in the first group and 13 in the second", "released 20 in exchange for 2,000".
_COORDINATION = re.compile(
    r"^[^.;:!?\d]{0,60}?(?:,\s*|\s)(?:and|as\s+well\s+as|plus|along\s+with|together\s+with"
    r"|in\s+exchange\s+for|in\s+return\s+for|for\s+the\s+release\s+of)\s+"
    r"(?:(?:the|a|an|nearly|some|about|around|almost|more\s+than|at\s+least|over|up\s+to)\s+)*$",
    re.I,
)
_OWN_VERB = re.compile(r"\b(?:\w+ed|said|says|is|are|was|were|has|have|had|will|would)\b", re.I)


def _shared_verb(doc: Document, heads: list[Head | None], i: int) -> list[tuple[int, int]]:
    """The clauses of the figures coordinated with amount ``i`` in its sentence, whose verb
    is also said of it (none when the words between them have a verb of their own)."""
    text, out = doc.text, []
    s = doc.sentence_of(doc.amounts[i].start)
    for j in (i - 1, i + 1):
        if not 0 <= j < len(doc.amounts) or doc.sentence_of(doc.amounts[j].start) != s:
            continue
        lo, hi = (j, i) if j < i else (i, j)
        between = text[doc.amounts[lo].end : doc.amounts[hi].start]
        if _COORDINATION.match(between) and not _OWN_VERB.search(between):
            out.append(doc.clause(doc.amounts[j].start))
    return out


def _subject_in_story(doc: Document, ph: Phrases, at: int) -> bool:
    """Whether a subject is named in the paragraph of ``at`` or in the headline."""
    if ph.subjects is None:
        return True
    text = doc.text
    para_start = max(0, text.rfind("\n\n", 0, at))
    para_end = text.find("\n\n", at)
    if ph.subjects.search(text, para_start, para_end if para_end >= 0 else len(text)):
        return True
    headline = doc.headline
    return headline is not None and bool(ph.subjects.search(text, headline.start, headline.end))


def _dated_before(doc: Document, i: int, since: int) -> bool:
    """Whether amount ``i``'s clause dates it to a year before ``since`` (not "since 2022").

    The year stands before the figure in its clause ("in the 2022 talks, Moscow sought 85,000")
    or right after it ("85,000 troops in 2022"); one later in the clause dates something else
    ("capped at 800,000, against 250,000 in 2021").
    """
    amount = doc.amounts[i]
    start, end = doc.clause(amount.start)
    end = min(end, amount.end + _DATED_AFTER)
    for a in doc.amounts[bisect_left(doc.amounts, start, key=lambda x: x.start) :]:
        if a.start >= end:
            break
        if a.kind != "year" or a.start < start:
            continue
        year = a.value if isinstance(a.value, int) else a.value[0]
        if (
            year is not None
            and year < since
            and not (
                _SINCE.search(doc.text, max(0, a.start - 8), a.start)
                # "since 2011, when 147 were infected": the clause is dated 2011
                and not _WHEN.match(doc.text, a.end)
            )
        ):
            return True
    return False


def _said_at(doc: Document, heads: list[Head | None], i: int) -> int:
    """Where amount ``i``'s phrase starts (its unit noun may come first: "the number of ...")."""
    head = heads[i]
    start = doc.amounts[i].start
    return min(start, head.span_start) if head is not None and head.span_start >= 0 else start


def _deferred(text: str, defer: re.Pattern[str], region: tuple[int, int], at: int) -> bool:
    """Whether a defer cue is said of the figure at ``at``: after it in its clause, or just before.

    "26 countries pledged troops", "pledges from 26 countries"; but in "... to turn political
    commitments into plans, after a call with leaders of 25 countries" the cue is another verb's.
    """
    start, end = region
    return bool(defer.search(text, max(start, at - _DEFER_BEFORE), end))


def _excluded_actor(doc: Document, ph: Phrases, exclusions: re.Pattern[str], at: int) -> bool:
    """Whether the figure's "it" / "they" is an excluded actor named earlier in the sentence.

    "Russia has shown no interest in a truce, and its offensive goes on, where it has committed
    some 110,000 troops": the nearest actor before the pronoun is the excluded one.
    """
    sent = doc.sentences[doc.sentence_of(at)]
    pronoun = _PRONOUN_SUBJECT.search(doc.text, max(sent.start, at - 40), at)
    if pronoun is None:
        return False
    ends = [m.end() for m in exclusions.finditer(doc.text, sent.start, pronoun.start())]
    if not ends:
        return False
    between = (ends[-1], pronoun.start())
    if ph.subjects is not None and ph.subjects.search(doc.text, *between):
        return False
    return not any(p.search(doc.text, *between) for _, p in ph.names)


def _cued(cues: re.Pattern[str], said: str) -> bool:
    """Whether a cue is stated in ``said`` and not negated ("must not limit the army")."""
    return any(
        not _NEGATED_CUE.search(said, max(0, m.start() - 20), m.start())
        for m in cues.finditer(said)
    )


def _bare_cue(text: str, ph: Phrases, region: tuple[int, int]) -> bool:
    """Whether a cue in ``region`` stands without an object ("pledged in September")."""
    if ph.cues is None:
        return False
    cue = ph.cues.search(text, *region)
    return cue is not None and bool(_NO_OBJECT.match(text[cue.end() : region[1]]))


def _not_the_cap(doc: Document, region: tuple[int, int], start: int, end: int, ph: Phrases) -> bool:
    """A figure next to a cue that is the thing's present size, not the value the cue states.

    "reduce Ukraine's army from 880,000 to 600,000": in "from X to Y" the X is the fact's
    earlier value when a cue names what changes ("raises the limit from 600,000 to 800,000"),
    but the thing's own size when the only cue is the verb of reducing it. "..., down from its
    current size of 880,000": a figure said to be the present one, with no cue of its own or
    in a relative clause after it.
    """
    if ph.cues is None:
        return False
    text = doc.text
    lead = text[region[0] : start]
    found = list(ph.cues.finditer(lead))
    cues = [m.group(0).lower() for m in found]
    if _FROM_X.search(lead) and _TO_Y.match(text, end):
        return bool(cues) and all(_REDUCTION.fullmatch(c) for c in cues)
    # "The ceiling compares with roughly 880,000 now serving": the yardstick, not the cap.
    if _COMPARED.search(lead):
        return True
    if not found:
        return bool(_PRESENT.search(lead))
    # "wants to cap Ukraine's army, which is now at 880,000": the thing as it is today.
    return bool(_PRESENT_CLAUSE.search(lead, found[-1].end()))


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
        # "26 countries remain committed, out of 35 in the coalition": the whole group; what
        # was said before is the part's.
        if _OUT_OF.search(doc.text, start, amount.start):
            start = amount.start
    head = heads[i]
    nxt = i + 1
    # "twenty-six of the 35-nation coalition's members signed up": the verb is the 26's.
    following = heads[nxt] if nxt < len(heads) else None
    if following is not None and following.inner:
        nxt += 1
    if head is not None and head.inner:
        end = min(end, head.span_end)
    if nxt < len(doc.amounts) and doc.amounts[nxt].start < end:
        end = doc.amounts[nxt].start
        # "hospitalised about 100 and killed two": the second verb is the next figure's.
        other = _NEXT_PREDICATE.match(doc.text, max(amount.end, head.span_end if head else 0), end)
        if other is not None:
            end = other.start(1)
    return start, max(start, end)


_NEXT_PREDICATE = re.compile(r"(?:\s+[\w'’-]+){0,2}?(,?\s+and\s+)(?=\w+ed\b)", re.I)


def _window(doc: Document, i: int, head: Head) -> tuple[int, int]:
    """Where an exclusion disqualifies the amount: right next to it, within its sentence."""
    amount = doc.amounts[i]
    sent = doc.sentences[doc.sentence_of(amount.start)]
    start = max(sent.start, amount.start - _EXCLUSION_BEFORE)
    # "32 NATO allies back Ukraine; the coalition has 31 members": not across a semicolon.
    start = max(start, doc.text.rfind(";", start, amount.start) + 1)
    # Another figure's words are its own; a year's are not ("NATO's force in 1995-96 numbered").
    if i > 0 and doc.amounts[i - 1].end > start and doc.amounts[i - 1].kind != "year":
        start = doc.amounts[i - 1].end
    unit_end = max(amount.end, head.span_end)
    end = min(sent.end, unit_end + _EXCLUSION_AFTER)
    # "31 countries plus the EU and NATO": what follows a conjunction is not about the figure.
    joined = _JOINED.search(doc.text, unit_end, end)
    if joined is not None:
        end = joined.start()
    if i + 1 < len(doc.amounts) and doc.amounts[i + 1].start < end:
        end = doc.amounts[i + 1].start
    # After its noun, only what the figure belongs to ("32 countries in NATO", "members of the
    # EU") disqualifies it; "30 countries met at NATO headquarters" is where they met.
    if end > unit_end and not _BELONGS.match(doc.text, unit_end):
        end = unit_end
    return min(start, head.span_start if head.span_start >= 0 else start), max(start, end)


def _subject_near(doc: Document, spec: NumericFactSpec, ph: Phrases, i: int, head: Head) -> bool:
    if ph.subjects is None:
        return True
    s = doc.sentence_of(doc.amounts[i].start)
    # A list item reads as part of the line that introduces it ("Belgium will provide:"), not
    # of the other items.
    intro = doc.list_intro(s)
    last = s if intro is None else intro
    first = _window_start(doc, last, spec.subject_window)
    places = [(doc.sentences[k].start, doc.sentences[k].end) for k in (*range(first, last + 1), s)]
    # The sentence after may name what the figure was about: "Leaders of 30 countries took
    # part. The coalition agreed ..." (only within its paragraph).
    # (Not for a list item: "- Romania: 70,000 troops" in a box of national armies.)
    if not doc.is_item(s) and s + 1 < len(doc.sentences) and _same_paragraph(doc, s, s + 1):
        # ... as what it opens with, not in passing ("She added that the contributors ...").
        nxt = doc.sentences[s + 1]
        places.append((nxt.start, min(nxt.end, nxt.start + _NEXT_OPENING)))
    for q in (head.question, doc.question_before(s)):
        if q is not None:
            places.append((doc.sentences[q].start, doc.sentences[q].end))
    return any(ph.subjects.search(doc.text, a, b) for a, b in places)


def _window_start(doc: Document, s: int, window: int) -> int:
    """The first of the ``window`` sentences before ``s``, not counting subheadings."""
    k = s
    while window > 0 and k > 0:
        k -= 1
        if not _is_heading(doc, k):
            window -= 1
    return k


def _is_heading(doc: Document, k: int) -> bool:
    """A short line of its own without closing punctuation ("Who signed", "The force")."""
    span = doc.sentences[k]
    text = doc.text
    return (
        span.end - span.start <= _HEADING
        and text[span.end - 1] not in ".!?:;\"'”’)"
        and text.startswith("\n", span.end)
        and (span.start == 0 or text[span.start - 1] == "\n")
    )


def _same_paragraph(doc: Document, a: int, b: int) -> bool:
    """No blank line between sentences ``a`` and ``b`` (list items and live-blog lines stay)."""
    return _BLANK_LINE.search(doc.text, doc.sentences[a].end, doc.sentences[b].start) is None

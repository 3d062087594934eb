"""Which country (or other key) a figure belongs to: the qualifier of a per-country figure.

The name nearest before the figure in its sentence, or the adjective on its noun ("French
troops"); a name given as the source of the figure ("according to Polish officials", "French
television reported") or as a place ("in Paris", "the London summit") is not it. Names come from
the fact definition (:class:`~monitor.facts.attribution.Phrases`).
"""

from __future__ import annotations

import re
from itertools import pairwise

from monitor.facts.attribution import LIST_GLUE, LIST_REACH, Head, Phrases
from monitor.facts.document import Document

_WHOLE = re.compile(r"\b(?:whole|entire|total|overall|combined|in\s+all|altogether)\b", re.I)
# "... troops for the whole force" (but "Britain would send 10,000 in total" is Britain's total).
_WHOLE_AFTER = re.compile(
    r"\s*(?:[\w-]+\s+){0,2}?(?:for|of|across)\s+the\s+(?:whole|entire|overall|combined)\b", re.I
)
# A country named as the source of a figure is not the one contributing it.
_SOURCE_AFTER = re.compile(
    r"^(?:\s*(?:,|and)\s*[A-Z][\w.]*)*['’]?s?\s+(?:\w+\s+)?(?:officials?|ministers?|ministry"
    r"|government|sources?|diplomats?|president|presidency|prime\s+minister|media|press"
    r"|newspapers?|army|armed\s+forces|military|intelligence|spokes\w+|leaders?|officers?"
    r"|television|tv|radio|broadcasters?|outlets?|daily|agency|planners?|analysts?|negotiators?"
    r"|experts?|researchers?)\b",
    re.I,
)
# "Estonia's government has approved sending ...": the government acts, it is no source.
_ACTOR_VERB = re.compile(
    r"\s+(?:(?:has|have|had|will|would|could|is|was|also|already|now)\s+){0,2}"
    r"(?:approved|agreed|decided|offered|pledged|committed|promised|intends?|ready|prepared"
    r"|plans?|planned|volunteered)\b",
    re.I,
)
_APPOSITION = re.compile(r"[\w\s-]{0,40}?\s*(?:—|–|--|\()\s*$")
_FROM_AFTER = re.compile(
    r"\s+(?:(?:would|will|could|might|are\s+to)\s+come\s+|coming\s+|provided\s+)?"
    # "12 deaths tied to the Ridge fire", "43 cases have been reported in Ohio"
    r"(?:(?:[a-z]+\s+){0,4}?(?:tied|linked|attributed|connected|related|due)\s+to\s+"
    r"|(?:(?:have|has|had|were|was|are|is|been|being|now|so\s+far|confirmed|reported|recorded"
    r"|identified|killed|destroyed|burned|burnt|damaged|documented|diagnosed|counted|registered"
    r"|living|serving)\s+){0,4}(?:from|by|in|on|for|at|across|among)\s+"
    # "250 prisoners serving life sentences", "1,718 detainees held without charge"
    r"|(?=(?:serving|held|holding|with|without|on)\s))"
    r"(?:the\s+)?(?:[a-z]+\s+){0,2}?",
    re.I,
)
# A hyphenated amount and its noun before a name: "the 9,200-acre Ridge fire".
_COMPOUND_BEFORE_NAME = re.compile(r"-[A-Za-z]+\s+")
# The subject of the figure's clause refers back: "It has consumed 14,000 acres", "his party
# will win 35 seats", "the latter could send 300".
_REFERS_BACK = re.compile(
    # (not "he" / "she": a person named before is a speaker more often than the contributor)
    r"^\W*(?:(?:and|but|while|so)\s+)?(?:it|they|(?:his|her|its|their)\s+[\w-]+|this\s+[\w-]+)"
    r"\b(?:\s+[\w'’-]+){0,6}\s*$",
    re.I,
)
# "Planners meeting in Oslo and Madrid": every name of a list after "in" is a place.
_PLACE_WORD = re.compile(r"\b(?:in|at|from)\s+(?:the\s+)?", re.I)
_LISTED = re.compile(r"(?:[A-Z][\w.'’-]*|,|and|or|the)$")
# "OSLO, Norway - The mission ...": where the story was filed, not who acts.
_DATELINE = re.compile(r"[A-Z][A-Z.'’ -]+(?:,\s*[\w.'’ ]{2,30})?\s*(?:[-–—]|\(\w+\)\s*[-–—])\s")
_ANTECEDENT = re.compile(
    r",\s+(?:which|that|who)\s+"
    r"(?:(?:has|have|had|also|already|now|so\s+far)\s+)*[a-z]+\s+(?:[\w,'’-]+\s+){0,6}?"
    r"(?:about|some|around|roughly|over|more\s+than|at\s+least|nearly|almost)?\s*$",
    re.I,
)
_JOINS = re.compile(r"\b(?:as\s+well\s+as|and|plus|along\s+with|while|whereas)\b", re.I)
_LATTER = re.compile(r"\bthe\s+(latter|former)\b", re.I)
_EACH = re.compile(
    r"\b(?:each|apiece|per\s+(?:country|nation|member|contributor|participant))\b", re.I
)
_EACH_REACH = 40
_EACH_AFTER = re.compile(r"[\"'”’]?\s*(?:\w+\s+)?each\b", re.I)
_SOURCE_BEFORE = re.compile(r"\b(?:according\s+to|by|from|in|with|at|to)\s+(?:the\s+)?$", re.I)
# "France, which has said it could send ...": a relative clause about what the name offers.
_RELATIVE = re.compile(
    r",\s+(?:which|who)\s+(?:[\w-]+\s+){0,3}?(?:said|says|offered|offers|pledged|pledges"
    r"|promised|promises|spoken|spoke|signalled|signaled|indicated|announced|proposed|proposes"
    r"|could|would|will|plans?|intends?|is\s+ready|was\s+ready)\b",
    re.I,
)
# "the Paris summit", "the London Declaration", "Paris-based": a place, not a government.
_EVENT_AFTER = re.compile(
    r"^(?:-based|\s+(?:summit|meeting|talks|conference|declaration|format|process|agreement"
    r"|accord|communiqu\w+|statement|plan|framework))\b",
    re.I,
)


def qualifiers(doc: Document, ph: Phrases, heads: list[Head | None], i: int) -> list[str | None]:
    """The country (or other key) a figure belongs to; None for a total; none for a share.

    "Britain and France will each send 5,000 troops" gives the figure to both; "a few thousand
    from each of several countries" to no one (it is neither a total nor anyone's).
    """
    text, amount = doc.text, doc.amounts[i]
    sent = doc.sentences[doc.sentence_of(amount.start)]
    start = sent.start
    for j in range(i - 1, -1, -1):
        if doc.amounts[j].end <= sent.start:
            break
        # "one company of soldiers — about 150 troops —": the same figure restated.
        if heads[j] is not None and not _APPOSITION.match(text, doc.amounts[j].end, amount.start):
            start = doc.amounts[j].end
            # "120 inmates serving long terms as well as 900 on remand": what follows the first
            # figure's noun is its own; the second's words start after the conjunction.
            joins = list(_JOINS.finditer(text, start, amount.start))
            if joins:
                start = joins[-1].end()
            break
    head = heads[i]
    end = max(amount.end, head.span_end if head is not None else amount.end)
    lead = text[start : amount.start]
    # "the overall total of 30,000", "30,000 troops for the whole force": the force, no country.
    if _WHOLE.search(lead[-60:]) or _WHOLE_AFTER.match(text, end, sent.end):
        return [None]
    respective = _respectively(doc, ph, i)
    if respective is not None:
        return [respective]
    # "... killed in the Ridge fire, which burned 9,200 acres": the clause's antecedent owns it.
    antecedent = _ANTECEDENT.search(text, max(sent.start, amount.start - 160), amount.start)
    if antecedent is not None:
        for name, pattern in ph.names:
            if any(
                m.end() == antecedent.start()
                for m in pattern.finditer(text, sent.start, antecedent.start())
            ):
                return [name]
    names = _names(doc, ph, start, end)
    # "10 confirmed cases in X": what comes after is read from the end of the unit noun.
    noun = ph.units.search(text, end, min(sent.end, end + 40))
    if noun is not None and not re.search(r"[\d,;:.]", text[end : noun.start()]):
        end = noun.end()
    if not names and (latter := _LATTER.search(lead)) is not None:
        s = doc.sentence_of(amount.start)
        if s > 0:
            before = doc.sentences[s - 1]
            earlier = _names(doc, ph, before.start, before.end)
            if len({n for _, n in earlier}) >= 2:
                pick = earlier[-1] if latter.group(1).lower() == "latter" else earlier[0]
                return [pick[1]]
    if not names:
        owner = _from_after(doc, ph, end, sent.end)
        # "a few thousand troops from each of several countries": a share of no one in particular.
        if owner is None and (
            _EACH.search(lead[-_EACH_REACH:])
            or _EACH.search(text, end, min(sent.end, end + _EACH_REACH))
        ):
            return []
        if owner is None and _COMPOUND_BEFORE_NAME.match(text, amount.end):
            after_unit = _COMPOUND_BEFORE_NAME.match(text, amount.end)
            if after_unit is not None:
                owner = next(
                    (n for n, p in ph.names if p.match(text, after_unit.end(), sent.end)), None
                )
        if owner is None and _REFERS_BACK.search(lead[-80:]) is not None:
            owner = _named_before(doc, ph, doc.sentence_of(amount.start))
        intro = doc.list_intro(doc.sentence_of(amount.start))
        if owner is None and intro is not None:
            # "Belgium will make available: - up to 300 personnel ...": the list's owner.
            span = doc.sentences[intro]
            listed = list(dict.fromkeys(name for _, name in _names(doc, ph, span.start, span.end)))
            owner = listed[0] if len(listed) == 1 else None
        return [owner]
    # "Britain and France will each send 5,000": both; "Britain and France propose 30,000": joint.
    joint = [names[-1]]
    for pos, name in reversed(names[:-1]):
        between = text[pos : joint[-1][0]]
        if not re.fullmatch(r"\S+(?:\s+\S+)?\s*(?:,|and|&|,\s*and)\s*", between):
            break
        joint.append((pos, name))
    distinct: list[str | None] = list(dict.fromkeys(name for _, name in reversed(joint)))
    if len(distinct) > 1:
        each = _EACH.search(lead) or _EACH_AFTER.match(text, end, sent.end)
        return distinct if each else [None]
    return [names[-1][1]]


_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def _respectively(doc: Document, ph: Phrases, i: int) -> str | None:
    """ "the Reds, the Greens and the Blues ... win 30, 18 and 6 seats, respectively": the names
    in order."""
    text = doc.text
    s = doc.sentence_of(doc.amounts[i].start)
    sent = doc.sentences[s]
    if not _RESPECTIVELY.search(text, doc.amounts[i].end, min(sent.end, doc.amounts[i].end + 200)):
        return None
    first = i
    while first > max(0, i - LIST_REACH) and LIST_GLUE.match(
        text[doc.amounts[first - 1].end : doc.amounts[first].start]
    ):
        first -= 1
    last = i
    while last + 1 < min(len(doc.amounts), i + LIST_REACH) and LIST_GLUE.match(
        text[doc.amounts[last].end : doc.amounts[last + 1].start]
    ):
        last += 1
    count = last - first + 1
    if count < 2:
        return None
    for lo, hi in ((sent.start, doc.amounts[first].start), *_previous(doc, s)):
        found = _names(doc, ph, lo, hi)
        names = list(dict.fromkeys(n for _, n in found))
        if len(names) > count:
            # "... the Golds ... the Reds, the Greens and the Blues": the list is the last names.
            tail = found[-count:]
            listed = all(
                re.fullmatch(
                    r"\S+(?:\s+\S+){0,3}?\s*(?:,|and|or|&|,\s*and)\s*(?:the\s+)?", text[a:b]
                )
                for (a, _), (b, _) in pairwise(tail)
            )
            names = [n for _, n in tail] if listed and len({n for _, n in tail}) == count else names
        if len(names) == count:
            return names[i - first]
    return None


def _previous(doc: Document, s: int) -> list[tuple[int, int]]:
    return [(doc.sentences[s - 1].start, doc.sentences[s - 1].end)] if s > 0 else []


def _in_place_list(text: str, lo: int, at: int) -> bool:
    """Whether ``at`` is a later name of a list after "in" ("meeting in Oslo and Madrid")."""
    places = list(_PLACE_WORD.finditer(text, lo, at))
    if not places:
        return False
    words = text[places[-1].end() : at].replace(",", " , ").split()
    return bool(words) and words[-1] in (",", "and", "or") and all(_LISTED.match(w) for w in words)


def _named_before(doc: Document, ph: Phrases, s: int) -> str | None:
    """The one name of the one or two sentences before ``s`` in its paragraph (None when they
    name several or none): what a pronoun or "the latter" at the start of ``s`` stands for."""
    for k in (s - 1, s - 2):
        if k < 0 or "\n\n" in doc.text[doc.sentences[k].end : doc.sentences[k + 1].start]:
            return None
        span = doc.sentences[k]
        names = {name for _, name in _names(doc, ph, span.start, span.end)}
        if len(names) == 1:
            return names.pop()
        if names:
            return None
    return None


def _from_after(doc: Document, ph: Phrases, end: int, limit: int) -> str | None:
    """The contributor named right after the figure: "10,000 troops from Britain"."""
    m = _FROM_AFTER.match(doc.text, end, limit)
    if m is None:
        return None
    for name, pattern in ph.names:
        hit = pattern.match(doc.text, m.end(), limit)
        if hit is not None:
            # "220 cases in New Mexico and Texas": both, so no one's own figure
            more = _AND_NAME.match(doc.text, hit.end(), limit)
            if more is not None and any(p.match(doc.text, more.end(), limit) for _, p in ph.names):
                return None
            return name
    return None


_AND_NAME = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*)(?:the\s+)?", re.I)


def name_in(doc: Document, ph: Phrases, start: int, end: int) -> str | None:
    names = _names(doc, ph, start, end)
    return names[-1][1] if names else None


def _names(doc: Document, ph: Phrases, start: int, end: int) -> list[tuple[int, str]]:
    """The names of ``ph`` in ``text[start:end]``, in order, leaving out sources of a figure."""
    text = doc.text
    sent_start = doc.sentences[doc.sentence_of(start)].start
    line_start = text.rfind("\n", 0, sent_start) + 1
    dateline = _DATELINE.match(text, line_start, min(len(text), line_start + 80))
    found: list[tuple[int, str]] = []
    for name, pattern in ph.names:
        for m in pattern.finditer(text, start, end):
            follows = text[m.end() : m.end() + 60]
            # "a bidding war with France, which has said it could send ...": the clause is its.
            if not _RELATIVE.match(follows):
                source = _SOURCE_AFTER.match(follows)
                if source is not None and _ACTOR_VERB.match(follows, source.end()):
                    source = None
                if source is not None or _EVENT_AFTER.match(follows):
                    continue
                if _SOURCE_BEFORE.search(text[max(sent_start, m.start() - 20) : m.start()]):
                    continue
                if _in_place_list(text, max(sent_start, m.start() - 80), m.start()):
                    continue
                if dateline is not None and m.start() < dateline.end():
                    continue
            found.append((m.start(), name))
    return sorted(found)

"""Text helpers shared by the fact finders: sentence spans and user phrases as patterns.

Sentences are split with a regular expression rather than a library: pysbd and nltk's punkt
are 20-100x slower on news text, and the fact stage must read hundreds of articles a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from monitor.facts.prefix import guarded

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before white
# space and an opening capital, digit or quote, or at a line break. Common abbreviations and
# initials ("U.S.", "Mr.", "Jan.") do not end one.
_ABBREV = (
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bGen)(?<!\bCol)(?<!\bLt)(?<!\bSgt)"
    r"(?<!\bvs)(?<!\bNo)(?<!\bJan)(?<!\bFeb)(?<!\bAug)(?<!\bSept)(?<!\bSep)(?<!\bOct)(?<!\bNov)"
    r"(?<!\bDec)(?<!\bPres)(?<!\bGov)(?<!\bSen)(?<!\bRep)(?<!\bProf)(?<!\b[A-Z])"
)
# The lookahead first: the abbreviation lookbehinds then run only at punctuation (13x faster).
_BOUNDARY = re.compile(
    rf"(?=[.!?…]){_ABBREV}[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n\s*",
)


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of the text it was cut from."""

    start: int
    end: int


def sentences(text: str) -> list[Span]:
    """The sentence spans of ``text`` (line breaks always end a sentence), stripped of spaces."""
    spans: list[Span] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        _add(text, pos, m.start() + len(m.group(0).rstrip()), spans)
        pos = m.end()
    _add(text, pos, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


Inflect = Literal["", "noun", "verb", "any"]


def phrase_regex(phrase: str, *, inflect: Inflect | bool = False) -> str:
    """A user phrase as a regex source: whole words, case-insensitive, flexible white space.

    ``re:`` phrases are taken as written. With ``inflect`` the final word also matches its other
    forms (see :func:`inflections`).
    """
    if phrase.startswith("re:"):
        return f"(?:{phrase[3:]})"
    return rf"(?<![\w-]){_body(phrase, _how(inflect))}(?![\w])"


def _how(inflect: Inflect | bool) -> Inflect:
    return "noun" if inflect is True else (inflect or "")


@lru_cache(maxsize=4096)
def inflections(word: str, how: Inflect) -> tuple[str, ...]:
    """The forms of ``word`` a phrase should match, from lemminflect's English lexicon.

    ``noun``: singular and plural ("country" / "countries"), for units, subjects and exclusions;
    a word that is no noun gets its verb forms ("killed", "killing"). ``verb``: a verb's forms
    ("pledge", "pledged", "pledging") for a cue, a noun's for a word that is no verb. ``any``:
    both. Names and acronyms (a capital
    after the first letter, or any capital outside units) are left as written.
    """
    import lemminflect

    if not word.isalpha() or len(word) < 3 or any(c.isupper() for c in word[1:]):
        return (word,)
    if how != "noun" and word[0].isupper():
        return (word,)
    lemmas = lemminflect.getAllLemmas(word) or lemminflect.getAllLemmasOOV(word, "NOUN")
    classes = [c for c in ("NOUN", "VERB") if c in lemmas]
    if how == "verb" and "VERB" in classes:
        classes = ["VERB"]
    elif how == "noun" and "NOUN" in classes:
        classes = ["NOUN"]
    forms = {word.lower()}
    for upos in classes:
        for lemma in lemmas[upos]:
            forms.add(lemma.lower())
            found = lemminflect.getAllInflections(lemma, upos=upos) or (
                lemminflect.getAllInflectionsOOV(lemma, upos=upos)
            )
            forms.update(f.lower() for fs in found.values() for f in fs)
    return tuple(sorted(forms, key=len, reverse=True))


def noun_lemmas(word: str) -> tuple[str, ...]:
    """The singular forms of a noun ("countries" -> "country"), from lemminflect's lexicon."""
    import lemminflect

    return tuple(x.lower() for x in lemminflect.getAllLemmas(word).get("NOUN", ()))


@lru_cache(maxsize=1024)
def _compiled(phrases: tuple[str, ...], inflect: Inflect) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # One word boundary around all plain phrases, not one per phrase: same matches, fewer
    # lookbehinds tried at every position.
    # A form that one of the phrases' own regexes matches is left to that regex (it may be
    # written to exclude some uses: 're:committed(?!\s+to\s+working)').
    own = [re.compile(p[3:], re.I) for p in phrases if p.startswith("re:")]
    plain = [_body(p, inflect, own) for p in phrases if not p.startswith("re:")]
    parts = [phrase_regex(p, inflect=inflect) for p in phrases if p.startswith("re:")]
    if plain:
        bodies = "|".join(sorted(plain, key=len, reverse=True))
        parts.append(rf"(?<![\w-])(?:{bodies})(?![\w])")
    parts.sort(key=len, reverse=True)
    return guarded(re.compile("|".join(_factored(parts)), re.IGNORECASE))


def _factored(parts: list[str]) -> list[str]:
    """``parts`` with the ``re:`` phrases that open on the same group ("\\b{US} ...") tried
    under one copy of it: a long shared word list is then scanned once a position, not once a
    phrase."""
    heads: dict[str, list[str]] = {}
    for part in parts:
        body = part[3:-1] if part.startswith("(?:") else part  # phrase_regex's (?:...) wrapper
        head = _head(body) if body is not part else ""
        heads.setdefault(head, []).append(body[len(head) :] if head else part)
    out = []
    for head, rests in heads.items():
        if not head:
            out.extend(rests)
        elif len(rests) > 1:
            out.append("(?:" + head + "(?:" + "|".join(rests) + "))")
        else:
            out.append("(?:" + head + rests[0] + ")")
    return out


def _head(body: str) -> str:
    """The opening ``\\b(...)`` group of a ``re:`` phrase's source, or "" (also when the source
    is an alternation at its top level, which a shared head would change)."""
    if not body.startswith("\\b("):
        return ""
    depth, i, end = 0, 2, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 1
        elif ch == "[":
            i = body.find("]", i + 2)
            if i < 0:
                return ""
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and not end:
                end = i + 1
        elif ch == "|" and depth == 0:
            return ""
        i += 1
    return body[:end]


def escape(word: str) -> str:
    """``word`` as a regex source in which a straight and a curly apostrophe or quote match
    either ("Miller's Farm" in a text that writes "Miller’s Farm")."""
    return _QUOTES.sub(lambda m: _QUOTE_CLASS[m.group(0)], re.escape(word))


_QUOTE_CLASS = {"'": "['’‘]", "’": "['’‘]", "‘": "['’‘]", '"': '["“”]', "“": '["“”]', "”": '["“”]'}
_QUOTES = re.compile("['’‘\"“”]")


def _body(phrase: str, inflect: Inflect, own: Sequence[re.Pattern[str]] = ()) -> str:
    split = phrase.split()
    words = [escape(w) for w in split]
    if inflect and words:
        last = split[-1].lower()
        forms = tuple(
            f
            for f in inflections(split[-1], inflect)
            if f == last or not any(p.fullmatch(f) for p in own)
        )
        if len(forms) > 1:
            words[-1] = "(?:" + "|".join(escape(f) for f in forms) + ")"
    return r"[\s\-]+".join(words)


_STOP = frozenset("the a an its their his her our of to for in on at by with and or".split())
# Between two words of a loose phrase: up to three other words, no punctuation.
_GAP = r"[\s\-]+(?:[\w'’]+[\s\-]+){0,3}?"


@lru_cache(maxsize=1024)
def loose_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """``phrases`` matched as a reader would: each content word in any of its forms, in order,
    with up to three other words between them ("halt sausage" in "has halted the
    production of sausage"); ``re:`` phrases as written."""
    if not phrases:
        return None
    parts = [phrase_regex(p) for p in phrases if p.startswith("re:")]
    bodies = []
    for p in phrases:
        if p.startswith("re:"):
            continue
        words = [w for w in p.split() if w.lower() not in _STOP] or p.split()
        forms = [
            "(?:" + "|".join(escape(f) for f in inflections(w, "any")) + ")"
            if w.isalpha() and len(w) >= 4
            else escape(w)
            for w in words
        ]
        bodies.append(_GAP.join(forms))
    if bodies:
        parts.append(rf"(?<![\w-])(?:{'|'.join(sorted(bodies, key=len, reverse=True))})(?![\w])")
    parts.sort(key=len, reverse=True)
    return guarded(re.compile("|".join(_factored(parts)), re.IGNORECASE))


def phrases_pattern(
    phrases: Iterable[str], *, inflect: Inflect | bool = False
) -> re.Pattern[str] | None:
    """One compiled pattern matching any of ``phrases`` (None when there are none); cached."""
    return _compiled(tuple(phrases), _how(inflect))

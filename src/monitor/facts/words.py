"""Named word lists in term phrases: ``{US}`` stands for any phrase of ``words: {US: [...]}``.

A story names the same actors and things in many phrases ("U.S.", "American", "Washington");
a fact lists them once under ``words:`` and its phrases and contexts say ``{US}``. Expansion
happens when the fact is loaded, so the finders only ever see plain phrases and regexes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from monitor.facts.text import escape, phrase_regex

_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_SPLIT = re.compile(r"\s*(\{[A-Z][A-Z0-9_]*\})\s*")


def expand(phrase: str, words: Mapping[str, tuple[str, ...]], where: str) -> str:
    """``phrase`` with each ``{NAME}`` replaced by an alternation of the words it names; a plain
    phrase that uses one becomes a ``re:`` phrase. ``where`` names the phrase in errors."""
    if _PLACEHOLDER.search(phrase) is None:
        return phrase
    if phrase.startswith("re:"):
        return "re:" + _PLACEHOLDER.sub(
            lambda m: _alternation(m.group(1), words, where), phrase[3:]
        )
    parts = []
    for token in _SPLIT.split(phrase.strip()):
        if not token:
            continue
        name = _PLACEHOLDER.fullmatch(token)
        parts.append(_alternation(name.group(1), words, where) if name else phrase_regex(token))
    return "re:" + r"[\s\-]+".join(parts)


def _alternation(name: str, words: Mapping[str, tuple[str, ...]], where: str) -> str:
    if name not in words:
        known = ", ".join(sorted(words)) or "none"
        raise ValueError(
            f"{where} uses {{{name}}}, which `words:` does not define (defined: {known}); "
            f"add {name}: [its phrases] under the fact's `words:`"
        )
    plain = [w for w in words[name] if not w.startswith("re:")]
    # One word boundary around all plain words, not one per word: 3x faster to scan.
    bodies = sorted((r"[\s\-]+".join(escape(x) for x in w.split()) for w in plain), key=len)
    parts = [phrase_regex(w) for w in words[name] if w.startswith("re:")]
    if bodies:
        parts.insert(0, r"(?<![\w-])(?:" + "|".join(reversed(bodies)) + r")(?![\w])")
    return "(?:" + "|".join(parts) + ")"

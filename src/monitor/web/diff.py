"""A word diff of two article versions as HTML, with the evidence spans of each marked.

Removed words are ``<del>``, added words ``<ins>``, and words the monitor read a fact from
(an observation's ``start``/``end`` in that version's text) are ``<mark>``; paragraphs stay
paragraphs. Pure: texts and spans in, escaped markup out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from markupsafe import Markup, escape

_TOKEN = re.compile(r"\n+|[^\S\n]+|[^\s]+")
Spans = Sequence[tuple[int, int]]


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _marked(start: int, end: int, spans: Spans) -> bool:
    return any(s < end and start < e for s, e in spans)


def _emit(tokens: Sequence[tuple[str, int, int]], spans: Spans, tag: str | None) -> Iterator[str]:
    """Runs of words, each run in one ``<mark>`` (and the whole in ``tag``) so that a marked or
    changed phrase reads as one phrase."""
    run: list[str] = []
    marked = False

    def close() -> Iterator[str]:
        if run:
            text = "".join(run).rstrip()
            tail = "".join(run)[len(text) :]
            yield (f"<mark>{text}</mark>" if marked else text) + tail

    if tag:
        yield f"<{tag}>"
    for word, start, end in tokens:
        if word.startswith("\n"):
            yield from close()
            run = []
            yield f"</{tag}></p><p><{tag}>" if tag else "</p><p>"
            continue
        here = marked if word.isspace() else _marked(start, end, spans)
        if here != marked and run:
            yield from close()
            run = []
        marked = here
        run.append(str(escape(word)))
    yield from close()
    if tag:
        yield f"</{tag}>"


def word_diff(old: str, new: str, old_spans: Spans, new_spans: Spans) -> tuple[Markup, int, int]:
    """The diff of ``old`` → ``new`` as paragraphs; and how many words were removed and added."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(None, [t[0] for t in a], [t[0] for t in b], autojunk=False)
    out: list[str] = ["<p>"]
    removed = added = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += _emit(b[j1:j2], new_spans, None)
            continue
        if op in ("delete", "replace"):
            removed += sum(1 for t in a[i1:i2] if not t[0].isspace())
            out += _emit(a[i1:i2], old_spans, "del")
            out.append(" ")
        if op in ("insert", "replace"):
            added += sum(1 for t in b[j1:j2] if not t[0].isspace())
            out += _emit(b[j1:j2], new_spans, "ins")
    out.append("</p>")
    html = "".join(out)
    for empty in ("<ins></ins>", "<del></del>", "<p></p>"):
        html = html.replace(empty, "")
    return Markup(html), removed, added


def highlight(sentence: str, quote: str) -> Markup:
    """``sentence`` with the first occurrence of ``quote`` (the exact words) in ``<mark>``."""
    at = sentence.find(quote) if quote else -1
    if at < 0:
        return Markup(escape(sentence))
    end = at + len(quote)
    return Markup(
        f"{escape(sentence[:at])}<mark>{escape(sentence[at:end])}</mark>{escape(sentence[end:])}"
    )

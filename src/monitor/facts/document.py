"""One article text read once for every numeric fact: sentences, headline, questions, amounts.

The analysis is a pure function of the text and is memoized for the few most recent texts, since
:func:`monitor.facts.find_facts` asks for it once per tracked fact.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.facts.numbers import Amount, find_amounts
from monitor.facts.text import Span, sentences

# Clause boundaries inside a sentence: cues and defer phrases must be stated in the amount's own
# clause ("From 35 countries ..., 26 declared readiness": the readiness is the 26's).
_CLAUSE = re.compile(
    r"[;:()\[\]]|\s[-–—]\s|—|,\s+(?:while|but|whereas|although|though|and|as|after|before)\b",
)


_BULLET = re.compile(r"[-•*–—]\s")
_LIST_REACH = 12
_ASIDE = {"(": ")", "[": "]", "-": "-–—", "–": "-–—", "—": "-–—"}
_ASIDE_LENGTH = 60
_CLAUSE_REACH = 400


@dataclass(frozen=True)
class Document:
    """An article text cut into sentences, with its amounts and reading aids."""

    text: str
    sentences: tuple[Span, ...]
    starts: tuple[int, ...]
    amounts: tuple[Amount, ...]
    headline: Span | None

    def sentence_of(self, pos: int) -> int:
        """Index of the sentence holding character ``pos``."""
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def sentence_text(self, index: int) -> str:
        """The text of sentence ``index`` ('' when out of range)."""
        if 0 <= index < len(self.sentences):
            span = self.sentences[index]
            return self.text[span.start : span.end]
        return ""

    def clause(self, pos: int) -> tuple[int, int]:
        """The clause (within its sentence) holding character ``pos``."""
        span = self.sentences[self.sentence_of(pos)]
        # Bounded, so that run-on "sentences" (tables, lists) stay linear.
        start, end = max(span.start, pos - _CLAUSE_REACH), min(span.end, pos + _CLAUSE_REACH)
        marks = list(_CLAUSE.finditer(self.text, start, end))
        k = 0
        while k < len(marks):
            m = marks[k]
            if m.end() <= pos:
                start = m.end()
            elif m.start() >= pos:
                # "26 countries – mainly European – had committed": step over an aside.
                closing = _ASIDE.get(m.group(0).strip())
                nxt = marks[k + 1] if k + 1 < len(marks) else None
                if (
                    closing is not None
                    and nxt is not None
                    and nxt.group(0).strip() in closing
                    and nxt.start() - m.end() <= _ASIDE_LENGTH
                ):
                    k += 2
                    continue
                end = m.start()
                break
            k += 1
        return start, end

    def question_before(self, index: int) -> int | None:
        """The question heading the answer that sentence ``index`` belongs to, if any.

        Explainers and interviews put the subject in the question ("How big would the force
        be?") and the figure in the answer's second or third sentence.
        """
        for i in range(index - 1, max(-1, index - 6), -1):
            if self.sentence_text(i).rstrip("\"'”’ ").endswith("?"):
                return i
        return None

    def is_item(self, index: int) -> bool:
        """Whether sentence ``index`` is a list item ("- up to 300 personnel ...")."""
        return bool(_BULLET.match(self.text, self.sentences[index].start))

    def list_intro(self, index: int) -> int | None:
        """The line ending in ":" that introduces list item ``index`` ("Belgium will provide:")."""
        k = index
        while k >= 0 and k > index - _LIST_REACH:
            span = self.sentences[k]
            if k < index and self.text[span.end - 1] == ":":
                return k
            if not self.is_item(k):
                return None
            k -= 1
        return None


@lru_cache(maxsize=8)
def read_document(text: str) -> Document:
    """The :class:`Document` of ``text`` (memoized: each fact of an article reuses it)."""
    spans = tuple(sentences(text))
    amounts = tuple(a for a in find_amounts(text) if a.kind in ("number", "year"))
    first = spans[0] if spans else None
    headline = None
    if first is not None and len(spans) > 1 and first.end - first.start <= 200:
        if "\n" in text[first.end : spans[1].start]:
            headline = first
    return Document(text, spans, tuple(s.start for s in spans), amounts, headline)

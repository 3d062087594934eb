"""Why each figure and term mention of a text did or did not become an observation.

``monitor extract --explain`` prints these lines, so a user writing a fact can see which rule
dropped a figure (no unit, no subject within the window, an exclusion, out of range, ...) and
fix the configuration. Pure functions over the text, like the finders they explain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.facts.find import find_facts
from monitor.facts.model import Finding
from monitor.facts.numbers import find_amounts, value_to_json
from monitor.facts.numeric import judge_amounts
from monitor.facts.spec import FactSpec, NumericFactSpec, TermsFactSpec
from monitor.facts.terms import explain_terms
from monitor.facts.text import phrases_pattern

_NEVER = {
    "money": "money never counts",
    "percent": "a percentage never counts",
    "date": "a date never counts",
    "time": "a clock time never counts",
    "label": "a label ('Article 5', 'point 6') never counts",
    "decimal": "a decimal never counts",
    "question": "an amount asked about ('how many thousands') never counts",
    "ratio": "a rate ('one in five', '3 out of 1,000') never counts",
    "age": "an age ('people over 65', '12-year-old') never counts",
}


@dataclass(frozen=True)
class Explanation:
    """One figure or term mention: ``kept`` with its observations, or the ``reason`` it is not."""

    fact: str
    start: int
    end: int
    text: str
    kept: bool
    reason: str
    observations: tuple[Finding, ...] = ()

    def line(self) -> str:
        """A one-line account for people."""
        where = f"{self.start}-{self.end} {self.text!r}"
        if not self.kept:
            return f"{self.fact}  {where}  dropped: {self.reason}"
        said = "; ".join(_said(f) for f in self.observations)
        return f"{self.fact}  {where}  observation: {said}"


def _said(f: Finding) -> str:
    if f.term is not None:
        value = f"{f.term} {f.status}"
    else:
        value = str(value_to_json(f.value))
        if f.qualifier:
            value += f" ({f.qualifier})"
    return f"{value}, {f.mention}, confidence {f.confidence}"


def explain(text: str, specs: Sequence[FactSpec]) -> list[Explanation]:
    """Every figure and term mention of ``text`` for each of ``specs``, in text order per fact."""
    kept = find_facts(text, specs)
    out: list[Explanation] = []
    for spec in specs:
        mine = [f for f in kept if f.fact == spec.id]
        if isinstance(spec, NumericFactSpec):
            out.extend(_numeric(text, spec, mine))
        else:
            out.extend(_terms(text, spec, mine))
    return out


def _numeric(text: str, spec: NumericFactSpec, kept: list[Finding]) -> list[Explanation]:
    verdicts = judge_amounts(text, spec)
    out: list[Explanation] = []
    if verdicts is None:
        topic = ", ".join(spec.topic)
        return [Explanation(spec.id, 0, 0, "", False, f"the text names no topic ({topic})")]
    judged = {(a.start, a.end) for a, _ in verdicts}
    for a in find_amounts(text):
        if (a.start, a.end) not in judged and a.kind in _NEVER:
            out.append(
                Explanation(spec.id, a.start, a.end, text[a.start : a.end], False, _NEVER[a.kind])
            )
    for a, verdict in verdicts:
        words = text[a.start : a.end]
        if isinstance(verdict, str):
            out.append(Explanation(spec.id, a.start, a.end, words, False, verdict))
            continue
        final = tuple(f for f in kept if f in verdict)
        if final:
            out.append(Explanation(spec.id, a.start, a.end, words, True, "", final))
        else:
            out.append(
                Explanation(
                    spec.id,
                    a.start,
                    a.end,
                    words,
                    False,
                    "restates an end of a range given before for the same key",
                )
            )
    denials = [f for f in kept if f.mention == "denied" and f.value == 0]
    for f in denials:
        out.append(Explanation(spec.id, f.start, f.end, f.text, True, "", (f,)))
    return sorted(out, key=lambda e: (e.start, e.end))


def _terms(text: str, spec: TermsFactSpec, kept: list[Finding]) -> list[Explanation]:
    subjects = phrases_pattern(spec.subjects)
    if subjects is not None and subjects.search(text) is None:
        names = ", ".join(spec.subjects)
        return [Explanation(spec.id, 0, 0, "", False, f"the text names no subject ({names})")]
    by_span = {(f.start, f.end): f for f in kept}
    out = []
    for term, start, end, reason in explain_terms(text, spec):
        f = by_span.get((start, end))
        words = f"{term}: {text[start:end]}"
        if f is not None and f.term == term:
            out.append(Explanation(spec.id, start, end, words, True, "", (f,)))
        else:
            out.append(Explanation(spec.id, start, end, words, False, reason or "states nothing"))
    return out

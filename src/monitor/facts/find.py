"""Run every tracked fact's finder over one article text."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.facts.model import Finding
from monitor.facts.numeric import find_numeric
from monitor.facts.spec import FactSpec, NumericFactSpec
from monitor.facts.terms import find_terms


def find_facts(text: str, specs: Sequence[FactSpec]) -> list[Finding]:
    """All findings of all ``specs`` in ``text``, in text order."""
    found: list[Finding] = []
    for spec in specs:
        if isinstance(spec, NumericFactSpec):
            found.extend(find_numeric(text, spec))
        else:
            found.extend(find_terms(text, spec))
    return sorted(found, key=lambda f: (f.start, f.end, f.fact))

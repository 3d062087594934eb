"""Terms facts: each mention of a named term with its status (owner: fact-stage terms)."""

from __future__ import annotations

from monitor.facts.model import Finding
from monitor.facts.spec import TermsFactSpec


def find_terms(text: str, spec: TermsFactSpec) -> list[Finding]:
    """Every mention of a term of ``spec`` in ``text``, each with its status."""
    return []

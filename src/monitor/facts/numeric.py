"""Counts and quantities: amounts attributed to a tracked fact (owner: fact-stage numeric)."""

from __future__ import annotations

from monitor.facts.model import Finding
from monitor.facts.spec import NumericFactSpec


def find_numeric(text: str, spec: NumericFactSpec) -> list[Finding]:
    """Every statement of ``spec`` in ``text``."""
    return []

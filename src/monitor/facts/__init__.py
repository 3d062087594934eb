"""The fact stage: finds statements of tracked facts in article text (pure functions)."""

from __future__ import annotations

from monitor.facts.find import find_facts
from monitor.facts.model import Finding, Mention, Value, value_to_json

__all__ = ["Finding", "Mention", "Value", "find_facts", "value_to_json"]

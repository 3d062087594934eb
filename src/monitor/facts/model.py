"""What the fact stage returns: one :class:`Finding` per statement of a tracked fact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from monitor.facts.numbers import Value, value_to_json

__all__ = ["Finding", "Mention", "Value", "value_to_json"]

# current: the article states it as the value now; historical: an earlier figure ("initially 16");
# denied: stated not to be so ("no country has committed troops"); corrected: replaces an earlier
# figure in the same article ("officials now say 31").
Mention = Literal["current", "historical", "denied", "corrected"]


@dataclass(frozen=True)
class Finding:
    """One statement of a tracked fact, with its evidence.

    ``text`` is ``article_text[start:end]``: the exact words; ``sentence`` the sentence holding
    them. Numeric facts carry ``value`` (and maybe ``qualifier``); terms facts carry ``term`` and
    ``status``. ``confidence`` is lowered by hedges ("could", "is expected to") and attributions.
    """

    fact: str
    text: str
    sentence: str
    start: int
    end: int
    value: Value | None = None
    qualifier: str | None = None
    term: str | None = None
    status: str | None = None
    mention: Mention = "current"
    confidence: float = 1.0

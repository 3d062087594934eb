"""Alert rules: which recorded changes go to which channels. Pure functions, no I/O.

A change's *severity* is ``change`` when the change stage judged it alert-worthy (a new fact, a
value that moved), ``conflict`` for a dispute, and ``info`` for everything else (confirmations,
backfill, refinements). A rule fires when the fact id matches one of its globs, the severity
reaches ``min_severity`` (``info`` < ``conflict`` < ``change``), and a numeric change is at least
``min_delta`` / ``min_delta_rel``. ``include_first: false`` drops new facts; ``include_refinements:
true`` adds refinements whatever their severity. The first matching rule of each channel wins, so
one change gives at most one alert per channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase
from typing import Any

from monitor.config import AlertRule, AlertsConfig
from monitor.models import Change

SEVERITY = {"info": 0, "conflict": 1, "change": 2}


@dataclass(frozen=True)
class Route:
    """One alert to write: the channel, the rule (its index) and its digest window."""

    channel: str
    rule: int
    digest: timedelta


def severity(change: Change) -> str:
    """``change``, ``conflict`` or ``info`` (see the module docstring)."""
    if change.alert:
        return "change"
    if change.kind == "conflict":
        return "conflict"
    return "info"


def matches(rule: AlertRule, change: Change) -> bool:
    """Whether ``rule`` fires for ``change``."""
    if not any(fnmatchcase(change.fact, pattern) for pattern in rule.facts):
        return False
    if change.kind == "first" and not rule.include_first:
        return False
    refinement = change.kind == "refinement" and rule.include_refinements
    if not refinement and SEVERITY[severity(change)] < SEVERITY[rule.min_severity]:
        return False
    return change.kind != "change" or material(rule, change)


def material(rule: AlertRule, change: Change) -> bool:
    """Whether a numeric change moves by at least the rule's ``min_delta``/``min_delta_rel``."""
    if not rule.min_delta and not rule.min_delta_rel:
        return True
    old, new = _bounds(change.old_json), _bounds(change.new_json)
    if old is None or new is None:
        return True
    gap = max(new[0] - old[1], old[0] - new[1], 0.0)
    finite = [abs(x) for x in (*old, *new) if abs(x) != float("inf")]
    scale = max(finite, default=0.0)
    if gap < rule.min_delta:
        return False
    return not rule.min_delta_rel or (scale > 0 and gap / scale >= rule.min_delta_rel)


def routes(change: Change, cfg: AlertsConfig) -> list[Route]:
    """The alerts ``change`` gives: at most one per channel, from the first rule that fires."""
    out: dict[str, Route] = {}
    for index, rule in enumerate(cfg.rules):
        if not matches(rule, change):
            continue
        for channel in rule.channels:
            out.setdefault(channel, Route(channel, index, rule.digest))
    return list(out.values())


def _bounds(raw: str | None) -> tuple[float, float] | None:
    data: Any = json.loads(raw) if raw else None
    if isinstance(data, bool):
        return None
    if isinstance(data, int | float):
        return float(data), float(data)
    if isinstance(data, list) and len(data) == 2:
        lo, hi = data
        return (
            float("-inf") if lo is None else float(lo),
            float("inf") if hi is None else float(hi),
        )
    return None

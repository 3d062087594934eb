"""Change stage: decide what a new report means for a fact. Pure functions, no I/O.

One *key* is a fact, a fact + qualifier (a per-country troop figure) or a term of a terms fact.
Its :class:`KeyState` is the accepted value with the reports supporting it, the values it held
before, and any competing claims. A :class:`Report` is what one article version says about the
key: the values it states as current, and the ones it mentions as earlier figures. :func:`decide`
returns one :class:`Decision`:

- ``first``: the key had no value; this report gives it one.
- ``change``: a newer report gives a different value.
- ``refinement``: a compatible but more precise value (``[31, null]`` then ``31``).
- ``confirmation``: the accepted value, from another report.
- ``conflict``: a disagreement that must not flip the value: another outlet stated the accepted
  value in the same news cycle, the accepted value is settled (several outlets recently) and one
  outlet contradicts it, the report repeats a value the key held before (stale copy, flip-flop),
  or the report has no publication date. The key becomes disputed; both claims are kept.
- ``resolved``: a dispute ends (a later report backs one claim); a change only if the value moved.
- ``backfill``: an older article than the accepted value's: history only.

Values compare by meaning: ranges that overlap or contain an integer are compatible, term statuses
``removed`` and ``absent`` are one state, and differences below the materiality thresholds are
not changes. A value *repeats* one the key held before when it is compatible and no more precise
(35 is news after an earlier "more than 30"; 30 again is not). Earlier figures (``earlier``:
"up from 26") acknowledge the accepted value, which makes an update explicit; an earlier figure
the key never held, in a dated article stating no current value, is newer than what the monitor
knows and counts as a report of it (never as a key's first value). A correction ("officials now
say 31") replaces the figure it corrects even when that would otherwise be a conflict. A new
figure stated beside the accepted value counts as an update only when stated at least as firmly
(``Report.confidence``); otherwise it must pass the conflict checks like any other report.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.config import HistoryConfig

Number = int | tuple[int | None, int | None]
Value = Number | str
SAME_STATE = {"absent": "removed"}


@dataclass(frozen=True)
class Support:
    """One report backing a claim."""

    outlet: str | None
    published: datetime | None
    article_id: int
    fingerprint: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Claim:
    """A value with the reports that back it."""

    value: Value
    valid_from: datetime | None
    support: tuple[Support, ...] = ()


@dataclass(frozen=True)
class KeyState:
    """What the monitor believes about one key before the new report."""

    current: Claim | None = None
    held: tuple[Value, ...] = ()
    disputes: tuple[Claim, ...] = ()


@dataclass(frozen=True)
class Report:
    """What one article version says about one key.

    ``values``: what it states as current, its main claim first (most confident, then first in
    the text), with ``confidence`` the firmest statement of each (1.0 when not given);
    ``earlier``: figures it gives as earlier ones ("up from 26"); ``corrections``: values it
    gives as correcting an earlier figure ("officials now say 31").
    """

    values: tuple[Value, ...]
    support: Support
    earlier: tuple[Value, ...] = ()
    confidence: tuple[float, ...] = ()
    corrections: tuple[Value, ...] = ()

    def firmness(self, value: Value) -> float:
        """How firmly the report states ``value`` (its best confidence, 1.0 when unknown)."""
        scores = [c for v, c in zip(self.values, self.confidence, strict=False) if v == value]
        return max(scores, default=1.0)


@dataclass(frozen=True)
class Decision:
    """The verdict on a report and the state it leads to."""

    kind: str
    old: Value | None
    new: Value | None
    state: KeyState
    alert: bool = False
    reason: str = ""
    claims: tuple[Claim, ...] = field(default_factory=tuple)


def decide(state: KeyState, report: Report, cfg: HistoryConfig) -> Decision:
    """Decide what ``report`` means for a key in ``state`` (see the module docstring)."""
    current, sup = state.current, report.support
    if not report.values:
        unseen = _unseen_earlier(state, report, cfg)
        if not unseen:
            return Decision(
                "ignored", _value(current), None, state, reason="no current value stated"
            )
        # An earlier figure the key never held, from an article that states no current value:
        # it is still newer than what the monitor knows, so it counts as a report of it.
        report = replace(report, values=unseen)
    if current is None:
        value = report.values[0]
        if sup.published is None:
            return Decision("ignored", None, value, state, reason="undated report: cannot set")
        new = KeyState(current=Claim(value, sup.published, (sup,)))
        return Decision("first", None, value, new, alert=True)
    agreeing = [v for v in report.values if compatible(v, current.value, cfg)]
    others = [v for v in report.values if not compatible(v, current.value, cfg)]
    fresh = [v for v in others if not _repeats(v, state.held, cfg)]
    # A correction ("officials now say 31") replaces a figure explicitly, even one held before.
    corrected = [v for v in others if v in report.corrections]
    explicit = any(compatible(v, current.value, cfg) for v in report.earlier)
    if agreeing and not fresh and not corrected:
        return _agree(state, agreeing[0], sup, cfg)
    value = (corrected or fresh or others)[0]
    if sup.published is None:
        return _conflict(state, value, sup, "undated report: can confirm, never change")
    if current.valid_from is not None and sup.published < current.valid_from:
        return Decision("backfill", current.value, value, state, reason="older than the value")
    corroborated = _corroborated(state, value, sup, cfg)
    if value not in fresh and not corrected and not corroborated:
        return _conflict(state, value, sup, "repeats a value the fact held before")
    # An update when the article gives the accepted value as the old one, corrects it, or names
    # it beside the new value stated at least as firmly. A new figure hedged beside a firmly
    # restated accepted value may be background or a misreading: it passes the usual checks.
    acknowledged = (
        explicit
        or bool(corrected)
        or any(report.firmness(value) >= report.firmness(a) for a in agreeing)
    )
    if not acknowledged and not corroborated:
        reason = _contested(current, sup, cfg)
        if reason:
            return _conflict(state, value, sup, reason)
    return _change(state, value, sup)


def _repeats(value: Value, held: Sequence[Value], cfg: HistoryConfig) -> bool:
    """Whether ``value`` says again what a value the key held before said.

    A more precise value is news: 35 does not repeat an earlier "more than 30".
    """
    return any(compatible(value, h, cfg) and not narrower(value, h) for h in held)


def _unseen_earlier(state: KeyState, report: Report, cfg: HistoryConfig) -> tuple[Value, ...]:
    """Earlier figures of a dated report that the key never held (nor holds now)."""
    current, published = state.current, report.support.published
    if current is None or published is None:
        return ()
    if current.valid_from is not None and published < current.valid_from:
        return ()
    return tuple(
        v
        for v in report.earlier
        if not compatible(v, current.value, cfg)
        and not _repeats(v, state.held, cfg)
        and not any(compatible(v, c.value, cfg) for c in state.disputes)
    )


def _agree(state: KeyState, value: Value, sup: Support, cfg: HistoryConfig) -> Decision:
    current = state.current
    assert current is not None
    support = (*current.support, sup)
    disputes = state.disputes
    if disputes and sup.published is not None:
        # A dated report from an outlet outside the dispute settles it for the accepted value.
        if all(sup.outlet != s.outlet for c in disputes for s in c.support):
            disputes = ()
    if narrower(value, current.value) and sup.published is not None:
        claim = Claim(value, current.valid_from, support)
        new = replace(state, current=claim, disputes=disputes)
        return Decision("refinement", current.value, value, new)
    new = replace(state, current=replace(current, support=support), disputes=disputes)
    kind = "resolved" if state.disputes and not disputes else "confirmation"
    return Decision(kind, current.value, current.value, new)


def _conflict(state: KeyState, value: Value, sup: Support, reason: str) -> Decision:
    current = state.current
    assert current is not None
    disputes = list(state.disputes)
    for i, claim in enumerate(disputes):
        if claim.value == value:
            disputes[i] = replace(claim, support=(*claim.support, sup))
            break
    else:
        disputes.append(Claim(value, sup.published, (sup,)))
    new = replace(state, disputes=tuple(disputes))
    return Decision("conflict", current.value, value, new, reason=reason, claims=tuple(disputes))


def _change(state: KeyState, value: Value, sup: Support) -> Decision:
    current = state.current
    assert current is not None
    earlier = [c for c in state.disputes if c.value == value]
    support = (*(s for c in earlier for s in c.support), sup)
    held = (*(h for h in state.held if h != current.value), current.value)
    new = KeyState(current=Claim(value, sup.published, support), held=held)
    return Decision("change", current.value, value, new, alert=True)


def _contested(current: Claim, sup: Support, cfg: HistoryConfig) -> str:
    """Why a different value may not replace ``current`` yet ('' when it may)."""
    assert sup.published is not None
    recent = [
        s
        for s in current.support
        if s.published is not None and sup.published - s.published <= cfg.settled_window
    ]
    others = [s for s in recent if s.outlet != sup.outlet]
    if any(sup.published - s.published <= cfg.conflict_window for s in others if s.published):
        return "another outlet stated the accepted value in the same news cycle"
    if distinct_sources(others, cfg) >= cfg.settled_sources:
        return f"the accepted value is settled ({cfg.settled_sources}+ outlets recently)"
    return ""


def _corroborated(state: KeyState, value: Value, sup: Support, cfg: HistoryConfig) -> bool:
    """Whether a competing claim for ``value`` is now backed by enough distinct outlets."""
    for claim in state.disputes:
        if compatible(claim.value, value, cfg):
            dated = [s for s in (*claim.support, sup) if s.published is not None]
            return distinct_sources(dated, cfg) >= cfg.settled_sources
    return False


def distinct_sources(support: Sequence[Support], cfg: HistoryConfig) -> int:
    """Distinct outlets; near-identical texts (wire copy republished) count once."""
    kept: list[Support] = []
    for s in support:
        if any(s.outlet == k.outlet for k in kept):
            continue
        if any(similarity(s.fingerprint, k.fingerprint) >= cfg.near_duplicate for k in kept):
            continue
        kept.append(s)
    return len(kept)


def fingerprint(text: str, *, size: int = 5) -> frozenset[int]:
    """Hashed word shingles of a text, for near-duplicate detection."""
    words = text.lower().split()
    return frozenset(
        zlib.crc32(" ".join(words[i : i + size]).encode()) for i in range(len(words) - size + 1)
    )


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two fingerprints (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _value(claim: Claim | None) -> Value | None:
    return None if claim is None else claim.value


def _bounds(v: Number) -> tuple[float, float]:
    if isinstance(v, int):
        return float(v), float(v)
    lo, hi = v
    return (float("-inf") if lo is None else lo), (float("inf") if hi is None else hi)


def compatible(a: Value, b: Value, cfg: HistoryConfig | None = None) -> bool:
    """Whether two values say the same thing (overlap, containment, same term state)."""
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and _state(a) == _state(b)
    (alo, ahi), (blo, bhi) = _bounds(a), _bounds(b)
    if alo <= bhi and blo <= ahi:
        return True
    if cfg is None:
        return False
    gap = alo - bhi if alo > bhi else blo - ahi
    scale = max(abs(x) for x in (alo, ahi, blo, bhi) if abs(x) != float("inf"))
    return gap <= cfg.material_abs or (scale > 0 and gap / scale <= cfg.material_rel)


def narrower(a: Value, b: Value) -> bool:
    """Whether ``a`` is strictly more precise than ``b`` (an integer inside a range...)."""
    if isinstance(a, str) or isinstance(b, str):
        return False
    (alo, ahi), (blo, bhi) = _bounds(a), _bounds(b)
    return blo <= alo and ahi <= bhi and (alo, ahi) != (blo, bhi)


def _state(status: str) -> str:
    return SAME_STATE.get(status, status)

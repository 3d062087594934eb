"""Timelines drawn on the server as SVG: a step line of a number over time, ranges as bands,
disputed claims as hollow diamonds, term statuses as coloured spans.

Pure functions from the history's versions to markup: no JavaScript, nothing to download, the
chart prints and scales with the page, and every point is a link to its evidence (``#v<id>``)
with a ``<title>`` that screen readers and tooltips read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from markupsafe import Markup, escape

from monitor.display import day_text, value_text, when_text

W, H = 720, 230
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 14, 34
ACCEPTED = ("current", "superseded", "history")
DISPUTED = ("disputed", "rejected")
# Status colours pass WCAG AA (>= 4.5:1) against the white page, for their labels too.
STATUS_COLOURS = {
    "present": "#146c2e",
    "proposed": "#8a5300",
    "removed": "#5f6368",
    "absent": "#5f6368",
    "disputed": "#b3261e",
}


@dataclass(frozen=True)
class Span:
    """One version laid out on the time axis."""

    version: int
    value: Any
    state: str
    status: str
    start: datetime
    end: datetime
    sources: int


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def spans(versions: Sequence[dict[str, Any]], end: datetime) -> list[Span]:
    """Each version from when it held (publication time, else when first read) to its end."""
    out = []
    for v in versions:
        start = _time(v["valid_from"]) or _time(v["first_seen"])
        if start is None:
            continue
        stop = _time(v["valid_until"]) or _time(v.get("superseded_at")) or end
        out.append(
            Span(
                version=v["version"],
                value=v["value"],
                state=v["state"],
                status=v["status"],
                start=start,
                end=max(stop, start),
                sources=v["sources"],
            )
        )
    return sorted(out, key=lambda s: (s.start, s.version))


def extent(versions: Sequence[dict[str, Any]], as_of: datetime | None) -> tuple[datetime, datetime]:
    """The time axis: from the first version to the last thing known (or ``as_of``), padded."""
    times = [
        t
        for v in versions
        for k in ("valid_from", "valid_until", "first_seen", "last_seen")
        if (t := _time(v.get(k))) is not None
    ]
    lo, hi = min(times), max(times)
    if as_of is not None:
        hi = max(lo, min(hi, as_of))
    pad = max((hi - lo) * 0.04, timedelta(hours=12))
    return lo - pad, hi + pad


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'L' if i else 'M'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points))


def _bounds(value: Any) -> tuple[float | None, float | None]:
    if isinstance(value, list):
        return value[0], value[1]
    return (value, value) if isinstance(value, int) else (None, None)


def _anchor(lo: float | None, hi: float | None) -> float:
    """Where a value sits on the line: the figure stated ("up to 30,000" at 30,000), the middle
    of a closed range."""
    if lo is None or hi is None:
        return float(hi if lo is None else lo)  # type: ignore[arg-type]
    return (lo + hi) / 2


def _title(s: Span, tz: tzinfo) -> str:
    what = value_text(s.value)
    until = "" if s.state in ("current", "disputed") else f" until {day_text(s.end, tz)}"
    return (
        f"{what} from {when_text(s.start, tz)}{until}: {s.state}, {s.status}, "
        f"{s.sources} source{'s' if s.sources != 1 else ''}"
    )


def numeric_chart(
    versions: Sequence[dict[str, Any]],
    *,
    label: str,
    tz: tzinfo,
    as_of: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Markup:
    """A step line of the accepted values, bands for ranges, diamonds for disputed claims;
    ``window`` shares one time axis between the charts of a page."""
    t0, t1 = window or extent(versions, as_of)
    laid = spans(versions, t1)
    highs = [b for s in laid for b in _bounds(s.value) if b is not None]
    top = max(highs, default=1) * 1.15 or 1
    step = _nice_step(top)
    top = math.ceil(top / step) * step
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: datetime) -> float:
        return LEFT + plot_w * (t - t0) / (t1 - t0)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [_frame(t0, t1, tz, x)]
    for i in range(int(top / step) + 1):
        v = i * step
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{escape(value_text(int(v)))}</text>"
        )
    line: list[tuple[float, float]] = []
    points: list[str] = []
    for s in laid:
        if s.state not in ACCEPTED:
            continue
        lo, hi = _bounds(s.value)
        if lo is None and hi is None:
            continue
        x0, x1 = x(s.start), x(min(s.end, t1))
        if lo != hi:  # a range: a band, open ends reaching the edge of the plot
            y_hi, y_lo = y(hi if hi is not None else top), y(lo if lo is not None else 0)
            parts.append(
                f'<rect class="band" x="{x0:.1f}" y="{y_hi:.1f}" width="{max(x1 - x0, 2):.1f}" '
                f'height="{max(y_lo - y_hi, 2):.1f}"/>'
            )
        mid = _anchor(lo, hi)
        if s.state != "history":  # a backfilled earlier value is a point, not part of the line
            line += [(x0, y(mid)), (x1, y(mid))]
        points.append(_point(s, x0, y(mid), tz, "point"))
    if line:
        parts.append(f'<path class="step" d="{_path(line)}"/>')
    parts += points
    for s in laid:
        if s.state in DISPUTED:
            parts.append(
                _point(s, x(s.start), y(_anchor(*_bounds(s.value))), tz, f"claim {s.state}")
            )
    return _svg(label, parts)


def terms_chart(
    keys: dict[str, Sequence[dict[str, Any]]],
    *,
    label: str,
    tz: tzinfo,
    as_of: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Markup:
    """One row per term: its statuses over time as coloured spans, disputed ones outlined."""
    every = [v for vs in keys.values() for v in vs]
    t0, t1 = window or extent(every, as_of)
    row_h = 30
    height = TOP + BOTTOM + row_h * len(keys)
    left = 250
    plot_w = W - left - RIGHT

    def x(t: datetime) -> float:
        return left + plot_w * (t - t0) / (t1 - t0)

    parts = [_frame(t0, t1, tz, x, bottom=height - BOTTOM, left=left, ticks=3)]
    for i, (term, versions) in enumerate(keys.items()):
        y0 = TOP + i * row_h
        name = term.replace("_", " ")
        short = name if len(name) <= 36 else name[:35] + "…"
        parts.append(
            f'<text class="term" x="{left - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{escape(name)}</title>{escape(short)}</text>"
        )
        for s in spans(versions, t1):
            x0, x1 = x(s.start), x(min(s.end, t1))
            colour = STATUS_COLOURS.get(str(s.value), "#0b57d0")
            cls = "span claim" if s.state in DISPUTED else "span"
            width = max(x1 - x0, 6)
            # The status in words inside the span when it fits (white on these colours >= 4.5:1).
            inside = (
                f'<text class="status" x="{x0 + 6:.1f}" y="{y0 + row_h / 2 + 4:.1f}">'
                f"{escape(value_text(s.value))}</text>"
                if width > 9 * len(value_text(s.value)) and s.state not in DISPUTED
                else ""
            )
            parts.append(
                f'<a href="#v{s.version}" aria-label="{escape(term)}: {escape(_title(s, tz))}">'
                f'<rect class="{cls}" x="{x0:.1f}" y="{y0 + 4}" '
                f'width="{width:.1f}" height="{row_h - 8}" fill="{colour}">'
                f"<title>{escape(term)}: {escape(_title(s, tz))}</title></rect>{inside}</a>"
            )
    return _svg(label, parts, height=height, kind="terms")


def _point(s: Span, px: float, py: float, tz: tzinfo, cls: str) -> str:
    shape = (
        f'<rect class="{cls}" x="{px - 6:.1f}" y="{py - 6:.1f}" width="12" height="12" '
        f'transform="rotate(45 {px:.1f} {py:.1f})">'
        if "claim" in cls
        else f'<circle class="{cls}" cx="{px:.1f}" cy="{py:.1f}" r="6">'
    )
    closing = "</rect>" if "claim" in cls else "</circle>"
    return (
        f'<a href="#v{s.version}" aria-label="{escape(_title(s, tz))}">{shape}'
        f"<title>{escape(_title(s, tz))}</title>{closing}</a>"
    )


def _frame(
    t0: datetime,
    t1: datetime,
    tz: tzinfo,
    x: Any,
    *,
    bottom: int = H - BOTTOM,
    left: int = LEFT,
    ticks: int = 5,
) -> str:
    n, labels = ticks, []
    short = t1 - t0 < timedelta(days=4)
    for i in range(n):
        t = t0 + (t1 - t0) * (i + 0.5) / n
        text = when_text(t, tz)[5:16] if short else day_text(t, tz)
        labels.append(
            f'<text class="tick" x="{x(t):.1f}" y="{bottom + 20}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    return (
        f'<line class="axis" x1="{left}" x2="{W - RIGHT}" y1="{bottom}" y2="{bottom}"/>'
        + "".join(labels)
    )


def _svg(label: str, parts: list[str], *, height: int = H, kind: str = "numeric") -> Markup:
    return Markup(
        f'<svg class="chart {kind}" viewBox="0 0 {W} {height}" role="img" '
        f'aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        + "".join(parts)
        + "</svg>"
    )


def sparkline(
    versions: Sequence[dict[str, Any]],
    *,
    tz: tzinfo,
    window: tuple[datetime, datetime] | None = None,
) -> Markup:
    """A small timeline for the overview: the accepted values as a step line, ranges as bands,
    statuses as coloured spans; ``window`` puts every key on one time axis."""
    if not versions:
        return Markup("")
    w, h, pad = 132, 30, 4
    t0, t1 = window or extent(versions, None)
    laid = [s for s in spans(versions, t1) if s.state in ACCEPTED]
    if not laid:
        return Markup("")

    def x(t: datetime) -> float:
        return pad + (w - 2 * pad) * (t - t0) / (t1 - t0)

    parts: list[str] = []
    if isinstance(laid[0].value, str):
        for s in laid:
            colour = STATUS_COLOURS.get(str(s.value), "#0b57d0")
            parts.append(
                f'<rect x="{x(s.start):.1f}" y="{h / 2 - 5}" '
                f'width="{max(x(min(s.end, t1)) - x(s.start), 3):.1f}" height="10" '
                f'fill="{colour}"/>'
            )
    else:
        top = max(max(b for s in laid for b in _bounds(s.value) if b is not None), 1)

        def y(v: float) -> float:
            return h - pad - (h - 2 * pad) * v / top

        points = []
        for s in laid:
            lo, hi = _bounds(s.value)
            if s.state == "history" or (lo is None and hi is None):
                continue
            x0, x1 = x(s.start), x(min(s.end, t1))
            if lo != hi:
                y_hi, y_lo = y(hi if hi is not None else top), y(lo if lo is not None else 0)
                parts.append(
                    f'<rect class="band" x="{x0:.1f}" y="{y_hi:.1f}" '
                    f'width="{max(x1 - x0, 2):.1f}" height="{max(y_lo - y_hi, 2):.1f}"/>'
                )
            points += [(x0, y(_anchor(lo, hi))), (x1, y(_anchor(lo, hi)))]
        if points:
            d = " ".join(
                f"{'L' if i else 'M'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points)
            )
            parts.append(f'<path class="step" d="{d}"/>')
            parts.append(
                f'<circle class="point" cx="{points[-2][0]:.1f}" cy="{points[-1][1]:.1f}" r="3"/>'
            )
    summary = ", ".join(f"{value_text(s.value)} from {day_text(s.start, tz)}" for s in laid)
    return Markup(
        f'<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )

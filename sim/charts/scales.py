"""Value axes worked out from the data: a domain that holds every band, round ticks, and a
format whose labels all differ.

Vega picks ticks and label decimals itself, but only from what it is told: a fixed format
(``%``) gave every tick of a narrow mental-health axis the label ``10%``, and a domain from
the mean alone cut the bands at the top. :func:`value_axis` decides all three in Python,
from every value a chart draws (the 5th to 95th percentiles as well as the mean), so:

- the domain covers the bands with room to spare (:data:`sim.charts.axes.HEADROOM`) and
  ends on a tick at the top (and at the bottom, unless that is most of a step further);
- ticks are 1, 2 or 5 times a power of ten apart, about :data:`TICKS` of them;
- labels have exactly the decimals the tick step needs, so no two read the same.

The same axis can be given to several charts, which then share one scale
(:func:`shared_axis`). :func:`apply_axis` writes an axis into a Vega-Lite spec.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.charts.axes import headroom, nice_step

#: Marks kept inside the plot by :func:`apply_axis` (a safety net: the domain holds them).
CLIPPED = frozenset({"area", "line", "point", "rule", "bar"})
#: About this many ticks on a value axis (a small panel and a full-width chart alike).
TICKS = 5


@dataclass(frozen=True)
class ValueAxis:
    """A value axis: its domain, ticks and label format (d3), in the chart's units."""

    low: float
    high: float
    ticks: tuple[float, ...]
    decimals: int
    percent: bool

    @property
    def format(self) -> str:
        """The d3 format of the tick labels: ``.1%`` or ``,.0f``."""
        return f".{self.decimals}%" if self.percent else f",.{self.decimals}f"

    def labels(self) -> list[str]:
        """The tick labels as the chart draws them (d3's format, in Python)."""
        if self.percent:
            return [f"{100 * t:.{self.decimals}f}%" for t in self.ticks]
        return [f"{t:,.{self.decimals}f}" for t in self.ticks]


def _decimals(step: float, percent: bool) -> int:
    """Decimals that tell ticks ``step`` apart (a step of 0.002 as a percentage: 1)."""
    shown = 100 * step if percent else step
    return max(0, -math.floor(math.log10(shown) + 1e-9))


def _next_step(step: float) -> float:
    """The next 1, 2 or 5 times a power of ten above ``step``."""
    exp = math.floor(math.log10(step) + 1e-9)
    f = round(step / 10.0**exp)
    return (2.0 if f < 2 else 5.0 if f < 5 else 10.0) * 10.0**exp


def value_axis(
    values: Iterable[float | None], percent: bool, zero: bool, ticks: int = TICKS
) -> ValueAxis:
    """The axis of a chart that draws ``values`` (every mean and percentile shown).

    Args:
        values: the chart's values; ``None`` and values that are not finite are left out.
        percent: values are fractions, labelled as percentages.
        zero: the axis starts at zero (for amounts; shares near their level start near it).
        ticks: at most this many intervals between ticks (about as many).
    """
    shown = [v for v in values if v is not None and math.isfinite(v)]
    if zero and shown:
        # Rounding just below zero is not a negative value to make room for.
        span = max(shown) - min(shown)
        shown = [0.0 if -1e-6 * span <= v < 0 else v for v in shown]
    room = headroom(shown, zero)
    if room is None:  # nothing to draw: an axis that reads sensibly all the same
        room = (0.0, 1.0 if not percent else 0.1)
    low, high = room
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    step = nice_step(high - low, ticks)
    while True:
        start = math.floor(low / step + 1e-9) * step
        end = math.ceil(high / step - 1e-9) * step
        if end <= start:
            end = start + step
        n = round((end - start) / step)
        if n <= ticks:
            break
        step = _next_step(step)  # no more than ``ticks`` intervals: labels need room
    # Rounded, so 0.1 + 0.2 is 0.3 and a tick at zero is exactly zero.
    points = tuple(round(start + i * step, 12) + 0.0 for i in range(n + 1))
    bottom = points[0]
    if low - start > step / 2 and len(points) > 2:
        # A little below a tick (a small negative under an axis from zero): end the axis
        # just below the data rather than most of a step further down.
        bottom, points = low, points[1:]
    return ValueAxis(bottom, points[-1], points, _decimals(step, percent), percent)


def band_values(rows: Iterable[dict[str, Any]]) -> list[float | None]:
    """Every value a fan chart draws: the mean and the outer band's edges of each row."""
    return [r.get(k) for r in rows for k in ("mean", "p05", "p95")]


def shared_axis(
    groups: Iterable[Iterable[dict[str, Any]]], percent: bool, zero: bool, ticks: int = TICKS
) -> ValueAxis:
    """One axis for several fan charts' rows, so that they share a scale."""
    values: list[float | None] = []
    for rows in groups:
        values += band_values(rows)
    return value_axis(values, percent, zero, ticks)


def apply_axis(spec: dict[str, Any], axis: ValueAxis) -> dict[str, Any]:
    """``spec`` (changed in place and returned) with ``axis`` on every layer's y channel
    that has a scale or an axis: the domain fixed (not made "nice" again, which could
    move its ends), marks clipped to it, ticks and format set."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            enc = node.get("encoding")
            if isinstance(enc, dict) and isinstance(enc.get("y"), dict):
                y = enc["y"]
                if "scale" in y or "axis" in y or "title" in y:
                    scale = y.get("scale") or {}
                    y["scale"] = {
                        **scale,
                        "domain": [axis.low, axis.high],
                        "nice": False,
                        "zero": False,
                    }
                    # Values only (with a tick count as well, the app's Vega picks its
                    # own), every one labelled (they are far enough apart for their text).
                    y["axis"] = {
                        **(y.get("axis") or {}),
                        "values": list(axis.ticks),
                        "format": axis.format,
                        "labelOverlap": False,
                    }
            mark = node.get("mark")
            if isinstance(mark, str) and mark in CLIPPED:
                node["mark"] = {"type": mark, "clip": True}
            elif isinstance(mark, dict) and mark.get("type") in CLIPPED:
                mark["clip"] = True  # (not text: a label beside the plot must show)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)
    return spec

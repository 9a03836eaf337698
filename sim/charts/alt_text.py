"""Charts in words: a sentence or two saying what a fan chart shows, for people who cannot
see it (the chart's accessible description) and for everyone (the caption under it).

:func:`describe_fan` says, for each series, where its mean starts and ends and where 9 in 10
simulated futures end, e.g. "Primary care share: from 13.0% in April 2025 to 12.3% in
March 2030; 9 in 10 simulated futures end between 12.2% and 12.5%." The words are plain on
purpose: no "p05", no "mean", no "replication".
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from typing import Any

from sim.charts.axes import label_decimals
from sim.units import display

#: The fields a row needs for a sentence (rows with any of them missing are skipped).
NEEDED = ("mean", "p05", "p95")


def month_words(month: str) -> str:
    """``2025-04-01`` (or ``2025-04``) as ``April 2025``."""
    return f"{calendar.month_name[int(month[5:7])]} {month[:4]}"


def _decimals(values: Sequence[float], percent: bool) -> int:
    """Decimals enough to tell the sentence's numbers apart, and no more (one fewer than a
    chart label; at least one for a percentage or a small amount of money)."""
    d = max(0, label_decimals(values, percent) - 1)
    if percent or max((abs(v) for v in values), default=0.0) < 100:
        d = max(d, 1)
    return d


def _subject(series: str, y_title: str | None, percent: bool) -> str:
    """``Primary care share`` for a share; ``Acute (£m a year)`` for an amount."""
    name = series[:1].upper() + series[1:]
    title = (y_title or "").strip()
    if not title or title.lower() in series.lower() or ":" in series:
        # A name such as "A: 1 GP seat of 12" is the whole subject.
        return name
    return f"{name} {title}" if percent else f"{name} ({title})"


def describe_fan(
    rows: Sequence[dict[str, Any]], y_title: str | None, percent: bool, decimals: int | None = None
) -> str:
    """What a fan chart of ``rows`` shows, one sentence per series.

    Args:
        rows: :func:`sim.charts.fan.band_rows` (one per month and series).
        y_title: the value axis's title, e.g. ``share`` or ``£m a year``.
        percent: values are fractions, said as percentages.
        decimals: of every number (default: enough to tell them apart).
    """
    out = []
    for series in dict.fromkeys(str(r["series"]) for r in rows):
        mine = [
            r for r in rows if str(r["series"]) == series and all(_ok(r.get(k)) for k in NEEDED)
        ]
        if not mine:
            continue
        first, last = mine[0], mine[-1]
        shown = [float(x) for x in (first["mean"], last["mean"], last["p05"], last["p95"])]
        d = decimals if decimals is not None else _decimals(shown, percent)

        def v(x: Any, d: int = d) -> str:
            return display.percent(float(x), d) if percent else display.number(float(x), d)

        out.append(
            f"{_subject(series, y_title, percent)}: from {v(first['mean'])} in "
            f"{month_words(first['month'])} to {v(last['mean'])} in "
            f"{month_words(last['month'])}; 9 in 10 simulated futures end between "
            f"{v(last['p05'])} and {v(last['p95'])}."
        )
    return " ".join(out)


def _ok(x: Any) -> bool:
    """A number to say (not ``None``, not NaN or infinite)."""
    return isinstance(x, int | float) and x == x and abs(x) != float("inf")

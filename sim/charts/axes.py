"""Axes and number formats shared by the charts: the month axis, value formats, decimals.

Months are ``YYYY-MM-01`` strings (``month`` field, :func:`sim.charts.fan.band_rows`),
read as UTC dates on a UTC time scale, so a chart reads the same in every time zone.
Value axes leave the number of decimals to the data: a d3 format without a precision
(``%``, ``,f``) gets as many decimals as the tick step needs, so tick labels never all
read the same however narrow the range. Fractions are drawn as percentages; money in £m.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt

from sim.units import display

#: Share of a value axis's span kept clear beyond the data, so a band that reaches the
#: data's extreme is not drawn against the top of the frame (:func:`headroom`).
HEADROOM = 0.04
#: The field of the invisible marks that stretch a value axis by :data:`HEADROOM`.
ROOM = "room"
#: The month field of chart rows.
MONTH = "month"
#: Narrowest room, in pixels, for a ``2025/26`` label per financial year; less gets ``25/26``.
YEAR_LABEL_ROOM = 56
#: Most financial years labelled on a month axis (a longer horizon labels every few years).
MAX_YEAR_TICKS = 10


def axis_format(percent: bool) -> str:
    """The d3 format of a value axis: percent or thousands-separated, decimals from the step."""
    return "%" if percent else ",f"


def tooltip_format(percent: bool) -> str:
    """The d3 format of a value in a tooltip: ``12.34%`` or ``1,234.5``."""
    return ".2%" if percent else ",.1f"


def nice_step(span: float, target: int = 5) -> float:
    """A 1, 2 or 5 times a power of ten near ``span / (target - 1)``: an axis's tick step."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(target - 1, 1)
    exp = math.floor(math.log10(raw))
    f = raw / 10.0**exp
    nf = 1.0 if f < 1.5 else 2.0 if f < 3 else 5.0 if f < 7 else 10.0
    return nf * 10.0**exp


def label_decimals(values: Iterable[float], percent: bool) -> int:
    """Decimals of a value label: one more than the axis ticks of ``values`` need.

    ``values`` are fractions when ``percent`` (labelled as percentages), else plain numbers.
    """
    shown = [100 * v if percent else v for v in values if math.isfinite(v)]
    if not shown:
        return 1
    low, high = min(shown), max(shown)
    scale = max(abs(low), abs(high))
    span = high - low if high - low > 1e-9 * max(scale, 1e-300) else 0.1 * scale
    step = nice_step(span)
    return max(0, -math.floor(math.log10(step) + 1e-9)) + 1


def value_label(x: float, percent: bool, decimals: int) -> str:
    """A value as a chart labels it: ``12.34%`` for a fraction, ``1,234.5`` otherwise."""
    return display.percent(x, decimals) if percent else display.number(x, decimals)


def _month_date(month: str) -> dt.datetime:
    return dt.datetime.strptime(month[:7], "%Y-%m").replace(tzinfo=dt.UTC)


def april_starts(months: Sequence[str]) -> list[float]:
    """The first of each April among ``months`` (``YYYY-MM-01``), as UTC milliseconds."""
    out = []
    for m in dict.fromkeys(months):
        d = _month_date(m)
        if d.month == 4:
            out.append(d.timestamp() * 1000)
    return sorted(out)


def financial_year_label(short: bool = False) -> str:
    """A Vega expression labelling an April tick with its financial year, ``2025/26``."""
    year = "utcyear(datum.value)"
    first = f"substring(toString({year}), 2)" if short else f"toString({year})"
    return f"{first} + '/' + substring(toString({year} + 1), 2)"


def month_x(years: bool = False, months: Sequence[str] = (), width: float = 0.0) -> alt.X:
    """The x channel of a chart over months.

    Args:
        years: label financial years (a tick and grid line at each April, the label just
            after it) instead of months (``2025-04``).
        months: the chart's months, for the April ticks (needed with ``years``).
        width: the plot's width in pixels, to choose long or short year labels; 0 for a
            chart as wide as its container (the app's), which chooses as it is drawn, from
            its width then.
    """
    scale = alt.Scale(type="utc")
    if not years:
        axis = alt.Axis(format="%Y-%m", labelAngle=0)
        return alt.X(f"{MONTH}:T", title=None, axis=axis, scale=scale)
    ticks = april_starts(months)
    # A long horizon labels every few years: a label per year would not fit.
    every = max(1, math.ceil(len(ticks) / MAX_YEAR_TICKS))
    ticks = ticks[::every]
    if width:
        short = bool(ticks) and width / len(ticks) < YEAR_LABEL_ROOM
        label = financial_year_label(short)
    else:
        room = f"width / {max(len(ticks), 1)} < {YEAR_LABEL_ROOM}"
        label = f"{room} ? {financial_year_label(True)} : {financial_year_label(False)}"
    # Vega-Lite date-times, not milliseconds: the app's Vega drops numeric values of a time
    # axis (no ticks, labels or grid at all), where vl-convert draws both alike.
    when = [dt.datetime.fromtimestamp(t / 1000, dt.UTC) for t in ticks]
    axis = alt.Axis(
        values=[alt.DateTime(year=w.year, month=w.month, date=1, utc=True) for w in when],
        labelExpr=label,
        labelAlign="left",
        labelPadding=4,
        labelAngle=0,
        labelOverlap=True,
        tickSize=6,
        grid=True,
    )
    return alt.X(f"{MONTH}:T", title=None, axis=axis, scale=scale)


def month_tooltip() -> alt.Tooltip:
    """The month of a point, ``2025-04``, in a tooltip (UTC, as the axis)."""
    return alt.Tooltip(f"{MONTH}:T", timeUnit="utcyearmonth", format="%Y-%m", title="month")


def description(*parts: str) -> str:
    """Sentences joined into one accessible description (empty parts left out)."""
    out = []
    for p in parts:
        p = p.strip()
        if p:
            out.append(p if p.endswith((".", "!", "?")) else p + ".")
    return " ".join(out)


def finite(x: Any) -> Any:
    """``x``, or ``None`` for a number that is not finite (JSON has no NaN; Vega leaves
    nulls out and breaks lines and bands around them)."""
    if isinstance(x, float | int) and not isinstance(x, bool) and not math.isfinite(x):
        return None
    return x


#: Glyph widths in ems of a wide sans-serif (DejaVu Sans, what ``system-ui`` is on many
#: Linux desktops); the renderer measures text with a narrower font, so layouts leave room
#: for these widths where text would otherwise run past the edge.
_NARROW = frozenset("fijlrt.,:;'|!()[] ")
_WIDE = frozenset("mwMW%@")


def text_width(text: str, size: float = 12, bold: bool = False) -> float:
    """A generous estimate of the width of ``text`` in pixels, at ``size`` pixels."""
    ems = 0.0
    for ch in text:
        if ch in _NARROW:
            ems += 0.36
        elif ch in _WIDE:
            ems += 0.95
        elif ch.isupper():
            ems += 0.72
        else:
            ems += 0.62
    return ems * size * (1.12 if bold else 1.0)


def overhang(text: str, size: float = 12, bold: bool = False) -> float:
    """Pixels to add beyond the renderer's own room for ``text`` at a chart's edge: the
    renderer's font is up to about a quarter narrower than a wide system font."""
    return round(0.3 * text_width(text, size, bold))


def headroom(values: Iterable[float | None], zero: bool) -> tuple[float, float] | None:
    """Values just beyond the lowest and highest of ``values`` (by :data:`HEADROOM` of their
    span), for invisible marks that keep the data off the top and bottom of the frame; the
    axis then ends at the next round number. An axis from zero keeps zero at its foot (the
    low end stays at the data). ``None`` if no value is finite."""
    shown = [v for v in values if v is not None and math.isfinite(v)]
    if not shown:
        return None
    low, high = min(shown), max(shown)
    span = high - low or 0.1 * max(abs(high), 1e-12)
    top = high + HEADROOM * span
    bottom = low if zero and low >= 0 else low - HEADROOM * span
    return bottom, top


def series_channel(
    channel: type[alt.Color] | type[alt.StrokeDash],
    order: Sequence[str],
    values: Sequence[Any],
    legend: alt.Legend | None,
) -> Any:
    """A channel that maps each series, in ``order``, to its value (a colour, a dash
    pattern), with no title and the given legend: the series key every multi-series chart
    shares."""
    return channel(
        "series:N",
        title=None,
        sort=list(order),
        scale=alt.Scale(domain=list(order), range=list(values)),
        legend=legend,
    )

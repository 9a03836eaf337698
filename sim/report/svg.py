"""Small SVG charts for the offline batch report: fan charts, line charts, bar charts.

Pure string building, no plotting library: every chart is one self-contained ``<svg>``
element (inline in the report, or saved on its own) with a ``<title>`` and an
``aria-label`` that says what it shows. Output is deterministic: the same input gives the
same bytes (coordinates are rounded to a tenth of a pixel, nothing random, no timestamps).

Values are drawn in the units they are given in (the caller converts pence to £m and
fractions to percentages). Values that are not finite (NaN, infinity) are never written:
lines and bands break around them, and an axis with no finite value falls back to 0-1.

The x axis of fan and line charts counts months from April of a start year; financial years
label it (:func:`financial_years`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sim.units.calendar import Calendar

Floats = npt.NDArray[np.float64]

#: System font stack: no web fonts, so the report renders offline everywhere.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
#: Okabe-Ito colours (safe for the common colour-vision deficiencies), without the yellow,
#: which is unreadable on white. Lines beyond seven also get a dash pattern.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "7 4", "2 3", "9 3 2 3")
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#e4e7eb"
AXIS = "#8c959f"
#: Opacity of the 90% and 50% bands of a fan chart.
OPACITY_90 = 0.16
OPACITY_50 = 0.36

FONT_SIZE = 12
TITLE_SIZE = 14
CHAR_WIDTH = 0.58  # average glyph width of the font stack, in ems (for layout estimates)


class BandLike(Protocol):
    """A mean and quantiles over replications, each one value per month (``sim.analysis.monthly.Band``)."""

    @property
    def mean(self) -> Floats: ...
    @property
    def p05(self) -> Floats: ...
    @property
    def p25(self) -> Floats: ...
    @property
    def p50(self) -> Floats: ...
    @property
    def p75(self) -> Floats: ...
    @property
    def p95(self) -> Floats: ...


@dataclass(frozen=True)
class Period:
    """A labelled span of the x axis, in months: a financial year."""

    start: int
    end: int
    label: str
    short: str


def financial_years(start_year: int, years: int) -> list[Period]:
    """The financial years of a horizon, e.g. ``2025/26`` (short form ``25/26``)."""
    cal = Calendar(start_year, years)
    out = []
    for y in range(years):
        label = cal.financial_year(y)
        out.append(Period(12 * y, 12 * y + 12, label, label[2:]))
    return out


@dataclass(frozen=True)
class Ticks:
    """Axis ticks at round numbers, and the decimals their labels need."""

    values: tuple[float, ...]
    decimals: int

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]

    def label(self, value: float, suffix: str = "") -> str:
        return format_number(value, self.decimals) + suffix


def format_number(value: float, decimals: int) -> str:
    """``1,234.5``-style; never ``-0``; ``n/a`` when not finite."""
    if not math.isfinite(value):
        return "n/a"
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text


def _nice(x: float, round_: bool) -> float:
    """A 1, 2 or 5 times a power of ten near ``x`` (Heckbert's nice numbers)."""
    exp = math.floor(math.log10(x))
    f = x / 10.0**exp
    if round_:
        nf = 1.0 if f < 1.5 else 2.0 if f < 3 else 5.0 if f < 7 else 10.0
    else:
        nf = 1.0 if f <= 1 else 2.0 if f <= 2 else 5.0 if f <= 5 else 10.0
    return nf * 10.0**exp


def nice_ticks(low: float, high: float, target: int = 5) -> Ticks:
    """About ``target`` ticks at round numbers covering ``low`` to ``high``.

    A range with no finite end is taken as 0 to 1; an empty range is widened by 5% of its
    value each way (0 to 1 for zero).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high < low:
        low, high = high, low
    scale = max(abs(low), abs(high))
    if high - low <= 1e-9 * max(scale, 1e-300):
        if scale == 0:
            low, high = 0.0, 1.0
        else:
            pad = 0.05 * scale
            low, high = low - pad, high + pad
    step = _nice(_nice(high - low, False) / max(target - 1, 1), True)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    values = tuple(0.0 if k == 0 else k * step for k in range(first, last + 1))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return Ticks(values, decimals)


def _c(x: float) -> str:
    """A coordinate, to a tenth of a pixel."""
    text = f"{x:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """``text`` cut to about ``width`` pixels, with an ellipsis if cut."""
    room = int(width / (size * CHAR_WIDTH))
    if len(text) <= room:
        return text
    return text[: max(room - 1, 1)].rstrip() + "…"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = FONT_SIZE,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "",
    extra: str = "",
) -> str:
    attrs = f'x="{_c(x)}" y="{_c(y)}"'
    if size != FONT_SIZE:
        attrs += f' font-size="{size}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if fill != INK:
        attrs += f' fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if extra:
        attrs += " " + extra
    return f"<text {attrs}>{escape(text)}</text>"


def _svg(width: float, height: float, label: str, body: Sequence[str]) -> str:
    w, h = _c(width), _c(height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" aria-label="{escape(label)}" '
        f'font-family="{escape(FONT)}" font-size="{FONT_SIZE}" fill="{INK}">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _finite_runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in ``mask``."""
    runs = []
    start = None
    for i, ok in enumerate(mask.tolist()):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def _bounds(*arrays: Floats) -> tuple[float, float]:
    values = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if values.size == 0:
        return math.nan, math.nan
    return float(values.min()), float(values.max())


@dataclass(frozen=True)
class _Plot:
    """The plotting area of a chart and its scales."""

    left: float
    top: float
    width: float
    height: float
    x_low: float
    x_high: float
    y: Ticks
    #: The y axis's range; the ticks' by default.
    y_low: float = math.nan
    y_high: float = math.nan

    def px(self, value: float) -> float:
        return self.left + (value - self.x_low) / (self.x_high - self.x_low) * self.width

    def py(self, value: float) -> float:
        low = self.y.low if math.isnan(self.y_low) else self.y_low
        high = self.y.high if math.isnan(self.y_high) else self.y_high
        return self.top + self.height - (value - low) / (high - low) * self.height

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def _y_range(ticks: Ticks, low: float, high: float) -> tuple[float, float]:
    """The ticks' range, with headroom where data would touch the plot's top or bottom.

    A range that starts at zero with no data below it keeps zero as its floor.
    """
    span = ticks.high - ticks.low
    y_low, y_high = ticks.low, ticks.high
    if math.isfinite(high) and high > ticks.high - 0.02 * span:
        y_high += 0.05 * span
    if math.isfinite(low) and low < ticks.low + 0.02 * span and not (ticks.low == 0 <= low):
        y_low -= 0.05 * span
    return y_low, y_high


def _y_axis(plot: _Plot, suffix: str) -> list[str]:
    out = []
    for v in plot.y.values:
        y = _c(plot.py(v))
        colour = AXIS if v == 0 and plot.y.low < 0 < plot.y.high else GRID
        out.append(
            f'<line x1="{_c(plot.left)}" x2="{_c(plot.right)}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        out.append(
            _text(
                plot.left - 6,
                plot.py(v) + 4,
                plot.y.label(v, suffix),
                anchor="end",
                fill=MUTED,
            )
        )
    return out


def _period_step(periods: Sequence[Period], plot: _Plot) -> tuple[int, bool]:
    """Label every ``step``-th period, in short form or not, so that labels do not collide."""
    if not periods:
        return 1, False
    per = plot.width / max(len(periods), 1)
    longest = max(_text_width(p.label) for p in periods)
    shortest = max(_text_width(p.short) for p in periods)
    if longest + 8 <= per:
        return 1, False
    if shortest + 8 <= per:
        return 1, True
    for step in (2, 5, 10, 20, 50, 100):
        if longest + 8 <= per * step:
            return step, False
    return len(periods), False


def _x_axis(plot: _Plot, periods: Sequence[Period]) -> list[str]:
    out = [
        f'<line x1="{_c(plot.left)}" x2="{_c(plot.right)}" y1="{_c(plot.bottom)}" '
        f'y2="{_c(plot.bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    ]
    step, short = _period_step(periods, plot)
    for i, p in enumerate(periods):
        x0 = plot.px(p.start)
        if i % step == 0:
            if i > 0:
                out.append(
                    f'<line x1="{_c(x0)}" x2="{_c(x0)}" y1="{_c(plot.top)}" '
                    f'y2="{_c(plot.bottom)}" stroke="{GRID}" stroke-width="1"/>'
                )
            mid = (plot.px(p.start) + plot.px(p.end)) / 2
            out.append(_text(mid, plot.bottom + 16, p.short if short else p.label, anchor="middle"))
        out.append(
            f'<line x1="{_c(x0)}" x2="{_c(x0)}" y1="{_c(plot.bottom)}" '
            f'y2="{_c(plot.bottom + 4)}" stroke="{AXIS}" stroke-width="1"/>'
        )
    return out


def _header(title: str, subtitle: str, width: float) -> tuple[list[str], float]:
    """Title and subtitle at the top left; returns the elements and the height used."""
    out = [_text(0, 15, _fit(title, width, TITLE_SIZE), size=TITLE_SIZE, weight="600")]
    y = 20.0
    if subtitle:
        out.append(_text(0, 35, _fit(subtitle, width), fill=MUTED))
        y = 40.0
    return out, y


def _left_margin(ticks: Ticks, suffix: str) -> float:
    return max(_text_width(ticks.label(v, suffix)) for v in ticks.values) + 12


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{_c(x)},{_c(y)}" for x, y in zip(xs, ys, strict=True))


def _array(values: npt.ArrayLike) -> Floats:
    out: Floats = np.asarray(values, dtype=np.float64).reshape(-1)
    return out


def _fan_legend(x: float, y: float, colour: str) -> tuple[list[str], float]:
    """Swatches: mean line, 50% and 90% intervals; returns elements and width."""
    out = []
    items = (("line", "mean"), (OPACITY_50, "50% interval"), (OPACITY_90, "90% interval"))
    for kind, label in items:
        if kind == "line":
            out.append(
                f'<line x1="{_c(x)}" x2="{_c(x + 16)}" y1="{_c(y - 4)}" y2="{_c(y - 4)}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        else:
            out.append(
                f'<rect x="{_c(x)}" y="{_c(y - 10)}" width="16" height="12" fill="{colour}" '
                f'fill-opacity="{kind}"/>'
            )
        out.append(_text(x + 20, y, label, fill=MUTED))
        x += 20 + _text_width(label) + 14
    return out, x


def fan_chart(
    band: BandLike,
    periods: Sequence[Period],
    *,
    title: str,
    subtitle: str = "",
    suffix: str = "",
    colour: str = PALETTE[0],
    width: int = 560,
    height: int = 320,
    include_zero: bool = False,
    legend: bool = True,
    decimals: int | None = None,
) -> str:
    """Mean line over 50% and 90% bands (p25-p75, p05-p95) of a monthly measure.

    Args:
        band: mean and quantiles over replications, one value per month.
        periods: the x axis's financial years (the months must cover the band).
        suffix: appended to axis and value labels, e.g. ``"%"``.
        include_zero: stretch the y axis to zero (for cumulative money and deficits).
        legend: draw the key (mean, 50%, 90%) under the subtitle.
        decimals: decimals of the value labels (default: one more than the axis's).
    """
    mean, p05, p25 = _array(band.mean), _array(band.p05), _array(band.p25)
    p75, p95 = _array(band.p75), _array(band.p95)
    n = mean.size
    head, top = _header(title, subtitle, width)
    body = list(head)
    if legend:
        items, _ = _fan_legend(0, top + 13, colour)
        body += items
        top += 20
    low, high = _bounds(mean, p05, p95)
    if include_zero and math.isfinite(low):
        low, high = min(low, 0.0), max(high, 0.0)
    ticks = nice_ticks(low, high)
    digits = ticks.decimals + 1 if decimals is None else decimals
    months = max(max((p.end for p in periods), default=0), n, 1)
    end_label = format_number(float(mean[-1]), digits) + suffix if n else ""
    right = 14 + (_text_width(end_label) + 8 if end_label else 0)
    left = _left_margin(ticks, suffix)
    y_low, y_high = _y_range(ticks, low, high)
    plot = _Plot(
        left,
        top + 12,
        width - left - right,
        height - top - 12 - 26,
        0,
        months,
        ticks,
        y_low,
        y_high,
    )
    body += _y_axis(plot, suffix)
    body += _x_axis(plot, periods)
    xs = [plot.px(m + 0.5) for m in range(n)]
    ok = np.isfinite(mean) & np.isfinite(p05) & np.isfinite(p25)
    ok &= np.isfinite(p75) & np.isfinite(p95)
    for start, stop in _finite_runs(ok):
        seg = range(start, stop)
        for lo, hi, opacity in ((p05, p95, OPACITY_90), (p25, p75, OPACITY_50)):
            upper = [(xs[i], plot.py(float(hi[i]))) for i in seg]
            lower = [(xs[i], plot.py(float(lo[i]))) for i in reversed(seg)]
            pts = " ".join(f"{_c(x)},{_c(y)}" for x, y in upper + lower)
            body.append(f'<polygon points="{pts}" fill="{colour}" fill-opacity="{opacity}"/>')
        line = _points([xs[i] for i in seg], [plot.py(float(mean[i])) for i in seg])
        body.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2.2" '
            'stroke-linejoin="round"/>'
        )
    if n and ok[-1]:
        x, y = xs[-1], plot.py(float(mean[-1]))
        body.append(f'<circle cx="{_c(x)}" cy="{_c(y)}" r="3" fill="{colour}"/>')
        body.append(_text(x + 6, y + 4, end_label, weight="600"))
    # Hover text per financial year: its year-end values (no script needed).
    for p in periods:
        i = min(p.end, n) - 1
        if i < p.start or not ok[i]:
            continue
        tip = (
            f"{p.label}, end of year: mean {format_number(float(mean[i]), digits)}{suffix}; "
            f"50% interval {format_number(float(p25[i]), digits)} to "
            f"{format_number(float(p75[i]), digits)}{suffix}; 90% interval "
            f"{format_number(float(p05[i]), digits)} to {format_number(float(p95[i]), digits)}"
            f"{suffix}"
        )
        x0, x1 = plot.px(p.start), plot.px(p.end)
        body.append(
            f'<rect x="{_c(x0)}" y="{_c(plot.top)}" width="{_c(x1 - x0)}" '
            f'height="{_c(plot.height)}" fill="#000" fill-opacity="0"><title>{escape(tip)}'
            "</title></rect>"
        )
    label = f"{title}. {subtitle}".strip(" .") + "."
    if n and ok[-1]:
        label += (
            f" Mean {format_number(float(mean[0]), digits)}{suffix} in the first month, "
            f"{end_label} in the last (90% interval {format_number(float(p05[-1]), digits)} "
            f"to {format_number(float(p95[-1]), digits)}{suffix})."
        )
    return _svg(width, height, label, body)


@dataclass(frozen=True)
class Line:
    """One line of a line chart: monthly values from month ``offset`` of the axis."""

    label: str
    values: npt.ArrayLike
    offset: int = 0
    colour: str = ""
    dash: str = ""


def _legend_rows(labels: Sequence[str], width: float) -> list[list[tuple[int, float]]]:
    """Legend items laid out in rows: (item index, x) per row."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = 0.0
    for i, label in enumerate(labels):
        w = 26 + _text_width(label) + 18
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((i, x))
        x += w
    return rows


def line_chart(
    lines: Sequence[Line],
    periods: Sequence[Period],
    *,
    title: str,
    subtitle: str = "",
    suffix: str = "",
    width: int = 1100,
    height: int = 320,
    include_zero: bool = False,
    decimals: int | None = None,
) -> str:
    """Lines over months with a legend below, e.g. one variant's mean per line."""
    series = [_array(line.values) for line in lines]
    labels = [_fit(line.label, width - 60) for line in lines]
    rows = _legend_rows(labels, width)
    legend_height = 20 * len(rows) + 6
    head, top = _header(title, subtitle, width)
    body = list(head)
    low, high = _bounds(*series) if series else (math.nan, math.nan)
    if include_zero and math.isfinite(low):
        low, high = min(low, 0.0), max(high, 0.0)
    ticks = nice_ticks(low, high)
    digits = ticks.decimals + 1 if decimals is None else decimals
    months = max(
        [p.end for p in periods]
        + [line.offset + s.size for line, s in zip(lines, series, strict=True)]
        + [1]
    )
    left = _left_margin(ticks, suffix)
    plot = _Plot(
        left,
        top + 12,
        width - left - 16,
        height - top - 12 - 26 - legend_height,
        0,
        months,
        ticks,
        *_y_range(ticks, low, high),
    )
    body += _y_axis(plot, suffix)
    body += _x_axis(plot, periods)
    styles = []
    for k, (line, values) in enumerate(zip(lines, series, strict=True)):
        colour = line.colour or PALETTE[k % len(PALETTE)]
        dash = line.dash or DASHES[(k // len(PALETTE)) % len(DASHES)]
        styles.append((colour, dash))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for start, stop in _finite_runs(np.isfinite(values)):
            xs = [plot.px(line.offset + m + 0.5) for m in range(start, stop)]
            ys = [plot.py(float(v)) for v in values[start:stop]]
            body.append(
                f'<polyline points="{_points(xs, ys)}" fill="none" stroke="{colour}" '
                f'stroke-width="2.2" stroke-linejoin="round"{dash_attr}>'
                f"<title>{escape(line.label)}</title></polyline>"
            )
    y0 = plot.bottom + 30
    for r, row in enumerate(rows):
        y = y0 + 20 * r + 12
        for i, x in row:
            colour, dash = styles[i]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(
                f'<line x1="{_c(plot.left + x)}" x2="{_c(plot.left + x + 22)}" '
                f'y1="{_c(y - 4)}" y2="{_c(y - 4)}" stroke="{colour}" stroke-width="2.5"'
                f"{dash_attr}/>"
            )
            body.append(_text(plot.left + x + 26, y, labels[i]))
    summary = "; ".join(
        f"{line.label} ends at {format_number(float(s[-1]), digits)}{suffix}"
        for line, s in zip(lines, series, strict=True)
        if s.size and math.isfinite(float(s[-1]))
    )
    label = f"{title}. {subtitle}".strip(" .") + "." + (f" {summary}." if summary else "")
    return _svg(width, height, label, body)


@dataclass(frozen=True)
class Bars:
    """One series of a bar chart: a value per category."""

    label: str
    values: npt.ArrayLike
    colour: str = PALETTE[0]


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Bars],
    *,
    title: str,
    subtitle: str = "",
    suffix: str = "",
    decimals: int = 1,
    x_max: float | None = None,
    width: int = 560,
    bar_height: int = 12,
) -> str:
    """Horizontal bars, one group per category, one bar per series, values at the bar ends.

    Args:
        x_max: the axis's end (e.g. 100 for percentages of replications); by default a
            round number at or above the largest value.
    """
    values = [_array(s.values) for s in series]
    head, top = _header(title, subtitle, width)
    body = list(head)
    legend_y = top + 14
    if len(series) > 1:
        x = 0.0
        for s in series:
            body.append(
                f'<rect x="{_c(x)}" y="{_c(legend_y - 10)}" width="12" height="12" '
                f'fill="{s.colour}"/>'
            )
            body.append(_text(x + 17, legend_y, s.label, fill=MUTED))
            x += 17 + _text_width(s.label) + 18
        top = legend_y + 6
    _, high = _bounds(*values) if values else (math.nan, math.nan)
    if x_max is not None:
        ticks = nice_ticks(0.0, x_max)
    else:
        ticks = nice_ticks(0.0, high if math.isfinite(high) and high > 0 else 1.0)
    label_width = min(max((_text_width(c) for c in categories), default=0) + 12, width * 0.45)
    value_room = _text_width(format_number(ticks.high, decimals) + suffix) + 8
    group = max(len(series), 1) * (bar_height + 2) + 10
    plot_height = group * max(len(categories), 1)
    height = top + 12 + plot_height + 28
    plot = _Plot(
        label_width,
        top + 12,
        width - label_width - value_room - 8,
        plot_height,
        ticks.low,
        ticks.high,
        ticks,
    )
    for v in ticks.values:
        gx = _c(plot.px(v))
        body.append(
            f'<line x1="{gx}" x2="{gx}" y1="{_c(plot.top)}" y2="{_c(plot.bottom)}" '
            f'stroke="{GRID if v != 0 else AXIS}" stroke-width="1"/>'
        )
        body.append(
            _text(plot.px(v), plot.bottom + 16, ticks.label(v, suffix), anchor="middle", fill=MUTED)
        )
    for c, category in enumerate(categories):
        y = plot.top + c * group + 5
        mid = y + (group - 10) / 2
        shown_label = _fit(category, label_width - 12)
        tip = f"<title>{escape(category)}</title>" if shown_label != category else ""
        body.append(
            f'<text x="{_c(label_width - 8)}" y="{_c(mid + 4)}" text-anchor="end">'
            f"{tip}{escape(shown_label)}</text>"
        )
        for k, (s, vals) in enumerate(zip(series, values, strict=True)):
            v = float(vals[c]) if c < vals.size else math.nan
            yb = y + k * (bar_height + 2)
            if not math.isfinite(v):
                body.append(_text(plot.left + 4, yb + bar_height - 2, "n/a", size=11, fill=MUTED))
                continue
            shown = min(max(v, ticks.low), ticks.high)
            x0, x1 = plot.px(0.0), plot.px(shown)
            text = format_number(v, decimals) + suffix
            body.append(
                f'<rect x="{_c(min(x0, x1))}" y="{_c(yb)}" width="{_c(abs(x1 - x0))}" '
                f'height="{bar_height}" fill="{s.colour}"><title>{escape(category)}, '
                f"{escape(s.label)}: {escape(text)}</title></rect>"
            )
            body.append(_text(max(x0, x1) + 4, yb + bar_height - 2, text, size=11, fill=MUTED))
    summary = "; ".join(
        f"{category}: "
        + ", ".join(
            f"{s.label} {format_number(float(vals[c]), decimals)}{suffix}"
            for s, vals in zip(series, values, strict=True)
            if c < vals.size
        )
        for c, category in enumerate(categories)
    )
    label = f"{title}. {subtitle}".strip(" .") + "." + (f" {summary}." if summary else "")
    return _svg(width, height, label, body)

"""Horizontal bar charts: voting power by bloc, and how often each ring-fence bound.

Values are fractions, drawn as percentages (0.25 reads ``25%``). One bar per category, or
one per category and series side by side (``yOffset``), each series in a palette colour;
the value is written at the end of each bar, so colour is never the only way to tell.

* :func:`power_by_bloc` takes the app's rows ``{"bloc", "index", "power", "voting
  members"}`` (one per bloc and index) and is both the app's chart and the report's.
* :func:`ring_fence_bindings` takes rows ``{"rule", "bound"}``: the share of replications
  in which each rule bound at least once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import altair as alt

from sim.charts.axes import axis_format, description, finite, overhang, text_width, value_label
from sim.charts.palette import INK, MUTED, PALETTE, colour
from sim.charts.theme import padded, spec_of

#: Name of the data set the layouts refer to.
BARS = "bars"
#: Pixels per bar, and between groups of bars.
BAR = 14
GAP = 10
#: Widest category label before it is cut with an ellipsis, pixels.
LABEL_LIMIT = 240


@functools.lru_cache(maxsize=64)
def _layout(
    category: str,
    value: str,
    series: str | None,
    order: tuple[str, ...],
    categories: tuple[str, ...],
    x_title: str | None,
    x_max: float | None,
    labels: bool,
    decimals: int,
    width: int | None,
    tooltip: tuple[str, ...],
) -> str:
    """A bar chart's layout as Vega-Lite JSON, data from :data:`BARS` (cached)."""
    per_group = max(len(order), 1) * BAR + GAP
    height = per_group * max(len(categories), 1)
    fmt = f".{decimals}%"
    room = min(max((text_width(c) for c in categories), default=0), LABEL_LIMIT * 1.3)
    y = alt.Y(
        f"{category}:N",
        title=None,
        sort=list(categories),
        axis=alt.Axis(
            labelLimit=LABEL_LIMIT,
            minExtent=round(room),
            ticks=False,
            domain=False,
            labelColor=INK,
        ),
        scale=alt.Scale(paddingInner=GAP / per_group, paddingOuter=GAP / per_group / 2),
    )
    x = alt.X(
        f"{value}:Q",
        title=x_title,
        # Overlapping labels dropped: at 800 pixels "30%" and "35%" would run together.
        axis=alt.Axis(format=axis_format(True), tickCount=5, labelOverlap=True, labelSeparation=6),
        scale=alt.Scale(domain=[0, x_max]) if x_max is not None else alt.Scale(zero=True),
    )
    tips: list[Any] = [f"{category}:N"]
    if series:
        tips.append(f"{series}:N")
    tips.append(alt.Tooltip(f"{value}:Q", format=".1%"))
    tips += [f"{t}:Q" for t in tooltip]
    enc: dict[str, Any] = {"y": y, "x": x, "tooltip": tips}
    if series:
        enc["yOffset"] = alt.YOffset(f"{series}:N", sort=list(order))
        enc["color"] = alt.Color(
            f"{series}:N",
            title=None,
            sort=list(order),
            scale=alt.Scale(
                domain=list(order),
                range=[colour(i) for i in range(len(order))],
            ),
            legend=alt.Legend(
                orient="top",
                symbolType="square",
                columnPadding=16 + max((overhang(o) for o in order), default=0),
            ),
        )
    else:
        enc["color"] = alt.value(PALETTE[0])
    base = alt.Chart({"name": BARS})
    bars = base.mark_bar().encode(**enc)
    chart: Any = bars
    if labels:
        text_enc = {k: v for k, v in enc.items() if k in ("y", "x", "yOffset")}
        text = base.mark_text(align="left", dx=4, color=MUTED, fontSize=11).encode(
            text=alt.Text(f"{value}:Q", format=fmt), **text_enc
        )
        chart = alt.layer(bars, text)
    chart = chart.properties(height=height)
    if width:
        chart = chart.properties(width=width)
    return json.dumps(spec_of(chart))


def bar_chart(
    rows: Sequence[dict[str, Any]],
    *,
    category: str,
    value: str,
    series: str | None = None,
    order: Sequence[str] | None = None,
    x_title: str | None = None,
    x_max: float | None = None,
    sort_by_value: bool = False,
    labels: bool = True,
    decimals: int = 1,
    title: str = "",
    subtitle: str = "",
    width: int | None = 400,
    tooltip: Sequence[str] = (),
) -> dict[str, Any]:
    """Horizontal bars of fractions (drawn as percentages), data inline: a Vega-Lite dict.

    Args:
        rows: one per category (and series), with ``category``, ``value`` (a fraction) and
            ``series`` fields.
        series: the field telling bars of one category apart, if any.
        order: the series, in legend order (default: as they first appear).
        x_max: the axis's end (1 for shares of replications); by default from the data.
        sort_by_value: longest bars first (by default categories keep the rows' order).
        labels: write each value at the end of its bar, with ``decimals`` decimals.
        width: of the plot, pixels (``None``: the container's, in the app).
        tooltip: more numeric fields to show on hover (the app's).
    """
    if series:
        order = tuple(order) if order is not None else tuple(dict.fromkeys(r[series] for r in rows))
    else:
        order = ()
    categories = list(dict.fromkeys(str(r[category]) for r in rows))
    if sort_by_value:
        total = {
            c: sum(finite(r[value]) or 0.0 for r in rows if str(r[category]) == c)
            for c in categories
        }
        categories.sort(key=lambda c: -total[c])
    spec: dict[str, Any] = json.loads(
        _layout(
            category,
            value,
            series,
            order,
            tuple(categories),
            x_title,
            x_max,
            labels,
            decimals,
            width,
            tuple(tooltip),
        )
    )
    spec["data"] = {"values": [{k: finite(v) for k, v in r.items()} for r in rows]}
    if title:
        spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    words = []
    for c in categories:
        mine = [r for r in rows if str(r[category]) == c]
        shown = ", ".join(
            (f"{r[series]} " if series else "") + value_label(r[value], True, decimals)
            for r in mine
        )
        words.append(f"{c}: {shown}")
    spec["description"] = description(title, subtitle, "; ".join(words))
    widest = max((value_label(r[value], True, decimals) for r in rows), key=len, default="")
    return padded(spec, right=overhang(widest, size=11) if labels else 0)


def power_by_bloc(
    rows: Sequence[dict[str, Any]],
    *,
    title: str = "",
    subtitle: str = "",
    x_title: str | None = "power",
    labels: bool = False,
    width: int | None = None,
) -> dict[str, Any]:
    """Voting power of each bloc, one bar per index (the app's "Power by bloc").

    Args:
        rows: ``{"bloc": name, "index": "Shapley-Shubik" | "Banzhaf" ..., "power": fraction,
            "voting members": n}``, one per bloc and index.
        labels: write each value at its bar's end (the report's; the app has tooltips).
        width: of the plot, pixels (``None``: the container's).

    Blocs are sorted by power, largest first.
    """
    return bar_chart(
        rows,
        category="bloc",
        value="power",
        series="index",
        x_title=x_title,
        sort_by_value=True,
        labels=labels,
        decimals=1,
        title=title,
        subtitle=subtitle,
        width=width,
        tooltip=("voting members",),
    )


def ring_fence_bindings(
    rows: Sequence[dict[str, Any]],
    *,
    title: str = "How often each ring-fence bound",
    subtitle: str = "% of replications in which the rule bound at least once",
    width: int | None = 400,
) -> dict[str, Any]:
    """How often each ring-fence bound: ``{"rule": name, "bound": fraction of replications}``
    per rule, in the rows' order, on an axis from 0 to 100%."""
    return bar_chart(
        rows,
        category="rule",
        value="bound",
        x_max=1.0,
        decimals=0,
        title=title,
        subtitle=subtitle,
        width=width,
    )

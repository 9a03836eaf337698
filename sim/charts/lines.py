"""Line charts: several series over months, e.g. each variant's mean primary-care share.

Rows are one per month and series with a value field (``mean`` by default, so
:func:`sim.charts.fan.band_rows` rows draw their mean lines). Each series has a palette
colour; series beyond the seventh are also dashed (:func:`sim.charts.palette.dash`), and
the legend shows both. Series may cover different months (variants starting in different
years): the x axis is time, so they line up by date.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import altair as alt

from sim.charts.axes import (
    ROOM,
    axis_format,
    description,
    finite,
    headroom,
    label_decimals,
    month_tooltip,
    month_x,
    overhang,
    series_channel,
    tooltip_format,
    value_label,
)
from sim.charts.palette import colour, dash
from sim.charts.theme import spec_of

#: Name of the data set the layout refers to.
LINES = "lines"


@functools.lru_cache(maxsize=64)
def _layout(
    y_title: str | None,
    field: str,
    percent: bool,
    order: tuple[str, ...],
    zero: bool,
    months: tuple[str, ...] | None,
    width: int | None,
    height: int,
    legend_columns: int,
) -> str:
    """A line chart's layout as Vega-Lite JSON, data from :data:`LINES` (cached)."""
    x = month_x(months is not None, months or (), float(width or 0))
    legend = alt.Legend(
        orient="bottom",
        columns=legend_columns,
        columnPadding=16 + max((overhang(s) for s in order), default=0),
        symbolStrokeWidth=2.5,
        symbolSize=300,
    )
    color = series_channel(alt.Color, order, [colour(i) for i in range(len(order))], legend)
    dashed = series_channel(alt.StrokeDash, order, [dash(i) for i in range(len(order))], legend)
    base = alt.Chart({"name": LINES})
    lines = base.mark_line(strokeWidth=2.2, strokeJoin="round").encode(
        x=x,
        y=alt.Y(
            f"{field}:Q",
            title=y_title,
            axis=alt.Axis(format=axis_format(percent)),
            scale=alt.Scale(zero=zero),
        ),
        color=color,
        strokeDash=dashed,
        tooltip=[
            month_tooltip(),
            alt.Tooltip("series:N", title="series"),
            alt.Tooltip(f"{field}:Q", format=tooltip_format(percent), title=field),
        ],
    )
    # Invisible marks just beyond the data (the rows' ROOM field) keep lines off the frame.
    room = base.mark_point(opacity=0, size=1).encode(x=x, y=f"{ROOM}:Q")
    chart = alt.layer(lines, room).properties(height=height)
    if width:
        chart = chart.properties(width=width)
    return json.dumps(spec_of(chart))


def line_chart(
    rows: Sequence[dict[str, Any]],
    y_title: str | None = None,
    *,
    field: str = "mean",
    percent: bool = False,
    order: Sequence[str] | None = None,
    zero: bool = False,
    title: str = "",
    subtitle: str = "",
    width: int = 1000,
    height: int = 240,
    years: bool = True,
    legend_columns: int = 3,
    decimals: int | None = None,
) -> dict[str, Any]:
    """Lines over months with a legend below, data inline: a Vega-Lite dict.

    Args:
        rows: ``{"month": "YYYY-MM-01", "series": ..., field: value}``; values that are not
            finite break the line.
        field: the value field.
        percent: values are fractions, drawn as percentages.
        order: the series in legend order (by default, as they first appear).
        zero: stretch the y axis to zero.
        width, height: of the plot, pixels.
        years: label financial years (``2025/26``) rather than months.
        legend_columns: legend entries per row.
        decimals: of the description's values (default: from the data).
    """
    order = tuple(order) if order is not None else tuple(dict.fromkeys(r["series"] for r in rows))
    clean = [
        {
            "month": r["month"],
            "series": r["series"],
            field: finite(r[field]),
        }
        for r in rows
    ]
    months = tuple(sorted(dict.fromkeys(r["month"] for r in clean)))
    spec: dict[str, Any] = json.loads(
        _layout(
            y_title,
            field,
            percent,
            order,
            zero,
            months if years else None,
            width,
            height,
            max(1, min(legend_columns, len(order))),
        )
    )
    room = headroom((r[field] for r in clean), zero)
    if room is not None and clean:
        clean[0][ROOM], clean[-1][ROOM] = room
    spec["data"] = {"values": clean}
    if title:
        spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    if decimals is None:
        decimals = label_decimals([r[field] for r in clean if r[field] is not None], percent)
    ends = []
    for series in order:
        mine = [r[field] for r in clean if r["series"] == series and r[field] is not None]
        if mine:
            ends.append(f"{series} ends at {value_label(mine[-1], percent, decimals)}")
    spec["description"] = description(title, subtitle, "; ".join(ends))
    return spec

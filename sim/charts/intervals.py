"""Dot-and-interval charts: an estimate with its likely range, beside a reference value.

Used for the calibration: each sector's published real growth (the reference, a black
diamond) against the fitted model (a dot with its 5th-95th percentile range over
replications) and, in the backtest, the prediction of the fit that did not see that sector.
Rows are ``{"category", "series", "value", "low", "high"}``; ``low`` and ``high`` may be
absent (a point with no range). Values are fractions drawn as percentages. Series are told
apart by colour, shape and position, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from sim.charts.axes import axis_format, description, finite, text_width, value_label
from sim.charts.palette import INK, colour
from sim.charts.theme import padded, spec_of

#: Pixels per category row, and the widest category label.
ROW = 34
LABEL_LIMIT = 240
SHAPES = ("diamond", "circle", "triangle-up", "square")


def interval_chart(
    rows: Sequence[dict[str, Any]],
    *,
    order: Sequence[str],
    title: str = "",
    subtitle: str = "",
    x_title: str | None = None,
    width: int = 420,
) -> dict[str, Any]:
    """Dots with ranges by category and series: a Vega-Lite dict, data inline.

    Args:
        order: the series, in legend order; the first is drawn in ink (the reference).
    """
    categories = list(dict.fromkeys(str(r["category"]) for r in rows))
    colours = [INK, *(colour(i) for i in range(len(order) - 1))]
    room = min(max((text_width(c) for c in categories), default=0), LABEL_LIMIT * 1.3)
    y = alt.Y(
        "category:N",
        title=None,
        sort=categories,
        axis=alt.Axis(labelLimit=LABEL_LIMIT, minExtent=round(room), labelColor=INK),
    )
    offset = alt.YOffset("series:N", sort=list(order), scale=alt.Scale(paddingOuter=0.3))
    x = alt.X(
        "value:Q",
        title=x_title,
        axis=alt.Axis(format=axis_format(True), tickCount=6),
        scale=alt.Scale(zero=True, nice=True),
    )
    colour_enc = alt.Color(
        "series:N",
        title=None,
        sort=list(order),
        scale=alt.Scale(domain=list(order), range=colours),
        legend=alt.Legend(orient="top"),
    )
    shape = alt.Shape(
        "series:N",
        sort=list(order),
        scale=alt.Scale(domain=list(order), range=list(SHAPES[: len(order)])),
        legend=None,
    )
    tips = [
        alt.Tooltip("category:N", title="sector"),
        alt.Tooltip("series:N", title="what"),
        alt.Tooltip("value:Q", format=".2%"),
        alt.Tooltip("low:Q", format=".2%", title="5th percentile"),
        alt.Tooltip("high:Q", format=".2%", title="95th percentile"),
    ]
    base = alt.Chart({"name": "intervals"})
    ranges = (
        base.transform_filter("isValid(datum.low)")
        .mark_rule(strokeWidth=2)
        .encode(y=y, yOffset=offset, x="low:Q", x2="high:Q", color=colour_enc)
    )
    dots = base.mark_point(filled=True, size=70, opacity=1).encode(
        y=y, yOffset=offset, x=x, color=colour_enc, shape=shape, tooltip=tips
    )
    zero = alt.Chart({"values": [{"zero": 0}]}).mark_rule(color="#999999").encode(x="zero:Q")
    chart = alt.layer(zero, ranges, dots).properties(
        width=width, height=ROW * max(len(categories), 1)
    )
    spec = spec_of(chart)
    spec["datasets"] = {"intervals": [{k: finite(v) for k, v in r.items()} for r in rows]}
    spec["data"] = {"name": "intervals"}
    for layer in spec.get("layer", []):
        if layer.get("data", {}).get("name") == "intervals":
            layer.pop("data")
    if title:
        spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    words = []
    for c in categories:
        shown = ", ".join(
            f"{r['series']} {value_label(r['value'], True, 1)}"
            for r in rows
            if str(r["category"]) == c
        )
        words.append(f"{c}: {shown}")
    spec["description"] = description(title, subtitle, "; ".join(words))
    return padded(spec)

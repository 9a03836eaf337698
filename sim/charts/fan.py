"""Fan charts: a measure month by month, its mean line over 50% and 90% bands.

Rows are :func:`band_rows`: one per month and series, with the mean and the 5th, 25th,
50th, 75th and 95th percentiles over replications, in the units the chart shows
(fractions, drawn as percentages when ``percent``; money in £m).

* :func:`fan_spec` is the app's chart: a Vega-Lite dict referring to the named data set
  :data:`BANDS`, built with Altair once per layout and cached; the caller fills the numbers
  in with ``spec["data"] = {"values": rows}``.
* :func:`fan_chart` is the same chart with the rows inline, a title, an accessible
  description, financial-year labels and a label at the end of the mean line: the report's,
  rendered with :func:`sim.charts.render.to_svg`.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt

from sim.analysis.monthly import Band
from sim.charts.alt_text import describe_fan
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
from sim.charts.palette import DASHES, INK, OPACITY_50, OPACITY_90, OVERLAP_FILL, PALETTE, colour
from sim.charts.theme import padded, spec_of

#: Name of the data set the fan charts' specifications refer to.
BANDS = "bands"
#: The field of a row that holds its colour, when :func:`fan_chart` is given one.
COLOUR = "colour"
#: The value fields of a band row.
FIELDS = ("mean", "p05", "p25", "p50", "p75", "p95")
#: Longest series name, in characters, kept on one line of a legend (about 300 pixels:
#: the plot of a chart in the app's main area at 800 pixels wide is about 400).
WRAP = 44


def band_rows(series: str, b: Band, labels: Sequence[str], scale: float) -> list[dict[str, Any]]:
    """A band as chart rows (one per month), values divided by ``scale``.

    Args:
        series: the name of the line, e.g. ``"primary care"``.
        b: mean and quantiles over replications, one value per month.
        labels: the months, ``YYYY-MM`` (:meth:`sim.analysis.monthly.Digest.labels`).
        scale: what to divide by, e.g. ``PENCE_PER_MILLION`` for pence to £m, 1 for shares.
    """
    cols = {
        "mean": b.mean,
        "p05": b.p05,
        "p25": b.p25,
        "p50": b.p50,
        "p75": b.p75,
        "p95": b.p95,
    }
    return [
        {
            "month": f"{label}-01",
            "series": series,
            **{k: float(v[t]) / scale for k, v in cols.items()},
        }
        for t, label in enumerate(labels)
    ]


def legend_label_expr(names: Sequence[str], width: int = WRAP) -> str:
    """A Vega expression that breaks each series name longer than ``width`` characters
    into lines at spaces (a legend label may be a list of lines), so that a long name such
    as "B: 3 GP seats of 14, a 13% primary-care minimum" shows whole on a narrow chart."""
    wrapped = {n: textwrap.wrap(n, width) for n in names if len(n) > width}
    if not wrapped:
        return "datum.label"
    return f"{json.dumps(wrapped)}[datum.label] || datum.label"


def _series_legend(order: tuple[str, ...]) -> alt.Legend:
    """One legend entry per series, each on its own row above the chart, names whole."""
    return alt.Legend(
        orient="top",
        direction="vertical",
        labelLimit=0,
        labelExpr=legend_label_expr(order),
        symbolType="stroke",
        symbolStrokeWidth=2.5,
        symbolSize=300,
        symbolOpacity=1,
    )


@functools.lru_cache(maxsize=256)
def layout(
    y_title: str | None,
    percent: bool,
    facet: bool,
    order: tuple[str, ...],
    zero: bool,
    columns: int,
    shared_y: bool,
    fixed_colour: bool = False,
    years: tuple[str, ...] | None = None,
    width: int | None = None,
    height: int | None = None,
    end_label: bool = False,
    room: bool = False,
    overlap: bool = False,
) -> str:
    """A fan chart's layout as Vega-Lite JSON, with data from :data:`BANDS` (cached: Altair
    takes longer to build a chart than the rest of a report takes to fill one in).

    ``overlap``: several series whose bands overlap (A and B): only the first series' 90%
    band is filled (faintly); every band's edges are thin lines in its series' colour,
    dashed for every series after the first, as is its mean; no 50% band. Two filled hues
    over one another blend to brown; an outline over a fill stays readable, and the dashes
    tell the series apart without colour.
    """
    fmt = tooltip_format(percent)
    plot_width = width or (210 if facet else 0)
    x = month_x(years is not None, years or (), plot_width)
    dashed: Any = None
    if fixed_colour:
        # The colour is a field of the rows, so one layout serves every colour.
        color: Any = alt.Color(f"{COLOUR}:N", scale=None, legend=None)
    elif overlap:
        legend = _series_legend(order)
        n = range(len(order))
        color = series_channel(alt.Color, order, [colour(i) for i in n], legend)
        # Every series after the first dashed (in a line chart only those past the palette).
        dashed = series_channel(
            alt.StrokeDash, order, [list(DASHES[i % len(DASHES)]) for i in n], legend
        )
    else:
        color = alt.Color(
            "series:N",
            title=None,
            sort=list(order),
            # One series needs no key: the chart's title says what it is.
            legend=None
            if facet or len(order) < 2
            else alt.Legend(
                orient="top", columnPadding=16 + max((overhang(o) for o in order), default=0)
            ),
            scale=alt.Scale(range=list(PALETTE)),
        )
    base = alt.Chart({"name": BANDS}).encode(x=x)
    y_axis = alt.Y(
        "p05:Q",
        title=y_title,
        axis=alt.Axis(format=axis_format(percent)),
        scale=alt.Scale(zero=zero),
    )
    if overlap:
        filled = alt.FillOpacity(
            "series:N",
            sort=list(order),
            scale=alt.Scale(domain=list(order), range=[OVERLAP_FILL] + [0.0] * (len(order) - 1)),
            legend=None,
        )
        outer = base.mark_area().encode(y=y_axis, y2="p95:Q", color=color, fillOpacity=filled)
    else:
        outer = base.mark_area(opacity=OPACITY_90).encode(y=y_axis, y2="p95:Q", color=color)
    tips = [
        month_tooltip(),
        alt.Tooltip("series:N", title="series"),
        alt.Tooltip("mean:Q", format=fmt, title="mean"),
        alt.Tooltip("p05:Q", format=fmt, title="5th percentile"),
        alt.Tooltip("p95:Q", format=fmt, title="95th percentile"),
    ]
    line_enc: dict[str, Any] = {"y": "mean:Q", "color": color, "tooltip": tips}
    layers: list[alt.Chart] = [outer]
    if overlap:
        line_enc["strokeDash"] = dashed
        for edge in ("p05", "p95"):
            layers.append(
                base.mark_line(strokeWidth=1, opacity=0.8).encode(
                    y=f"{edge}:Q", color=color, strokeDash=dashed
                )
            )
    else:
        layers.append(base.mark_area(opacity=OPACITY_50).encode(y="p25:Q", y2="p75:Q", color=color))
    layers.append(base.mark_line(strokeWidth=2.2, strokeJoin="round").encode(**line_enc))
    if end_label:
        last = base.transform_filter("isValid(datum.end)")
        layers.append(
            last.mark_point(filled=True, size=30, opacity=1).encode(y="mean:Q", color=color)
        )
        layers.append(
            last.mark_text(align="left", dx=6, fontWeight=600, color=INK).encode(
                y="mean:Q", text="end:N"
            )
        )
    if room:
        # Invisible marks just beyond the data (the rows' ROOM field) keep bands off the frame.
        layers.append(base.mark_point(opacity=0, size=1).encode(y=f"{ROOM}:Q"))
    layered = alt.layer(*layers)
    chart: Any
    if facet:
        chart = (
            layered.properties(width=plot_width, height=height or 150)
            .facet(
                facet=alt.Facet(
                    "series:N", title=None, sort=list(order), header=alt.Header(labelAnchor="start")
                ),
                columns=columns,
            )
            .resolve_scale(y="shared" if shared_y else "independent")
        )
    else:
        chart = layered.properties(height=height or 280)
        if width:
            chart = chart.properties(width=width)
    return json.dumps(spec_of(chart))


def fan_spec(
    y_title: str,
    percent: bool,
    facet: bool,
    order: tuple[str, ...],
    zero: bool = True,
    columns: int = 3,
    shared_y: bool = False,
) -> dict[str, Any]:
    """The app's fan chart: mean line, 50% and 90% bands over time, as a Vega-Lite dict.

    One colour per series (the palette, in ``order``), or one panel each (``facet``, in
    rows of ``columns``); ``zero=False`` lets the y axis start near the data (shares);
    ``shared_y`` gives the panels one y scale, for comparing like with like (by default each
    panel has its own). Percent axes (``percent``: values are fractions) get as many
    decimals as their ticks need; money axes are thousands-separated.

    The chart's data is the named data set :data:`BANDS` (``spec["data"] == {"name":
    "bands"}``); fill it in with ``spec["data"] = {"values": rows}`` (rows from
    :func:`band_rows`). The layout is built once and cached; each call returns a fresh copy.
    """
    spec: dict[str, Any] = json.loads(
        layout(y_title, percent, facet, tuple(order), zero, columns, shared_y)
    )
    return spec


def _summary(rows: Sequence[dict[str, Any]], percent: bool, decimals: int) -> str:
    """Words for the description: each series' mean at the start and end, and each year's
    year-end values."""

    def v(x: Any) -> str:
        return value_label(float("nan") if x is None else x, percent, decimals)

    out = []
    for series in dict.fromkeys(r["series"] for r in rows):
        mine = [r for r in rows if r["series"] == series]
        ok = [r for r in mine if all(r[k] is not None for k in FIELDS)]
        if not ok:
            continue
        first, last = ok[0], ok[-1]
        out.append(
            f"{series}: mean {v(first['mean'])} in the first month, {v(last['mean'])} in the "
            f"last (90% interval {v(last['p05'])} to {v(last['p95'])})"
        )
        ends = [r for r in ok if r["month"][5:7] == "03"]
        if len(ends) > 1:
            out.append(
                "year ends: "
                + "; ".join(
                    f"{r['month'][:4]}-03 mean {v(r['mean'])}, 50% interval {v(r['p25'])} to "
                    f"{v(r['p75'])}, 90% interval {v(r['p05'])} to {v(r['p95'])}"
                    for r in ends
                )
            )
    return description(*out)


def fan_chart(
    rows: Sequence[dict[str, Any]],
    y_title: str | None = None,
    *,
    percent: bool = False,
    facet: bool = False,
    order: Sequence[str] | None = None,
    zero: bool = True,
    columns: int = 3,
    shared_y: bool = False,
    title: str = "",
    subtitle: str = "",
    colour: str | None = None,
    width: int = 480,
    height: int = 220,
    years: bool = True,
    end_label: bool = True,
    decimals: int | None = None,
) -> dict[str, Any]:
    """A fan chart with its rows inline (the report's): a Vega-Lite dict for
    :func:`sim.charts.render.to_svg`.

    Args:
        rows: :func:`band_rows`; values that are not finite are left out (lines break).
        y_title: the y axis's title (none by default: say the unit in the subtitle).
        percent, facet, order, zero, columns, shared_y: as :func:`fan_spec`.
        title, subtitle: above the chart, left-aligned.
        colour: draw every series in this colour (by default one palette colour each).
        width, height: of the plot (of each panel, faceted), pixels.
        years: label the x axis with financial years (``2025/26``) rather than months.
        end_label: mark the mean's last value and label it.
        decimals: of the end label and the description's values (default: from the data).
    """
    order = tuple(order) if order is not None else tuple(dict.fromkeys(r["series"] for r in rows))
    clean = [{k: finite(x) for k, x in r.items()} for r in rows]
    if colour is not None:
        for r in clean:
            r[COLOUR] = colour
    if decimals is None:
        values = [r[k] for r in clean for k in ("mean", "p05", "p95") if r[k] is not None]
        decimals = label_decimals(values, percent)
    for series in order:
        mine = [r for r in clean if r["series"] == series]
        room = headroom((r[k] for r in mine for k in ("mean", "p05", "p95")), zero)
        if room is not None and mine:
            mine[0][ROOM], mine[-1][ROOM] = room
    ends = []
    if end_label:
        for series in order:
            mine = [r for r in clean if r["series"] == series and r["mean"] is not None]
            if mine:
                mine[-1]["end"] = value_label(mine[-1]["mean"], percent, decimals)
                ends.append(mine[-1]["end"])
    months = tuple(dict.fromkeys(r["month"] for r in clean))
    spec: dict[str, Any] = json.loads(
        layout(
            y_title,
            percent,
            facet,
            order if facet or colour is None else (),  # one layout for every series name
            zero,
            columns,
            shared_y,
            colour is not None,
            months if years else None,
            width,
            height,
            end_label,
            True,
            # Several series' bands on one chart (A and B) overlap: told apart, not blended.
            not facet and colour is None and len(order) > 1,
        )
    )
    spec["data"] = {"values": clean}
    if title:
        spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    # The details, then the same plain sentence the app shows under its charts.
    spec["description"] = description(
        title, subtitle, _summary(clean, percent, decimals), describe_fan(clean, None, percent)
    )
    return padded(spec, right=max((overhang(e, bold=True) for e in ends), default=0))

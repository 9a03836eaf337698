"""The app's fan charts, filled in: as wide as their container, a value axis worked out
from the data, and a description in words.

* :func:`app_fan` is one chart of one or more series (several overlap as A and B do: faint
  bands with dashed edges, one legend row per series, names whole).
* :func:`fan_panels` is one small chart per series (small multiples), to lay out in a
  grid of columns: a faceted chart has a fixed width, which is clipped on a narrow screen
  and leaves room unused on a wide one; separate charts each take their column's width.
  With ``shared_y`` (the default) every panel has the same value axis
  (:func:`sim.charts.scales.shared_axis`), so that panels compare like with like.

The layouts are :func:`sim.charts.fan.layout`'s (cached); the value axis
(:mod:`sim.charts.scales`) holds every band with room to spare, on round ticks whose
labels all differ; the description is :func:`sim.charts.alt_text.describe_fan`'s, which
the app also shows as a caption.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.charts.alt_text import describe_fan
from sim.charts.axes import finite
from sim.charts.fan import COLOUR, layout
from sim.charts.palette import colour
from sim.charts.scales import TICKS, ValueAxis, apply_axis, band_values, shared_axis, value_axis

#: Heights, pixels, of a chart on its own and of a panel of small multiples. In the app
#: a chart as wide as its container fits its legend, title and axes into this height too.
HEIGHT = 300
PANEL_HEIGHT = 230
#: Longest line of a panel's title, in characters (a panel is about 220 pixels wide at
#: 800 pixels of screen, 180 of them beside its axis labels); longer titles wrap, and every panel of a grid gets as many
#: title lines as the longest needs, so that the plots of a row line up.
TITLE_WRAP = 20
#: About this many ticks on a panel's value axis: its plot is about 150 pixels tall, and
#: the app's Vega drops every other label when they are much closer than 40 pixels.
PANEL_TICKS = 4


@dataclass(frozen=True)
class Panel:
    """One small chart of a grid: its series, Vega-Lite spec and description in words."""

    series: str
    spec: dict[str, Any]
    words: str


def _clean(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON can carry them: values that are not finite as ``None`` (gaps)."""
    return [{k: finite(x) for k, x in r.items()} for r in rows]


def _months(rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(str(r["month"]) for r in rows)))


def app_fan(
    rows: Sequence[dict[str, Any]],
    y_title: str | None,
    *,
    percent: bool = False,
    zero: bool = True,
    axis: ValueAxis | None = None,
    title: str | list[str] = "",
    height: int = HEIGHT,
    words: str | None = None,
    panel_colour: str | None = None,
    show_y_title: bool = True,
) -> dict[str, Any]:
    """A fan chart of band rows (:func:`sim.charts.fan.band_rows`) for the app, data inline.

    Args:
        rows: one per month and series.
        y_title: the value axis's title (``None``: none; say the unit around the chart).
        percent: values are fractions, labelled as percentages.
        zero: the value axis starts at zero.
        axis: the value axis (default: from these rows; give one to share a scale).
        title: above the plot (a panel's series), a line or a list of lines.
        height: of the plot, pixels; the width is the container's.
        words: the description (default: :func:`sim.charts.alt_text.describe_fan`).
        panel_colour: draw the one series in this colour (default: the palette's first,
            or one colour each).
        show_y_title: put ``y_title`` on the axis (else only in the words: a narrow panel
            keeps its width for the plot, and the unit is said above the grid).
    """
    clean = _clean(rows)
    order = tuple(dict.fromkeys(str(r["series"]) for r in clean))
    fixed = panel_colour is not None
    if fixed:
        for r in clean:
            r[COLOUR] = panel_colour
    spec: dict[str, Any] = json.loads(
        layout(
            y_title if show_y_title else None,
            percent,
            False,
            () if fixed else order,
            zero,
            1,
            False,
            fixed,
            _months(clean),
            None,
            height,
            False,
            False,
            len(order) > 1,
        )
    )
    spec["data"] = {"values": clean}
    ticks = TICKS if height >= HEIGHT else PANEL_TICKS
    apply_axis(spec, axis or value_axis(band_values(clean), percent, zero, ticks))
    if title:
        spec["title"] = {"text": title}
    spec["description"] = words if words is not None else describe_fan(clean, y_title, percent)
    # Every band point and line named to a screen reader is noise: the chart's name (the
    # description) and its axes say what it shows.
    spec["config"]["mark"] = {**spec["config"].get("mark", {}), "aria": False}
    return spec


def fan_panels(
    rows: Sequence[dict[str, Any]],
    y_title: str | None = None,
    *,
    percent: bool = False,
    zero: bool = True,
    shared_y: bool = True,
    height: int = PANEL_HEIGHT,
    show_y_title: bool = False,
) -> list[Panel]:
    """One small fan chart per series of ``rows``, in order of first appearance, each in
    its palette colour and titled with its series.

    Args:
        shared_y: one value axis for every panel, so heights compare across them (else each
            panel's axis fits its own data: say so beside the charts).
        (the rest as :func:`app_fan`.)
    """
    order = list(dict.fromkeys(str(r["series"]) for r in rows))
    groups = {s: [r for r in rows if str(r["series"]) == s] for s in order}
    axis = shared_axis(groups.values(), percent, zero, PANEL_TICKS) if shared_y else None
    titles = {s: textwrap.wrap(s, TITLE_WRAP) or [s] for s in order}
    lines = max((len(t) for t in titles.values()), default=1)
    out = []
    for i, series in enumerate(order):
        words = describe_fan(groups[series], y_title, percent)
        spec = app_fan(
            groups[series],
            y_title,
            percent=percent,
            zero=zero,
            axis=axis,
            # No-break spaces: Vega drops a title line of plain spaces.
            title=titles[series] + ["\u00a0"] * (lines - len(titles[series])),
            height=height,
            words=words,
            panel_colour=colour(i),
            show_y_title=show_y_title,
        )
        out.append(Panel(series, spec, words))
    return out

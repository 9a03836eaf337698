"""The shared look of every chart: one Vega-Lite ``config`` applied by :func:`themed`.

Fonts, text colours (:mod:`sim.charts.palette`, all at least 4.5:1 against white), axis,
grid, title and legend styling live here and nowhere else, so the app's charts and the
report's look alike. Sizes are in pixels.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from sim.charts.palette import (
    AXIS,
    FONT,
    FONT_SIZE,
    GRID,
    INK,
    MUTED,
    PALETTE,
    TITLE_SIZE,
    WHITE,
)

#: Room around a chart, pixels (text measured narrower than it renders still fits).
PADDING = {"left": 8, "top": 4, "right": 8, "bottom": 4}

_CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": WHITE,
    "padding": PADDING,
    "view": {"stroke": None, "continuousWidth": 300, "continuousHeight": 300},
    "range": {"category": list(PALETTE)},
    "axis": {
        "labelColor": MUTED,
        "labelFont": FONT,
        "labelFontSize": FONT_SIZE,
        "titleColor": INK,
        "titleFont": FONT,
        "titleFontSize": FONT_SIZE,
        "titleFontWeight": "normal",
        "gridColor": GRID,
        "domainColor": AXIS,
        "tickColor": AXIS,
    },
    "axisY": {"domain": False, "ticks": False, "labelPadding": 6},
    "title": {
        "anchor": "start",
        "color": INK,
        "font": FONT,
        "fontSize": TITLE_SIZE,
        "fontWeight": 600,
        "subtitleColor": MUTED,
        "subtitleFont": FONT,
        "subtitleFontSize": FONT_SIZE,
        "subtitlePadding": 4,
        "offset": 10,
    },
    "legend": {
        "labelColor": INK,
        "labelFont": FONT,
        "labelFontSize": FONT_SIZE,
        "titleColor": INK,
        "titleFont": FONT,
        "labelLimit": 0,
    },
    "header": {
        "labelColor": INK,
        "labelFont": FONT,
        "labelFontSize": FONT_SIZE,
        "labelFontWeight": 600,
        "titleColor": INK,
        "titleFont": FONT,
    },
    "text": {"color": INK, "font": FONT, "fontSize": FONT_SIZE},
}


def config() -> dict[str, Any]:
    """The Vega-Lite ``config`` of every chart (a fresh copy)."""
    return copy.deepcopy(_CONFIG)


class SupportsToDict(Protocol):
    """An Altair chart: anything with ``to_dict()`` giving a Vega-Lite dict."""

    def to_dict(self, validate: bool = True) -> dict[str, Any]: ...


#: Whether building a chart checks it against the Vega-Lite schema (slow: about as long as
#: the rest of building it; the tests check every layout instead).
VALIDATE = False


def spec_of(chart: SupportsToDict) -> dict[str, Any]:
    """An Altair chart as a Vega-Lite dict, with the shared config (:func:`themed`)."""
    return themed(chart.to_dict(validate=VALIDATE))


def themed(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a Vega-Lite dict, changed in place and returned) with the shared config.

    Settings the spec makes itself win over the shared ones, section by section.
    """
    own = spec.get("config") or {}
    merged = config()
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    spec["config"] = merged
    return spec


def padded(spec: dict[str, Any], left: float = 0, right: float = 0) -> dict[str, Any]:
    """``spec`` (changed in place and returned) with extra room at its left or right edge,
    pixels, beyond :data:`PADDING` (for text that may render wider than it was measured)."""
    pad = {**PADDING}
    pad["left"] += round(left)
    pad["right"] += round(right)
    spec["padding"] = pad
    return spec

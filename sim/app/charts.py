"""Showing the shared charts (:mod:`sim.charts`) in Streamlit: the only place the app draws.

The specs are built by :mod:`sim.charts`, the same system the offline report renders to SVG,
with its palette and theme; here they only go on the page. Every chart takes its
container's width, and says in words what it shows (its accessible name, and a caption).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import streamlit as st

from sim.charts.app_fans import app_fan, fan_panels
from sim.charts.bars import power_by_bloc
from sim.charts.fan import band_rows

__all__ = ["COLUMNS", "OWN_SCALES", "band_rows", "show_fan", "show_power"]

#: Columns of small multiples. The app cannot know the browser's width; two columns keep
#: each panel readable from a laptop with a side panel (about 800 pixels: panels about 220
#: pixels wide) to a wide screen (1,400 pixels: about 450).
COLUMNS = 2
#: Said under small multiples that do not share a scale.
OWN_SCALES = (
    "Each chart has its own scale, so compare the shapes, not the heights: read each "
    "chart's axis for its values."
)


def _draw(spec: dict[str, Any], words: str) -> None:
    """One chart, its words its screen-reader name: as the spec's description (which Vega
    gives the chart), not also as ``alt``, which Streamlit would log a warning about, with a
    stack, for every chart drawn."""
    spec = {**spec, "description": words} if words else dict(spec)
    # The rows go as an Arrow table rather than inside the spec: Streamlit turns inline
    # values into Arrow through pandas (about 25 ms a chart); a table it sends as it is.
    values = spec.pop("data", {}).get("values")
    data = pa.Table.from_pylist(values) if values else None
    # theme=None: the shared theme (palette, contrast) rather than Streamlit's own.
    st.vega_lite_chart(data, spec=spec, width="stretch", theme=None)


def show_fan(
    rows: list[dict[str, Any]],
    y_title: str,
    percent: bool = False,
    facet: bool = False,
    zero: bool = True,
    shared_y: bool = True,
    *,
    columns: int = COLUMNS,
    words: str | None = None,
) -> None:
    """Draw a fan chart of band rows (:func:`band_rows`), as wide as its container, with
    what it shows in words as its accessible name and, under it, a caption.

    Args:
        rows: one per month and series; several series on one chart overlap (A and B),
            each told apart by colour and dash, with a legend row per series.
        y_title: the value axis's title, and the unit of the words.
        percent: values are fractions, labelled as percentages.
        facet: one small chart per series instead, in a grid of ``columns``, sharing one
            value axis if ``shared_y`` (else saying that each has its own scale).
        zero: the value axis starts at zero.
        words: the caption (default: :func:`sim.charts.alt_text.describe_fan`'s words).
    """
    if not facet:
        spec = app_fan(rows, y_title, percent=percent, zero=zero, words=words)
        _draw(spec, spec["description"])
        st.caption(spec["description"])
        return
    panels = fan_panels(rows, y_title, percent=percent, zero=zero, shared_y=shared_y)
    for start in range(0, len(panels), columns):
        cells = st.columns(columns)
        for cell, panel in zip(cells, panels[start : start + columns], strict=False):
            with cell:
                _draw(panel.spec, panel.words)
    if not shared_y:
        st.caption(OWN_SCALES)
    # Each panel's words are its accessible name; all of them, for anyone, one click away
    # (seven sectors' sentences under the grid would bury the next chart).
    with st.expander("These charts in words"):
        st.write(words or "\n\n".join(p.words for p in panels))


def show_power(bloc_rows: list[dict[str, Any]]) -> None:
    """Voting power by bloc: one bar per bloc and index (rows of ``bloc``, ``index``,
    ``power``, ``voting members``), most powerful first, and the same in words."""
    spec = power_by_bloc(bloc_rows)
    words = "Voting power by bloc: " + str(spec["description"])
    _draw(spec, words)
    st.caption(words)

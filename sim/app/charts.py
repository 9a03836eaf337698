"""Showing the shared charts (:mod:`sim.charts`) in Streamlit: the only place the app draws.

The specs are built by :mod:`sim.charts`, the same system the offline report renders to SVG,
with its palette and theme; here they only get their numbers and go on the page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.charts.bars import power_by_bloc
from sim.charts.fan import band_rows, fan_spec

__all__ = ["band_rows", "show_fan", "show_power"]


def show_fan(
    rows: list[dict[str, Any]],
    y_title: str,
    percent: bool = False,
    facet: bool = False,
    zero: bool = True,
    shared_y: bool = False,
) -> None:
    """Draw a fan chart (:func:`sim.charts.fan.fan_spec`) of band rows (:func:`band_rows`)."""
    order = tuple(dict.fromkeys(r["series"] for r in rows))
    spec = fan_spec(y_title, percent, facet, order, zero, shared_y=shared_y)
    spec["data"] = {"values": rows}
    # theme=None: the shared theme (palette, contrast) rather than Streamlit's own.
    st.vega_lite_chart(spec=spec, width="content" if facet else "stretch", theme=None)


def show_power(bloc_rows: list[dict[str, Any]]) -> None:
    """Voting power by bloc: one bar per bloc and index (rows of ``bloc``, ``index``,
    ``power``, ``voting members``), most powerful first."""
    st.vega_lite_chart(spec=power_by_bloc(bloc_rows), width="stretch", theme=None)

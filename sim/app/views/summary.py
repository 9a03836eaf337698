"""The view "Summary and downloads": every headline measure with its confidence interval
and percentiles (``summary.csv``) in plain words, the board pack, and the result files
``python -m sim run`` writes."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import streamlit as st

from sim.analysis.compare import paired_with
from sim.analysis.measures import REGISTRY
from sim.analysis.summary import SummaryRow
from sim.app.downloads import board_pack_download, result_downloads
from sim.app.run_cache import Run, Showing, get_run
from sim.app.screen import table_height
from sim.app.size import check_size
from sim.scenario.format import Scenario
from sim.units import display

TITLE = "Summary and downloads"


def summary_table(rows: Sequence[SummaryRow]) -> pa.Table:
    """The summary in words: each measure's label, what the row is for (a year, a sector, a
    rule), its unit in words, and its numbers as the rest of the app writes them."""

    def v(x: float, unit: str) -> str:
        return display.value(x, unit)

    return pa.table(
        {
            "Measure": [REGISTRY[x.measure].label for x in rows],
            "For": [x.detail for x in rows],
            "Unit": [display.UNIT_WORDS.get(x.unit, x.unit) for x in rows],
            "Average": [v(x.mean, x.unit) for x in rows],
            "95% CI of the average": [
                f"{v(x.ci95_low, x.unit)} to {v(x.ci95_high, x.unit)}" if x.n > 1 else "n/a"
                for x in rows
            ],
            "5th percentile": [v(x.p05, x.unit) for x in rows],
            "Median": [v(x.p50, x.unit) for x in rows],
            "95th percentile": [v(x.p95, x.unit) for x in rows],
        }
    )


def pinned_run(showing: Showing) -> tuple[Run | None, str]:
    """The pinned A's run, with B's seed and replications so that they pair, or None; and
    a note if A is pinned but cannot be run."""
    pinned: Scenario | None = st.session_state.get("pinned")
    if pinned is None:
        return None, ""
    a = paired_with(pinned, showing.scenario)
    too_big = check_size(a)
    if too_big:
        return (
            None,
            f"The pinned A cannot be run to pair with B, so the pack leaves it out: {too_big}",
        )
    return get_run(a, "A", showing.slot), ""


def board_pack(showing: Showing) -> None:
    """The board pack: its question, and the button that builds it."""
    st.subheader("Board pack")
    pinned, note = pinned_run(showing)
    st.caption(
        "One printable document for a board paper: the question, the settings in words, the "
        "answer with likely ranges, "
        + ("B against the pinned A, " if pinned else "")
        + "three charts and the assumptions with their sources. Open it in a browser and "
        "print it on A4, or save it as PDF."
        + (
            ""
            if pinned or note
            else " Pin settings as A under Compare A and B to add a comparison."
        )
    )
    if note:
        st.info(note)
    question = st.text_area(
        "The question the pack answers",
        value=showing.scenario.description,
        key="pack_question",
        height=68,
        help="Printed as the pack's title. It starts as the scenario's description.",
    )
    board_pack_download(showing.run, question, pinned, showing.scenario.name)


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    table = summary_table(showing.run.summary)
    st.dataframe(table, hide_index=True, height=table_height(table.num_rows))
    board_pack(showing)
    st.subheader("Downloads")
    st.caption(
        "The same files python -m sim run writes for this scenario. Large files are built when "
        "you click."
    )
    result_downloads(showing.run.results, showing.scenario.name)

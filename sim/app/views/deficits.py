"""The view "Deficits": the system's accumulated deficit, the underlying (recurrent) position
of each year and the deficit repaid, and the chance of ending above a deficit limit or of a
ring-fence being relaxed (:func:`sim.analysis.compare.breach_chance`)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from sim.analysis.compare import breach_chance
from sim.analysis.measures import REGISTRY
from sim.analysis.monthly import band
from sim.app.charts import band_rows, show_fan
from sim.app.run_cache import Run, Showing
from sim.app.screen import table_height
from sim.units import display
from sim.units.money import PENCE_PER_MILLION

TITLE = "Deficits"


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    r = showing.run
    d = r.digest
    st.subheader("The system's accumulated deficit (£m)")
    st.caption(
        "Positive: owed. Line: the average; bands: where the middle half and 9 in 10 of the "
        "simulated futures lie."
    )
    show_fan(band_rows("system deficit", band(d.deficit), d.labels(), PENCE_PER_MILLION), "£m")
    row = r.row("system_deficit")
    over = r.row("acute_overspend")
    if row is not None and over is not None:
        st.write(
            f"At the end of the horizon the deficit averages "
            f"**{display.value(row.mean, row.unit)}** (5th to 95th percentile "
            f"{display.value(row.p05, row.unit)} to {display.value(row.p95, row.unit)}); "
            f"hospitals overspend by **{display.value(over.mean, over.unit)}** in all."
        )
    underlying(r)
    limit = st.number_input(
        "Deficit limit (£m)",
        min_value=0.0,
        value=0.0,
        step=10.0,
        key="deficit_limit",
        help="The chance that the system ends the horizon with a larger deficit than this.",
    )
    p_deficit, p_fence = breach_chance(r.measures, float(limit))
    # A row that wraps: at 800 pixels wide two labels side by side would be cut.
    chances = st.container(horizontal=True)
    chances.metric(
        f"Chance of a deficit above {display.pounds_m(limit, 0)}",
        display.percent(p_deficit, 0),
        width="content",
    )
    chances.metric(
        "Chance that a ring-fence had to be relaxed", display.percent(p_fence, 0), width="content"
    )


def underlying(r: Run) -> None:
    """Each year's underlying (recurrent) position, and the deficit repaid over the horizon."""
    rows = r.rows("underlying_deficit")
    if not rows:
        return
    info = REGISTRY["underlying_deficit"]
    st.subheader(f"{info.label} by year (£m)")
    repaid = r.row("deficit_repaid")
    st.caption(
        info.description
        + (
            f" Over the horizon {display.value(repaid.mean, repaid.unit)} of past deficits "
            "was repaid from later plans (with any penalties)."
            if repaid is not None
            else ""
        )
    )
    table = pa.table(
        {
            "year": [x.detail for x in rows],
            "mean": [display.value(x.mean, x.unit) for x in rows],
            "95% CI of the mean": [
                f"{display.value(x.ci95_low, x.unit)} to {display.value(x.ci95_high, x.unit)}"
                if x.n > 1
                else "n/a"
                for x in rows
            ],
            "5th to 95th percentile": [
                f"{display.value(x.p05, x.unit)} to {display.value(x.p95, x.unit)}" for x in rows
            ],
        }
    )
    st.dataframe(table, hide_index=True, height=table_height(table.num_rows))

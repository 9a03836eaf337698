"""The view "Primary to hospital care": money moved out of primary care, primary-care need
left unmet and its spill-over cost to hospitals, cumulative month by month."""

from __future__ import annotations

import streamlit as st

from sim.analysis.monthly import band
from sim.app.charts import band_rows, show_fan
from sim.app.run_cache import Showing
from sim.units.money import PENCE_PER_MILLION

TITLE = "Primary to hospital care"


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    d = showing.run.digest
    labels = d.labels()
    st.caption(
        "Cumulative since the first month, £m. Moved: in-year money out of primary-care "
        "budgets (recovery-plan pauses, or transfers under the board-vote model). Unmet need: "
        "primary-care need its capped budgets could not pay for. Spill-over: the hospital "
        "cost that unmet primary and community need returns as (extra A&E attendances and "
        "admissions), after a lag. The headline's table gives every capped sector's unmet "
        "need and money moved out. One scale for all three, from £0m, so their sizes compare."
    )
    rows = (
        band_rows("moved from primary care", band(d.moved), labels, PENCE_PER_MILLION)
        + band_rows("unmet primary-care need", band(d.unmet), labels, PENCE_PER_MILLION)
        + band_rows("spill-over to hospitals", band(d.spill), labels, PENCE_PER_MILLION)
    )
    show_fan(rows, "£m, cumulative", facet=True, shared_y=True)

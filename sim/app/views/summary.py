"""The view "Summary and downloads": every headline measure with its confidence interval
and percentiles (``summary.csv``), and the result files ``python -m sim run`` writes."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from sim.app.downloads import result_downloads
from sim.app.run_cache import Showing
from sim.app.screen import table_height

TITLE = "Summary and downloads"


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    rows = showing.run.summary
    table = pa.table(
        {
            "measure": [x.measure for x in rows],
            "detail": [x.detail for x in rows],
            "unit": [x.unit for x in rows],
            "mean": [x.mean for x in rows],
            "95% CI low": [x.ci95_low for x in rows],
            "95% CI high": [x.ci95_high for x in rows],
            "5th pct": [x.p05 for x in rows],
            "median": [x.p50 for x in rows],
            "95th pct": [x.p95 for x in rows],
        }
    )
    st.dataframe(table, hide_index=True, height=table_height(table.num_rows))
    st.subheader("Downloads")
    st.caption(
        "The same files python -m sim run writes for this scenario. Large files are built when "
        "you click."
    )
    result_downloads(showing.run.results, showing.scenario.name)

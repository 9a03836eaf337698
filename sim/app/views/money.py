"""The view "Where the money goes": primary care's share of all budgets, and each sector's
budget and share, month by month (fan charts over the replications)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.analysis.monthly import band
from sim.app.charts import band_rows, show_fan
from sim.app.run_cache import Showing
from sim.units.money import PENCE_PER_MILLION

TITLE = "Where the money goes"


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    d = showing.run.digest
    labels = d.labels()
    st.subheader("Primary-care share of all budgets")
    st.caption(
        "General practice plus pharmacy, dental and optometry, as a share of every sector's "
        "budget (the year's plan plus in-year transfers to date). Line: mean; bands: 50% and "
        f"90% of {d.n:,} replications."
    )
    show_fan(
        band_rows("primary care", band(d.share("primary")), labels, 1.0),
        "share",
        percent=True,
        zero=False,
    )
    shares = d.sector_shares()
    budget_rows: list[dict[str, Any]] = []
    share_rows: list[dict[str, Any]] = []
    for s, name in enumerate(d.sector_names):
        budget_rows += band_rows(name, band(d.budget[:, :, s]), labels, PENCE_PER_MILLION)
        share_rows += band_rows(name, band(shares[:, :, s]), labels, 1.0)
    st.subheader("Budgets by sector (£m a year)")
    show_fan(budget_rows, "£m a year", facet=True)
    st.subheader("Shares of the budgets by sector")
    show_fan(share_rows, "share", percent=True, zero=False, facet=True, shared_y=True)

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
#: The two grids of per-sector charts, one shown at a time.
BUDGETS = "Budgets (£m)"
SHARES = "Shares of the budgets"
GRIDS = (BUDGETS, SHARES)


def show(showing: Showing) -> None:
    """Draw the view of the run on show."""
    d = showing.run.digest
    labels = d.labels()
    st.subheader("Primary-care share of all budgets")
    st.caption(
        "General practice plus pharmacy, dental and optometry, as a share of every sector's "
        "budget (the year's plan plus in-year transfers to date). Line: the average; bands: "
        f"where the middle half and 9 in 10 of the {d.n:,} simulated futures lie."
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
    # One grid at a time: fifteen charts at once keep the browser busy for a second or more
    # before the page is usable (each chart is compiled and drawn on its own).
    grid = st.segmented_control(
        "By sector",
        list(GRIDS),
        default=BUDGETS,
        key="money_grid",
        help="Each sector's budget in £m, or its share of all the budgets.",
    )
    if grid == SHARES:
        st.subheader("Shares of the budgets by sector")
        st.caption(
            "Each sector's budget as a share of all of them. One scale for every sector, from "
            "0%, so the heights compare: a small sector's change looks as small as it is."
        )
        show_fan(share_rows, "share", percent=True, facet=True, shared_y=True)
    else:
        st.subheader("Budgets by sector (£m a year)")
        st.caption(
            "Each sector's budget: the year's plan plus in-year transfers to date. Each chart "
            f"has its own scale, from £0m{scale_words(budget_rows)}."
        )
        show_fan(budget_rows, "£m a year", facet=True, shared_y=False)


def scale_words(rows: list[dict[str, Any]]) -> str:
    """How far apart the sectors' budgets end (why each chart has its own scale), e.g.
    ``: acute's budget is about 13 times pharmacy's``; empty with fewer than two."""
    last: dict[str, float] = {}
    for r in rows:
        if r["mean"] is not None:
            last[str(r["series"])] = float(r["mean"])
    positive = {s: v for s, v in last.items() if v > 0}
    if len(positive) < 2:
        return ""
    big = max(positive, key=positive.__getitem__)
    small = min(positive, key=positive.__getitem__)
    return f": {big}'s budget is about {positive[big] / positive[small]:.0f} times {small}'s"

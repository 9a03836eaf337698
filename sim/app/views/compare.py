"""The view "Compare A and B": the pinned settings A against the current settings B,
replication by replication (common random numbers), as ``python -m sim compare``
(:func:`sim.analysis.compare.paired_rows`)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import streamlit as st

from sim.analysis.compare import NotPaired, PairedRow, paired_rows, paired_with
from sim.analysis.monthly import band
from sim.app.changes import scenario_changes
from sim.app.charts import band_rows, show_fan
from sim.app.periods import YEAR_DETAIL, period, same_period
from sim.app.run_cache import Showing, get_run
from sim.app.screen import show_error, table_height
from sim.app.session import on_pin, on_unpin
from sim.app.size import check_size
from sim.scenario.format import Scenario
from sim.units import display

TITLE = "Compare A and B"


def show(showing: Showing) -> None:
    """Draw the view: A (pinned, rerun with B's seed and replications if need be) and B."""
    current, scenario, slot = showing.run, showing.scenario, showing.slot
    st.caption(
        "Pin the current settings as A, change the controls, and compare B (the current "
        "settings) with A replication by replication: both see the same need, shocks and "
        "allocation growth (common random numbers), so the paired difference is much more "
        "precise than either result alone."
    )
    c1, c2 = st.columns(2)
    c1.button(
        "Pin current settings as A",
        key="pin",
        on_click=on_pin,
        type="primary",
        icon=":material/push_pin:",
    )
    pinned: Scenario | None = st.session_state.get("pinned")
    if pinned is None:
        st.info("Nothing pinned yet.")
        return
    c2.button("Unpin A", key="unpin", on_click=on_unpin)
    a = paired_with(pinned, scenario)
    if a is not pinned:
        st.info(
            f"A is run with B's seed ({scenario.seed}) and replications "
            f"({scenario.replications:,}) so that the replications pair."
        )
    too_big = check_size(a)
    if too_big:
        show_error(f"A cannot be run to pair with B: {too_big}")
        return
    changes = scenario_changes(a, scenario)
    if changes:
        with st.expander(f"B differs from A in {len(changes)} setting(s)", expanded=True):
            st.code("\n".join(changes), language=None, wrap_lines=True)
    else:
        st.warning("B is the same as A: change a control to compare.")
    ra = get_run(a, "A", slot)
    try:
        rows = paired_rows(ra.measures, current.measures)
    except NotPaired as exc:
        show_error(f"A and B cannot be paired: {exc}")
        return
    if not same_period(a, scenario):
        whole = sorted({r.measure for r in rows if not YEAR_DETAIL.fullmatch(r.detail)})
        rows = [r for r in rows if YEAR_DETAIL.fullmatch(r.detail)]
        st.warning(
            f"A covers {period(a)} and B {period(scenario)}: only the years both cover are "
            "compared. Totals over the horizon cover different periods and are left out"
            + (f" ({', '.join(whole)})." if whole else ".")
        )
    if rows:
        paired_table(rows)
    else:
        st.info("A and B have no measure for the same period to compare.")
    overlay = band_rows("A", band(ra.digest.share("primary")), ra.digest.labels(), 1.0) + band_rows(
        "B", band(current.digest.share("primary")), current.digest.labels(), 1.0
    )
    st.subheader("Primary-care share: A and B")
    show_fan(overlay, "share", percent=True, zero=False)


def cell(x: float, unit: str) -> str:
    """A mean as the table shows it: a growth rate without its "a year" (the measure says
    so), to fit its column; otherwise :func:`sim.units.display.value`."""
    return display.percent(x, 2) if unit == display.RATE else display.value(x, unit)


def paired_table(rows: Sequence[PairedRow]) -> None:
    """The paired differences B - A, one row per measure and detail."""
    table = pa.table(
        {
            "measure": [r.measure for r in rows],
            "detail": [r.detail for r in rows],
            "n": [r.n for r in rows],
            "A": [cell(r.mean_a, r.unit) for r in rows],
            "B": [cell(r.mean_b, r.unit) for r in rows],
            "B - A": [display.delta(r.difference, r.unit) for r in rows],
            "95% CI (paired)": [
                f"{display.delta(r.ci95_low, r.unit)} to {display.delta(r.ci95_high, r.unit)}"
                if r.n > 1
                else "n/a"
                for r in rows
            ],
            "P(B > A)": [r.p_b_higher for r in rows],
            "better": [r.better for r in rows],
        }
    )
    # Widths (pixels, 920 in all) that show every sector's name and value whole on a wide page.
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(table.num_rows),
        column_config={
            "measure": st.column_config.TextColumn(width=180),
            "detail": st.column_config.TextColumn(width=190),
            "n": st.column_config.NumberColumn(
                "paired", format="%d", width=55, help="Replications paired."
            ),
            "A": st.column_config.TextColumn(width=75),
            "B": st.column_config.TextColumn(width=75),
            "B - A": st.column_config.TextColumn(width=75),
            "95% CI (paired)": st.column_config.TextColumn(width=150),
            "P(B > A)": st.column_config.NumberColumn(format="%.2f", width=65),
            "better": st.column_config.TextColumn(
                width=55, help="Which is better, by the measure's direction (blank: neither)."
            ),
        },
    )

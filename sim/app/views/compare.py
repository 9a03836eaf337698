"""The view "Compare A and B": the pinned settings A against the current settings B,
replication by replication (common random numbers), as ``python -m sim compare``
(:func:`sim.analysis.compare.paired_rows`).

It leads with the answer in a sentence (:func:`sim.analysis.narrative.comparison_sentence`),
then says how B differs from A in words, where the cut went in every capped sector, the
primary-care share of both (named by what differs), and every measure's paired difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import streamlit as st

from sim.analysis.compare import NotPaired, PairedRow, paired_rows, paired_with
from sim.analysis.measures import REGISTRY
from sim.analysis.monthly import band
from sim.analysis.narrative import Horizon, comparison_sentence, displacements, interval, verdict
from sim.app.charts import band_rows, show_fan
from sim.app.periods import YEAR_DETAIL, period, same_period
from sim.app.run_cache import Showing, get_run
from sim.app.screen import literal, show_error
from sim.app.session import on_pin, on_unpin
from sim.app.size import check_size
from sim.report.settings_words import difference_words, legend_names
from sim.scenario.format import Scenario
from sim.units import display

TITLE = "Compare A and B"
#: What the table's last column says for each verdict of B against A.
BETTER_WORDS = {
    "better": "B better",
    "worse": "A better",
    "neither better nor worse": "neither: no better direction",
    "no clear change": "no clear change",
}


def show(showing: Showing) -> None:
    """Draw the view: A (pinned, rerun with B's seed and replications if need be) and B."""
    current, scenario, slot = showing.run, showing.scenario, showing.slot
    st.caption(
        "Pin the current settings as A, change the controls, and compare B (the current "
        "settings) with A. Both see the same simulated futures, so the difference between "
        "them comes from the settings alone, and is known far more precisely than either."
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
        st.info("Nothing pinned yet: pin these settings as A, then change a control.")
        return
    c2.button("Unpin A", key="unpin", on_click=on_unpin)
    a = paired_with(pinned, scenario)
    if a is not pinned:
        st.caption(
            f"A is run with B's seed ({scenario.seed}) and number of simulated futures "
            f"({scenario.replications:,}) so that each future of A pairs with one of B."
        )
    too_big = check_size(a)
    if too_big:
        show_error(f"A cannot be run to pair with B: {too_big.split(': replications: ')[-1]}")
        return
    differences = difference_words(a, scenario)
    if not differences:
        st.warning("B is the same as A: change a control to compare.")
    ra = get_run(a, "A", slot)
    try:
        rows = paired_rows(ra.measures, current.measures)
    except NotPaired as exc:
        show_error(f"A and B cannot be paired: {exc}")
        return
    horizon = Horizon(scenario.start_year, scenario.horizon_years)
    if not same_period(a, scenario):
        # Only the years both cover are compared: the words say those years.
        first = max(a.start_year, scenario.start_year)
        end = min(a.start_year + a.horizon_years, scenario.start_year + scenario.horizon_years)
        horizon = Horizon(first, max(1, end - first))
        whole = sorted(
            {REGISTRY[r.measure].label for r in rows if not YEAR_DETAIL.fullmatch(r.detail)}
        )
        rows = [r for r in rows if YEAR_DETAIL.fullmatch(r.detail)]
        st.warning(
            f"A covers {period(a)} and B {period(scenario)}: only the years both cover are "
            "compared. Totals over the horizon cover different periods and are left out"
            + (f" ({', '.join(whole).lower()})." if whole else ".")
        )
    if differences:
        st.markdown(f"**The answer.** {literal(comparison_sentence(rows, horizon))}")
        st.markdown(
            "**How B differs from A:**\n" + "\n".join(f"- {literal(d)}" for d in differences)
        )
    displacement_table(rows, horizon)
    name_a, name_b = legend_names(a, scenario)
    overlay = band_rows(name_a, band(ra.digest.share("primary")), ra.digest.labels(), 1.0)
    overlay += band_rows(
        name_b, band(current.digest.share("primary")), current.digest.labels(), 1.0
    )
    st.subheader("Primary-care share of all budgets: A and B")
    show_fan(overlay, "share", percent=True, zero=False)
    if rows:
        # Every measure is long (sixty rows): on demand, below the answer and the chart.
        with st.expander(f"Every measure, B against A ({len(rows)})"):
            paired_table(rows, horizon)
    else:
        st.info("A and B have no measure for the same period to compare.")


def displacement_table(rows: Sequence[PairedRow], horizon: Horizon) -> None:
    """Where the cut went: every capped sector's change in unmet need and money moved out."""
    found = displacements(rows)
    if not found:
        return
    st.subheader("Where the cut went, sector by sector")
    st.caption(
        f"Every capped sector (one whose budget limits what it spends), over {horizon.span}: "
        "how much more (+) or less (−) of its need B leaves unmet than A, and how much more "
        "of its budget B moves out in-year. A demand-led sector spends what its need costs, "
        "so its excess shows as a hospital overspend instead."
    )

    def cell(r: PairedRow | None) -> str:
        if r is None:
            return "—"
        ci = interval(r)
        return display.delta(r.difference, r.unit) + (f" ({ci})" if ci else "")

    st.table(
        pa.table(
            {
                "Sector": [d.sector for d in found],
                "Need left unmet, B − A": [cell(d.unmet) for d in found],
                "Money moved out, B − A": [cell(d.moved_out) for d in found],
            }
        ),
        hide_index=True,
    )


def cell(x: float, unit: str) -> str:
    """A mean as the table shows it: a growth rate without its "a year" (the measure says
    so), to fit its column; otherwise :func:`sim.units.display.value`."""
    return display.percent(x, 2) if unit == display.RATE else display.value(x, unit)


def measure_words(r: PairedRow) -> str:
    """``Need left unmet: community``, ``Primary-care share of budgets, 2029/30``."""
    label = REGISTRY[r.measure].label if r.measure in REGISTRY else r.measure
    if REGISTRY.get(r.measure) and REGISTRY[r.measure].scope in ("per_sector", "growth"):
        return f"{label}: {r.detail}"
    if YEAR_DETAIL.fullmatch(r.detail):
        return f"{label}, {r.detail}"
    return label


def paired_table(rows: Sequence[PairedRow], horizon: Horizon) -> None:
    """The paired differences B − A, one row per measure and detail, in words; a static
    table that wraps, so every column is on screen at any width."""
    table = pa.table(
        {
            "Measure": [measure_words(r) for r in rows],
            "A": [cell(r.mean_a, r.unit) for r in rows],
            "B": [cell(r.mean_b, r.unit) for r in rows],
            "B − A (95% CI)": [
                display.delta(r.difference, r.unit)
                + (f" ({interval(r).removeprefix('95% CI ')})" if r.n > 1 else "")
                for r in rows
            ],
            "B higher in": [f"{r.p_b_higher:.0%} of futures" for r in rows],
            "Which is better": [BETTER_WORDS[verdict(r)] for r in rows],
        }
    )
    st.caption(
        f"Means over {rows[0].n:,} paired futures, {horizon.span}. 95% CI: the paired "
        "confidence interval of the difference. 'No clear change': the interval includes zero."
    )
    st.table(table, hide_index=True)

"""The headline: six measures as metrics, with their change against the loaded file's own
result. Labels, units and which way is better come from :data:`sim.analysis.measures.REGISTRY`;
numbers are written by :mod:`sim.units.display`, as in the CLI and the report."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from sim.analysis.measures import REGISTRY
from sim.app.periods import YEAR_DETAIL, period, same_period
from sim.app.run_cache import Run
from sim.units import display

#: Headline measures shown as metrics, with their labels from the registry; a yearly measure
#: (the share) shows its final year.
HEADLINES = tuple(
    (m, REGISTRY[m].label)
    for m in (
        "primary_care_share",
        "moved_primary_to_secondary",
        "unmet_primary_need",
        "spill_over_cost",
        "acute_overspend",
        "system_deficit",
    )
)
#: A metric's delta colour for each direction of "better" (green when better).
DELTA_COLOURS: dict[str, Literal["normal", "inverse", "off"]] = {
    "higher": "normal",
    "lower": "inverse",
    "neither": "off",
}


def headline(current: Run, reference: Run | None, same: bool) -> None:
    """Headline metrics with their change against the loaded file's own result.

    A change is shown only against the file's row for the same measure and detail (the
    same year of a yearly measure), and not for whole-horizon measures (cumulative, end of
    horizon) when the horizon differs from the file's: they cover different periods.
    """
    if reference is not None and not same_period(
        current.results.scenario, reference.results.scenario
    ):
        st.caption(
            f"These results cover {period(current.results.scenario)}, the file's "
            f"{period(reference.results.scenario)}: totals over the horizon cover different "
            "periods, so no change from the file is shown for them; the share is compared "
            "with the file's for the same year, if the file has it."
        )
    cols = [*st.columns(3), *st.columns(3)]
    for col, (measure, label) in zip(cols, HEADLINES, strict=True):
        info = REGISTRY[measure]
        row = current.row(measure, last=info.per_year)
        if row is None:
            continue
        ref = None if reference is None else reference.find(measure, row.detail)
        if (
            ref is not None
            and reference is not None
            and not YEAR_DETAIL.fullmatch(row.detail)
            and not same_period(current.results.scenario, reference.results.scenario)
        ):
            ref = None
        name = f"{label}, {row.detail}" if info.per_year else label
        delta = None if same or ref is None else display.delta(row.mean - ref.mean, row.unit)
        ci = (
            f"95% CI of the mean {display.value(row.ci95_low, row.unit)} to "
            f"{display.value(row.ci95_high, row.unit)}"
            if row.n > 1
            else "one replication: no CI"
        )
        note = (
            f"Mean over {row.n:,} replications; {ci}; 5th to 95th percentile "
            f"{display.value(row.p05, row.unit)} to {display.value(row.p95, row.unit)}."
        )
        if ref is not None:
            note += f" The file's own result: {display.value(ref.mean, ref.unit)}."
        col.metric(
            name,
            display.value(row.mean, row.unit),
            delta,
            delta_color=DELTA_COLOURS[info.better],
            help=note,
            border=True,
        )

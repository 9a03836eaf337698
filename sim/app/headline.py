"""The headline: nine measures as metrics and the per-sector measures as one small table,
each with its change against the loaded file's own result. Labels, units and which way is
better come from :data:`sim.analysis.measures.REGISTRY`; numbers are written by
:mod:`sim.units.display`, as in the CLI and the report."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sim.analysis.measures import MEASURES, REGISTRY
from sim.analysis.narrative import Horizon, tile_words
from sim.analysis.summary import SummaryRow
from sim.app.periods import YEAR_DETAIL, period, same_period
from sim.app.run_cache import Run
from sim.units import display

#: Headline measures shown as metrics, in groups of rows of three, each group headed by the
#: period it covers (:func:`period_words`): the final year's shares and underlying deficit,
#: then the totals over the horizon (where the money went, what it cost patients, the
#: finances).
HEADLINE_GROUPS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("primary_care_share", "left_shift", "underlying_deficit"),),
    (
        ("moved_primary_to_secondary", "unmet_primary_need", "spill_over_cost"),
        ("acute_overspend", "deficit_repaid", "system_deficit"),
    ),
)
HEADLINES: tuple[str, ...] = tuple(m for group in HEADLINE_GROUPS for row in group for m in row)
#: Measures with one detail per sector (the registry's scopes "per_sector" and "growth"),
#: shown together as one table with a row per sector.
SECTOR_MEASURES: tuple[str, ...] = tuple(
    m.name for m in MEASURES if m.scope in ("per_sector", "growth")
)
#: What a sector's cell shows when the measure has no row for it (a demand-led sector has
#: no money moved out and no unmet need: its excess is an overspend).
NONE = "—"
#: A tile's width, pixels: three fit a row at 1280 px beside the sidebar; at 800 px they wrap
#: to one or two a row, whole, rather than cutting their numbers.
TILE_WIDTH = 250
#: A metric's delta colour for each direction of "better" (green when better).
DELTA_COLOURS: dict[str, Literal["normal", "inverse", "off"]] = {
    "higher": "normal",
    "lower": "inverse",
    "neither": "off",
}


def reference_row(row: SummaryRow, reference: Run | None, comparable: bool) -> SummaryRow | None:
    """The file's own row for the same measure and detail, if a change may be shown.

    A row of one financial year is compared with the file's for the same year; a row over
    the whole horizon (cumulative, end of horizon, per sector, growth) only when both runs
    cover the same months (``comparable``).
    """
    if reference is None:
        return None
    ref = reference.find(row.measure, row.detail)
    if ref is not None and not YEAR_DETAIL.fullmatch(row.detail) and not comparable:
        return None
    return ref


def headline(current: Run, reference: Run | None, same: bool) -> None:
    """Headline metrics and the per-sector table, with changes against the file's result."""
    comparable = reference is None or same_period(
        current.results.scenario, reference.results.scenario
    )
    if reference is not None and not comparable:
        st.caption(
            f"These results cover {period(current.results.scenario)}, the file's "
            f"{period(reference.results.scenario)}: totals over the horizon cover different "
            "periods, so no change from the file is shown for them; yearly measures are "
            "compared with the file's for the same year, if the file has it."
        )
    horizon = horizon_of(current)
    for group in HEADLINE_GROUPS:
        st.caption(period_words(current, tuple(m for row in group for m in row)))
        # Tiles in a wrapping row: on a narrow screen they flow onto more lines, whole.
        tiles = st.container(horizontal=True, wrap=True, gap="small")
        for measure in (m for row in group for m in row):
            row = current.row(measure, last=REGISTRY[measure].per_year)
            if row is not None:
                ref = None if same else reference_row(row, reference, comparable)
                metric(tiles.container(border=True, width=TILE_WIDTH), row, ref, horizon)
    sector_table(current, None if same else reference, comparable)


def horizon_of(current: Run) -> Horizon:
    """The financial years the run covers, for the tiles' words."""
    sc = current.results.scenario
    return Horizon(sc.start_year, sc.horizon_years)


def horizon_words(current: Run) -> str:
    """``the 5 years 2025/26 to 2029/30`` (or ``2025/26`` for one year)."""
    cal = current.results.calendar
    years = current.results.scenario.horizon_years
    first, last = cal.financial_year(0), cal.financial_year(years - 1)
    return first if years == 1 else f"the {years} years {first} to {last}"


def period_words(current: Run, measures: tuple[str, ...]) -> str:
    """What a group of metrics covers: ``In 2029/30, the final year`` for yearly measures, else
    ``Over the 5 years 2025/26 to 2029/30`` (with when an end-of-horizon measure is taken)."""
    last = current.results.calendar.financial_year(current.results.scenario.horizon_years - 1)
    scopes = {REGISTRY[m].scope for m in measures}
    if scopes == {"per_year"}:
        return f"In {last}, the final year"
    text = f"Over {horizon_words(current)}"
    ends = [REGISTRY[m].label for m in measures if REGISTRY[m].scope == "end_of_horizon"]
    if ends:
        text += f"; {', '.join(ends).lower()} at the end of {last}"
    return text


def metric(col: DeltaGenerator, row: SummaryRow, ref: SummaryRow | None, horizon: Horizon) -> None:
    """One headline tile: the mean, its change from the file's, and under it when it applies
    and its likely range in words; the definition and the CI on demand (the help)."""
    info = REGISTRY[row.measure]
    name = info.label
    delta = None if ref is None else display.delta(row.mean - ref.mean, row.unit)
    unchanged = ref is not None and delta == display.delta(0.0, row.unit)
    ci = (
        f"95% CI of the mean {display.value(row.ci95_low, row.unit)} to "
        f"{display.value(row.ci95_high, row.unit)}"
        if row.n > 1
        else "one replication: no CI"
    )
    when = f"In {row.detail}. " if info.per_year else ""
    note = (
        f"{when}{info.description} Mean over {row.n:,} replications; {ci}; 5th to 95th percentile "
        f"{display.value(row.p05, row.unit)} to {display.value(row.p95, row.unit)}."
    )
    if ref is not None:
        note += f" The file's own result: {display.value(ref.mean, ref.unit)}."
    col.metric(
        name,
        display.value(row.mean, row.unit),
        # No arrow, and no colour, for a change that rounds to nothing.
        "no change" if unchanged else delta,
        delta_color="off" if unchanged else DELTA_COLOURS[info.better],
        delta_arrow="off" if unchanged else "auto",
        help=note,
    )
    col.caption(tile_words(row, horizon))


def sector_cell(row: SummaryRow | None, ref: SummaryRow | None) -> str:
    """``£117.7m (+£3.2m)``: the mean, and in brackets its change from the file's."""
    if row is None:
        return NONE
    text = display.value(row.mean, row.unit)
    if ref is not None:
        text += f" ({display.delta(row.mean - ref.mean, row.unit)})"
    return text


def sector_rows(
    current: Run, reference: Run | None, comparable: bool
) -> tuple[list[str], dict[str, list[str]]]:
    """The sectors (rows) and, per measure, each sector's cell (:func:`sector_cell`)."""
    sectors = list(current.results.sector_names)
    columns: dict[str, list[str]] = {}
    for measure in SECTOR_MEASURES:
        found = {r.detail: r for r in current.rows(measure)}
        if not found:
            continue
        columns[measure] = [
            sector_cell(
                found.get(s),
                reference_row(found[s], reference, comparable) if s in found else None,
            )
            for s in sectors
        ]
    return sectors, columns


def sector_table(current: Run, reference: Run | None, comparable: bool) -> None:
    """The per-sector measures: one row per sector, one column per measure (a static table)."""
    sectors, columns = sector_rows(current, reference, comparable)
    if not columns:
        return
    n = current.results.n
    changes = reference is not None and comparable
    spending = {s.name: s.spending.replace("_", "-") for s in current.results.scenario.sectors}
    table = pa.table(
        {
            "Sector": sectors,
            "Spending": [spending.get(s, "") for s in sectors],
            **{REGISTRY[m].label: cells for m, cells in columns.items()},
        }
    )
    st.caption(
        f"By sector, mean over {n:,} simulated futures, over {horizon_words(current)}"
        + ("; in brackets, the change from the file's own result" if changes else "")
        + f". A dash ({NONE}): a demand-led sector spends what its need costs, so none of it is "
        "left unmet or moved out: its excess is an overspend."
    )
    st.table(table, hide_index=True)

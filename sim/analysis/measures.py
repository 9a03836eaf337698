"""The one registry of headline measures, and how each is computed from a run.

Every place that names, labels, formats or ranks a measure (the summary, ``compare``, the
report, the app and ``docs/measures.md``) reads :data:`MEASURES`. A measure has one value
per replication; a measure may have several details (one per financial year, or one per
ring-fence rule), each a row of ``summary.csv`` and ``measures.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.engine.results import Results
from sim.model.place import distance_from_target
from sim.units.money import pence_to_pounds_m

Floats = npt.NDArray[np.float64]

#: What period a measure's value covers.
Scope = Literal[
    "per_year", "cumulative", "end_of_horizon", "count", "per_sector", "growth", "average"
]
#: Which direction is better for patients and finances, if either.
Better = Literal["higher", "lower", "neither"]

SCOPE_LABELS: dict[str, str] = {
    "per_year": "each financial year",
    "cumulative": "summed over the horizon",
    "end_of_horizon": "at the end of the horizon",
    "count": "count over the horizon",
    "per_sector": "summed over the horizon, per sector",
    "growth": "a year, first to last year, per sector",
    "average": "averaged over the plans from the second year",
}


@dataclass(frozen=True)
class MeasureInfo:
    """What a headline measure is: its name in the outputs, and how people read it."""

    name: str
    #: Plain words, for headings and tiles.
    label: str
    #: ``fraction``, ``fraction a year``, ``£m``, ``meetings`` or ``times`` (as in
    #: ``summary.csv``).
    unit: str
    scope: Scope
    better: Better
    #: One line: what the number is.
    description: str

    @property
    def per_year(self) -> bool:
        """Whether the measure has one detail per financial year."""
        return self.scope == "per_year"


MEASURES: tuple[MeasureInfo, ...] = (
    MeasureInfo(
        "primary_care_share",
        "Primary-care share of budgets",
        "fraction",
        "per_year",
        "higher",
        "Primary-care sectors' year-end budgets (plan plus in-year transfers) as a share of "
        "all sector budgets.",
    ),
    MeasureInfo(
        "left_shift",
        "Share of spending outside hospitals",
        "fraction",
        "per_year",
        "higher",
        "Spending outside the secondary (hospital) sectors as a share of all spending in the "
        "year: the NHS's 'left shift' to community and primary care.",
    ),
    MeasureInfo(
        "real_growth",
        "Real growth of spending a year",
        "fraction a year",
        "growth",
        "neither",
        "Growth a year of each sector's spending from the first to the last year, after "
        "price inflation; one detail per sector, and 'all spending' for the total.",
    ),
    MeasureInfo(
        "moved_primary_to_secondary",
        "Money moved out of primary care",
        "£m",
        "cumulative",
        "lower",
        "In-year money out of primary-care budgets: recovery-plan pauses (or, under the "
        "board-vote model, transfers to secondary care).",
    ),
    MeasureInfo(
        "moved_out",
        "Money moved out in-year",
        "£m",
        "per_sector",
        "lower",
        "In-year money out of each capped sector's budgets (pauses or transfers); one detail "
        "per capped sector.",
    ),
    MeasureInfo(
        "unmet_primary_need",
        "Primary-care need left unmet",
        "£m",
        "cumulative",
        "lower",
        "Primary-care need that its budgets could not pay for.",
    ),
    MeasureInfo(
        "unmet_need",
        "Need left unmet",
        "£m",
        "per_sector",
        "lower",
        "Need that each capped sector's budgets could not pay for; one detail per capped sector.",
    ),
    MeasureInfo(
        "spill_over_cost",
        "Spill-over cost to hospitals",
        "£m",
        "cumulative",
        "lower",
        "Extra A&E attendances and admissions, priced, that unmet primary and community need "
        "brings after a lag (negative when better access lowers hospital use).",
    ),
    MeasureInfo(
        "acute_overspend",
        "Hospital overspend",
        "£m",
        "cumulative",
        "lower",
        "Year-end overspends of the acute (hospital) sectors, summed over years and places.",
    ),
    MeasureInfo(
        "system_deficit",
        "System deficit",
        "£m",
        "end_of_horizon",
        "lower",
        "The deficit still owed at the end of the horizon, after support and repayments "
        "(positive: owed).",
    ),
    MeasureInfo(
        "in_year_deficit",
        "Deficit of the year",
        "£m",
        "per_year",
        "lower",
        "The year's own deficit at its year end: overspends the contingency reserve could not "
        "meet, before deficit support (the in-year position).",
    ),
    MeasureInfo(
        "underlying_deficit",
        "Underlying deficit",
        "£m",
        "per_year",
        "lower",
        "The year's recurrent position: its deficit plus the non-recurrent pauses that "
        "covered part of it, less the repayments of past deficits it made (negative: an "
        "underlying surplus).",
    ),
    MeasureInfo(
        "deficit_repaid",
        "Deficit repaid",
        "£m",
        "cumulative",
        "neither",
        "Past deficits repaid from later plans, with any penalties, over the horizon.",
    ),
    MeasureInfo(
        "plan_agreement",
        "How far plans followed the board",
        "fraction",
        "average",
        "neither",
        "Average over the plans from the second year of how far each moved towards the "
        "board's compromise (1: as far as the pace allows, by consensus or vote; 0: gridlock, "
        "the status quo).",
    ),
    MeasureInfo(
        "fair_share_distance",
        "Largest distance from fair share",
        "fraction",
        "end_of_horizon",
        "lower",
        "In the final year, the largest gap between a place's share of the plan and its "
        "fair (need-weighted) share. Only with more than one place.",
    ),
    MeasureInfo(
        "spend_per_head_spread",
        "Spread of spend per head",
        "fraction",
        "end_of_horizon",
        "lower",
        "In the final year, the coefficient of variation of need-weighted spend per head "
        "across places. Only with more than one place.",
    ),
    MeasureInfo(
        "plans_by_consensus",
        "Plans agreed by consensus",
        "times",
        "count",
        "neither",
        "Annual plans (from the second year) the board agreed by consensus rather than by vote.",
    ),
    MeasureInfo(
        "extraordinary_meetings",
        "Extraordinary board meetings",
        "meetings",
        "count",
        "neither",
        "Board meetings called out of the schedule because a forecast overspend was too large "
        "to wait.",
    ),
    MeasureInfo(
        "ring_fence_bindings",
        "Ring-fence bound",
        "times",
        "count",
        "neither",
        "Decisions (plans and in-year transfers) that a ring-fence rule limited; one detail "
        "per rule.",
    ),
    MeasureInfo(
        "ring_fence_shortfalls",
        "Ring-fence relaxed",
        "times",
        "count",
        "lower",
        "Times a ring-fence rule could not be met in full and was relaxed; one detail per rule.",
    ),
)
REGISTRY: dict[str, MeasureInfo] = {m.name: m for m in MEASURES}


#: The detail of ``real_growth`` for the whole of the ICB's spending.
ALL_SPENDING = "all spending"


def info(name: str) -> MeasureInfo:
    """The registry entry of a measure (KeyError names an unknown measure)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown measure {name!r}") from None


@dataclass(frozen=True)
class Measure:
    """One headline measure: a value per replication."""

    name: str
    detail: str
    unit: str
    values: Floats


def _measure(name: str, detail: str, values: Floats) -> Measure:
    return Measure(name, detail, REGISTRY[name].unit, values)


def headline_measures(res: Results) -> list[Measure]:
    """The measures users read off, one value per replication, in the registry's order."""
    cal = res.calendar
    primary = res.kind_mask("primary")
    secondary = res.kind_mask("secondary")
    budget = res.year_end_budgets()
    out = []
    for y in range(res.scenario.horizon_years):
        year_budget = budget[:, y].sum(axis=1)  # (R, S)
        total = year_budget.sum(axis=1).astype(np.float64)
        share = (year_budget * primary).sum(axis=1) / np.maximum(total, 1.0)
        out.append(_measure("primary_care_share", cal.financial_year(y), share))
    flows = res.flows
    years = res.scenario.horizon_years
    by_year = flows["spend"].reshape(res.n, years, 12, -1, len(res.sector_names)).sum(axis=(2, 3))
    total_spend = np.maximum(by_year.sum(axis=2), 1).astype(np.float64)
    outside = (by_year * ~secondary).sum(axis=2)
    for y in range(years):
        out.append(_measure("left_shift", cal.financial_year(y), outside[:, y] / total_spend[:, y]))
    if years > 1:
        price = (1.0 + res.scenario.allocation.inflation) ** (years - 1)
        for s, name in enumerate(res.sector_names):
            ratio = by_year[:, -1, s] / np.maximum(by_year[:, 0, s], 1).astype(np.float64)
            growth = (ratio / price) ** (1.0 / (years - 1)) - 1.0
            out.append(_measure("real_growth", name, growth))
        ratio = total_spend[:, -1] / total_spend[:, 0]
        out.append(_measure("real_growth", ALL_SPENDING, (ratio / price) ** (1 / (years - 1)) - 1))
    moved = (res.year_transfers_out * primary).sum(axis=(1, 2, 3))
    out.append(_measure("moved_primary_to_secondary", "cumulative", pence_to_pounds_m(moved)))
    capped = np.array([s.spending == "capped" for s in res.scenario.sectors])
    moved_by = res.year_transfers_out.sum(axis=(1, 2))  # (R, S)
    unmet_by = (flows["need"] - flows["spend"]).sum(axis=(1, 2))
    for c in np.flatnonzero(capped):
        out.append(_measure("moved_out", res.sector_names[c], pence_to_pounds_m(moved_by[:, c])))
    unmet = (unmet_by * primary).sum(axis=1)
    out.append(_measure("unmet_primary_need", "cumulative", pence_to_pounds_m(unmet)))
    for c in np.flatnonzero(capped):
        out.append(_measure("unmet_need", res.sector_names[c], pence_to_pounds_m(unmet_by[:, c])))
    spill = res.spill_in_by_place().sum(axis=(1, 2))
    out.append(_measure("spill_over_cost", "cumulative", pence_to_pounds_m(spill)))
    over = (np.maximum(0, -res.year_end_balance) * secondary).sum(axis=(1, 2, 3))
    out.append(_measure("acute_overspend", "cumulative", pence_to_pounds_m(over)))
    deficit = -res.system_series["deficit"][:, -1]
    out.append(_measure("system_deficit", "end of horizon", pence_to_pounds_m(deficit)))
    fin = res.finance
    for y in range(years):
        out.append(
            _measure(
                "in_year_deficit",
                cal.financial_year(y),
                pence_to_pounds_m(fin["in_year_deficit"][:, y]),
            )
        )
    underlying = fin["in_year_deficit"] + fin["paused"] - fin["repaid"] - fin["penalty"]
    for y in range(years):
        out.append(
            _measure(
                "underlying_deficit", cal.financial_year(y), pence_to_pounds_m(underlying[:, y])
            )
        )
    repaid = (fin["repaid"] + fin["penalty"]).sum(axis=1)
    out.append(_measure("deficit_repaid", "cumulative", pence_to_pounds_m(repaid)))
    agreed = res.plan_agreed[:, 1:].mean(axis=1) if years > 1 else np.ones(res.n)
    out.append(_measure("plan_agreement", "mean over plans", agreed))
    consensus = res.plan_consensus.sum(axis=1).astype(np.float64)
    out.append(_measure("plans_by_consensus", "count", consensus))
    if len(res.place_names) > 1:
        out += _fairness(res)
    extraordinary = res.extraordinary_meetings.astype(np.float64)
    out.append(_measure("extraordinary_meetings", "count", extraordinary))
    for k, name in enumerate(res.rule_names):
        out.append(_measure("ring_fence_bindings", name, res.bindings[:, k].astype(np.float64)))
        out.append(_measure("ring_fence_shortfalls", name, res.shortfalls[:, k].astype(np.float64)))
    return out


def _fairness(res: Results) -> list[Measure]:
    """Fairness across places in the final year: distance from fair share, spend per head."""
    sc = res.scenario
    last = sc.horizon_years - 1
    plans = res.plans[:, last].sum(axis=2).astype(np.float64)  # (R, P)
    shares = plans / plans.sum(axis=1, keepdims=True)
    distance = np.abs(distance_from_target(shares, sc)).max(axis=1)
    year = res.calendar.financial_year(last)
    spend = res.flows["spend"][:, 12 * last : 12 * last + 12].sum(axis=(1, 3)).astype(np.float64)
    heads = np.array([p.population * p.need_index for p in sc.places], dtype=np.float64)
    per_head = spend / heads[None, :]
    spread = per_head.std(axis=1) / per_head.mean(axis=1)
    return [
        _measure("fair_share_distance", f"largest, {year}", distance),
        _measure("spend_per_head_spread", f"coef. of variation, {year}", spread),
    ]


def markdown() -> str:
    """``docs/measures.md``: the registry as a table (tested for drift)."""
    better = {"higher": "higher", "lower": "lower", "neither": "—"}
    lines = [
        "# Headline measures",
        "",
        "Generated from `sim/analysis/measures.py` (`python -m sim measures --markdown`); a "
        "test fails if this page drifts from the code. Every measure has one value per "
        "replication; `summary.csv` gives its mean, standard deviation, 95% confidence "
        "interval of the mean and 5th/50th/95th percentiles, and `measures.parquet` every "
        "replication's value (what `compare` pairs).",
        "",
        "| measure | label | unit | covers | better | what it is |",
        "|---|---|---|---|---|---|",
    ]
    for m in MEASURES:
        lines.append(
            f"| `{m.name}` | {m.label} | {m.unit} | {SCOPE_LABELS[m.scope]} | "
            f"{better[m.better]} | {m.description} |"
        )
    return "\n".join(lines) + "\n"

"""Headline measures per replication and their summaries (mean, quantiles, 95% CIs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from sim.engine.results import Results
from sim.model.place import distance_from_target
from sim.units.money import pence_to_pounds_m

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Measure:
    """One headline measure: a value per replication."""

    name: str
    detail: str
    unit: str
    values: Floats


@dataclass(frozen=True)
class SummaryRow:
    """Summary statistics of one measure over replications."""

    measure: str
    detail: str
    unit: str
    n: int
    mean: float
    sd: float
    ci95_low: float
    ci95_high: float
    p05: float
    p50: float
    p95: float


def headline_measures(res: Results) -> list[Measure]:
    """The measures users read off, one value per replication."""
    cal = res.calendar
    primary = res.kind_mask("primary")
    secondary = res.kind_mask("secondary")
    budget = res.year_end_budgets()
    out = []
    for y in range(res.scenario.horizon_years):
        year_budget = budget[:, y].sum(axis=1)  # (R, S)
        total = year_budget.sum(axis=1).astype(np.float64)
        share = (year_budget * primary).sum(axis=1) / np.maximum(total, 1.0)
        out.append(Measure("primary_care_share", cal.financial_year(y), "fraction", share))
    moved = (res.year_transfers_out * primary).sum(axis=(1, 2, 3))
    out.append(Measure("moved_primary_to_secondary", "cumulative", "£m", pence_to_pounds_m(moved)))
    flows = res.flows
    unmet = ((flows["need"] - flows["spend"]) * primary).sum(axis=(1, 2, 3))
    out.append(Measure("unmet_primary_need", "cumulative", "£m", pence_to_pounds_m(unmet)))
    spill = res.spill_in().sum(axis=(1, 2, 3))
    out.append(Measure("spill_over_cost", "cumulative", "£m", pence_to_pounds_m(spill)))
    over = (np.maximum(0, -res.year_end_balance) * secondary).sum(axis=(1, 2, 3))
    out.append(Measure("acute_overspend", "cumulative", "£m", pence_to_pounds_m(over)))
    deficit = -res.system_series["deficit"][:, -1]
    out.append(Measure("system_deficit", "end of horizon", "£m", pence_to_pounds_m(deficit)))
    if len(res.place_names) > 1:
        out += _fairness(res)
    extraordinary = res.extraordinary_meetings.astype(np.float64)
    out.append(Measure("extraordinary_meetings", "count", "meetings", extraordinary))
    for k, name in enumerate(res.rule_names):
        out.append(
            Measure("ring_fence_bindings", name, "times", res.bindings[:, k].astype(np.float64))
        )
        out.append(
            Measure("ring_fence_shortfalls", name, "times", res.shortfalls[:, k].astype(np.float64))
        )
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
        Measure("fair_share_distance", f"largest, {year}", "fraction", distance),
        Measure("spend_per_head_spread", f"coef. of variation, {year}", "fraction", spread),
    ]


def describe(measure: Measure) -> SummaryRow:
    """Mean, standard deviation, t-based 95% CI of the mean, and 5/50/95th percentiles."""
    v = measure.values
    n = int(v.size)
    mean = float(v.mean())
    sd = float(v.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
    p05, p50, p95 = (float(x) for x in np.quantile(v, [0.05, 0.5, 0.95]))
    return SummaryRow(
        measure.name,
        measure.detail,
        measure.unit,
        n,
        mean,
        sd,
        mean - half,
        mean + half,
        p05,
        p50,
        p95,
    )


def summarise(res: Results) -> list[SummaryRow]:
    """Summary rows of every headline measure."""
    return [describe(m) for m in headline_measures(res)]


def measures_from_table(table: pa.Table) -> list[Measure]:
    """Headline measures read back from a ``measures.parquet`` table, in their order.

    Each measure's values are ordered by replication, as :func:`headline_measures` gives them.
    """
    rep = table.column("replication").to_numpy()
    value = table.column("value").to_numpy()
    # Each row's key as a code: (measure, detail, unit) combinations, in order of appearance.
    cols = [
        pc.dictionary_encode(table.column(c).combine_chunks())
        for c in ("measure", "detail", "unit")
    ]
    codes = np.stack([c.indices.to_numpy(zero_copy_only=False) for c in cols], axis=1)
    keys, first, key_of_row = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    key_of_row = key_of_row.reshape(-1)
    names = [c.dictionary.to_pylist() for c in cols]
    order = np.lexsort((rep, key_of_row))  # by key, then replication
    starts = np.searchsorted(key_of_row[order], np.arange(len(keys) + 1))
    out = []
    for k in np.argsort(first, kind="stable"):
        rows = order[starts[k] : starts[k + 1]]
        m, d, u = (names[j][keys[k][j]] for j in range(3))
        out.append(Measure(m, d, u, value[rows]))
    return out


def format_table(rows: list[SummaryRow]) -> str:
    """A short fixed-width table for the terminal."""
    head = f"{'measure':<28} {'detail':<20} {'unit':<9} {'mean':>11} {'95% CI':>25} {'5th-95th pct':>25}"
    lines = [head, "-" * len(head)]
    for r in rows:
        fmt = "{:,.4f}" if r.unit == "fraction" else "{:,.1f}"
        ci = f"{fmt.format(r.ci95_low)} to {fmt.format(r.ci95_high)}" if r.n > 1 else "n/a"
        pct = f"{fmt.format(r.p05)} to {fmt.format(r.p95)}"
        lines.append(
            f"{r.measure:<28} {r.detail[:20]:<20} {r.unit:<9} {fmt.format(r.mean):>11} {ci:>25} {pct:>25}"
        )
    return "\n".join(lines)

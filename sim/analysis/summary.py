"""Summaries of headline measures over replications: mean, quantiles, 95% CIs, and how
often each ring-fence bound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from sim.analysis.measures import Measure, headline_measures
from sim.engine.results import Results
from sim.units import display

Floats = npt.NDArray[np.float64]


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
    """A fixed-width table of summary rows for the terminal (values in their units).

    Details are cut as ``python -m sim compare`` cuts them
    (:func:`sim.analysis.compare.short_detail`): up to 30 characters, so that a sector's
    name is whole, and longer ones end in ``…``.
    """
    from sim.analysis.compare import short_detail  # here: this function alone uses it

    cells = []
    for r in rows:
        ci = display.span(r.ci95_low, r.ci95_high, r.unit)
        cells.append(
            [
                r.measure,
                short_detail(r.detail),
                r.unit,
                display.plain(r.mean, r.unit),
                ci if r.n > 1 else "n/a",
                display.span(r.p05, r.p95, r.unit),
            ]
        )
    headers = ["measure", "detail", "unit", "mean", "95% CI", "5th-95th pct"]
    return display.table(headers, cells, [False, False, False, True, True, True])


@dataclass(frozen=True)
class RuleCount:
    """How often one ring-fence rule bound (and was relaxed) over the replications."""

    name: str
    #: Share of replications in which it bound at least once.
    bound_share: float
    #: Mean number of times it bound per replication.
    bound_mean: float
    #: Largest number of times it bound in a replication.
    bound_max: float
    #: Share of replications in which it had to be relaxed (a run records shortfalls only
    #: for rules relaxed at least once, so none recorded means never).
    relaxed_share: float


def ring_fence_counts(measures: list[Measure], rules: Sequence[str]) -> tuple[RuleCount, ...]:
    """How often each rule bound, and was relaxed, from the per-replication measures.

    Raises:
        KeyError: a rule has no bindings measure (the measures are not of this run).
    """
    by_key = {(m.name, m.detail): m.values for m in measures}
    out = []
    for rule in rules:
        bound = by_key.get(("ring_fence_bindings", rule))
        if bound is None or bound.size == 0:
            raise KeyError(f"measures.parquet has no bindings of ring-fence {rule!r}")
        short = by_key.get(("ring_fence_shortfalls", rule), np.zeros(0))
        out.append(
            RuleCount(
                name=rule,
                bound_share=float(np.mean(bound > 0)),
                bound_mean=float(bound.mean()),
                bound_max=float(bound.max()),
                relaxed_share=float(np.mean(short > 0)) if short.size else 0.0,
            )
        )
    return tuple(out)

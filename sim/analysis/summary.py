"""Summaries of headline measures over replications: mean, quantiles, 95% CIs, and how
often each ring-fence bound."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import stdtrit

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
    # Student's t quantile from scipy.special (what scipy.stats.t.ppf computes, to the last
    # bit): importing scipy.stats costs about a second at the start of every run.
    half = float(stdtrit(n - 1, 0.975) * sd / np.sqrt(n)) if n > 1 else float("nan")
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
    keys = [(m.name, m.detail) for m in measures]
    values = [np.stack([m.values for m in measures], axis=1)] if measures else []
    return ring_fence_counts_of_blocks(keys, values, rules)


def ring_fence_counts_of_blocks(
    keys: Sequence[tuple[str, str]], blocks: Iterable[Floats], rules: Sequence[str]
) -> tuple[RuleCount, ...]:
    """:func:`ring_fence_counts` from blocks of replications, shape (n, len(keys)), with
    the (measure, detail) of each column: one pass, never every replication at once.

    The counts are whole numbers, so their sums are exact in any order: the shares and
    means are those of all the replications at once, to the last bit.

    Raises:
        KeyError: a rule has no bindings measure (the measures are not of this run).
    """
    col = {key: j for j, key in enumerate(keys)}
    for rule in rules:
        if ("ring_fence_bindings", rule) not in col:
            raise KeyError(f"measures.parquet has no bindings of ring-fence {rule!r}")
    bound = [col[("ring_fence_bindings", rule)] for rule in rules]
    short = [col.get(("ring_fence_shortfalls", rule), -1) for rule in rules]
    n = 0
    k = len(rules)
    binding, total, shorts = np.zeros(k), np.zeros(k), np.zeros(k)
    most = np.full(k, -np.inf)
    for block in blocks:
        b = block[:, bound]
        n += b.shape[0]
        binding += np.count_nonzero(b > 0, axis=0)
        total += b.sum(axis=0)
        most = np.maximum(most, b.max(axis=0, initial=-np.inf))
        has = [j for j in range(k) if short[j] >= 0]
        if has:
            shorts[has] += np.count_nonzero(block[:, [short[j] for j in has]] > 0, axis=0)
    if n == 0:
        raise KeyError("measures.parquet has no bindings of the ring-fences (no replications)")
    return tuple(
        RuleCount(
            name=rule,
            bound_share=float(binding[j] / n),
            bound_mean=float(total[j] / n),
            bound_max=float(most[j]),
            relaxed_share=float(shorts[j] / n) if short[j] >= 0 else 0.0,
        )
        for j, rule in enumerate(rules)
    )

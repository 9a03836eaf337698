"""Paired comparison of two scenarios run with common random numbers.

Replication ``i`` of two scenarios with the same seed sees the same need, shocks, allocation
growth and absences, so the difference ``d_i = B_i - A_i`` removes most of the noise: its
95% confidence interval, ``mean(d) +- t(0.975, n-1) sd(d) / sqrt(n)``, is usually far
narrower than the two scenarios' own intervals. The comparison also gives the share of
replications in which B is higher than A, the chance that each breaches a deficit limit or
has a ring-fence relaxed, and how many replications a chosen half-width would need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.special import stdtrit

from sim.analysis.measures import REGISTRY
from sim.units import display

if TYPE_CHECKING:
    from sim.scenario.format import Scenario

Floats = npt.NDArray[np.float64]
#: Widest detail in the terminal table: a sector's name (``pharmacy, dental and optometry``)
#: whole, since several rows of a measure differ only by it; longer ones end in ``…``.
DETAIL_WIDTH = 30


class NotPaired(ValueError):
    """The two runs cannot be paired replication by replication."""


@dataclass(frozen=True)
class PairedRow:
    """The paired difference B - A of one measure."""

    measure: str
    detail: str
    unit: str
    n: int
    mean_a: float
    mean_b: float
    difference: float
    ci95_low: float
    ci95_high: float
    #: Share of replications in which B is higher than A.
    p_b_higher: float
    #: "B", "A" or "" (no direction for this measure, or no difference).
    better: str
    #: Replications a requested CI half-width would need (0 when none was requested).
    replications_needed: int


def paired_rows(
    a: pa.Table, b: pa.Table, half_widths: dict[str, float] | None = None
) -> list[PairedRow]:
    """Paired differences of every measure the two per-replication tables share.

    Args:
        a, b: ``measures.parquet`` tables (replication, measure, detail, unit, value).
        half_widths: measure name -> wanted 95% CI half-width of the difference (its units).
    """
    half_widths = half_widths or {}
    ra, rb = _by_key(a), _by_key(b)
    out = []
    for key in [k for k in ra if k in rb]:
        (reps_a, va, unit), (reps_b, vb, _) = ra[key], rb[key]
        if not np.array_equal(reps_a, reps_b):
            raise NotPaired(
                "the runs have different replications; run both with the same seed and --replications"
            )
        d = vb - va
        n = d.size
        sd = float(d.std(ddof=1)) if n > 1 else 0.0
        t = float(stdtrit(n - 1, 0.975)) if n > 1 else math.nan
        half = t * sd / math.sqrt(n) if n > 1 else math.nan
        mean = float(d.mean())
        measure, detail = key
        better = ""
        direction = REGISTRY[measure].better if measure in REGISTRY else "neither"
        # Differences at rounding level (sums of the same pence in another order) name no
        # winner.
        scale = max(1.0, abs(float(va.mean())), abs(float(vb.mean())))
        if abs(mean) > 1e-9 * scale and direction != "neither":
            better = "B" if (mean > 0) == (direction == "higher") else "A"
        wanted = half_widths.get(measure)
        needed = math.ceil((1.96 * sd / wanted) ** 2) if wanted and sd > 0 else 0
        out.append(
            PairedRow(
                measure,
                detail,
                unit,
                n,
                float(va.mean()),
                float(vb.mean()),
                mean,
                mean - half,
                mean + half,
                float(np.mean(vb > va)),
                better,
                needed,
            )
        )
    return out


def paired_with(a: Scenario, b: Scenario) -> Scenario:
    """Scenario A as it must run to pair with B: with B's seed and replications.

    Replication ``i`` of each then draws the same random numbers (common random numbers),
    so their results pair replication by replication (:func:`paired_rows`).
    """
    if (a.seed, a.replications) == (b.seed, b.replications):
        return a
    return a.model_copy(update={"seed": b.seed, "replications": b.replications})


def breach_chance(table: pa.Table, deficit_limit_m: float) -> tuple[float, float]:
    """Chance of a system deficit above the limit (£m), and of any ring-fence relaxed."""
    rows = _by_key(table)
    deficit = next((v for (m, _), (_, v, _) in rows.items() if m == "system_deficit"), None)
    shortfalls = [v for (m, _), (_, v, _) in rows.items() if m == "ring_fence_shortfalls"]
    p_deficit = float(np.mean(deficit > deficit_limit_m)) if deficit is not None else math.nan
    p_fence = float(np.mean(np.sum(shortfalls, axis=0) > 0)) if shortfalls else 0.0
    return p_deficit, p_fence


def format_comparison(
    name_a: str,
    name_b: str,
    rows: list[PairedRow],
    breaches: tuple[tuple[float, float], tuple[float, float]],
    limit_m: float,
) -> str:
    """A fixed-width table of the paired differences, then the breach chances."""
    cells = []
    for r in rows:
        ci = display.span(r.ci95_low, r.ci95_high, r.unit)
        cells.append(
            [
                r.measure,
                short_detail(r.detail),
                display.plain(r.mean_a, r.unit),
                display.plain(r.mean_b, r.unit),
                display.plain(r.difference, r.unit),
                ci if r.n > 1 else "n/a",
                f"{r.p_b_higher:.2f}",
                r.better,
            ]
        )
    headers = ["measure", "detail", "A", "B", "B - A", "95% CI (paired)", "P(B>A)", "better"]
    lines = [
        f"A = {name_a}, B = {name_b} (paired by replication, common random numbers)",
        display.table(headers, cells, [False, False, True, True, True, True, True, True]),
    ]
    (da, fa), (db, fb) = breaches
    lines.append("")
    lines.append(f"Chance of a system deficit above £{limit_m:,.1f}m: A {da:.2f}, B {db:.2f}")
    lines.append(f"Chance that a ring-fence had to be relaxed: A {fa:.2f}, B {fb:.2f}")
    advice = [r for r in rows if r.replications_needed]
    for r in advice:
        lines.append(
            f"Replications needed for the requested half-width of {r.measure} ({r.detail}): {r.replications_needed:,}"
        )
    return "\n".join(lines)


def short_detail(detail: str) -> str:
    """A detail cut to :data:`DETAIL_WIDTH` characters, ending in ``…`` if it was cut."""
    if len(detail) <= DETAIL_WIDTH:
        return detail
    return detail[: DETAIL_WIDTH - 1].rstrip() + "…"


def _by_key(table: pa.Table) -> dict[tuple[str, str], tuple[npt.NDArray[np.int64], Floats, str]]:
    """Per (measure, detail): replication indices (sorted), values, unit."""
    cols = table.to_pydict()
    groups: dict[tuple[str, str], list[tuple[int, float, str]]] = {}
    for rep, m, d, u, v in zip(
        cols["replication"],
        cols["measure"],
        cols["detail"],
        cols["unit"],
        cols["value"],
        strict=True,
    ):
        groups.setdefault((m, d), []).append((rep, v, u))
    out = {}
    for key, items in groups.items():
        items.sort()
        out[key] = (
            np.array([i[0] for i in items], dtype=np.int64),
            np.array([i[1] for i in items], dtype=np.float64),
            items[0][2],
        )
    return out

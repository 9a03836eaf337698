"""Paired comparison of two scenarios by replication (common random numbers): the statistics
and the pairing (python -m sim compare on files is in tests/io/test_compare.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from sim.analysis.compare import NotPaired, breach_chance, paired_rows, paired_with
from sim.scenario.format import Scenario


def table(reps: list[int], measure: str, values: list[float], unit: str = "£m") -> pa.Table:
    n = len(reps)
    return pa.table(
        {
            "replication": reps,
            "measure": [measure] * n,
            "detail": ["cumulative"] * n,
            "unit": [unit] * n,
            "value": values,
        }
    )


def test_paired_difference_and_its_interval() -> None:
    a = table([0, 1, 2, 3], "system_deficit", [10.0, 20.0, 30.0, 40.0])
    b = table([3, 2, 1, 0], "system_deficit", [43.0, 31.0, 22.0, 11.0])  # any row order
    (row,) = paired_rows(a, b, {"system_deficit": 0.5})
    d = np.array([1.0, 2.0, 1.0, 3.0])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert row.difference == pytest.approx(1.75)
    assert (row.ci95_low, row.ci95_high) == pytest.approx((1.75 - half, 1.75 + half))
    assert row.p_b_higher == 1.0
    assert row.better == "A"  # a higher deficit is worse
    assert row.replications_needed == int(np.ceil((1.96 * d.std(ddof=1) / 0.5) ** 2))


def test_runs_with_different_replications_are_not_paired() -> None:
    with pytest.raises(NotPaired):
        paired_rows(
            table([0, 1], "system_deficit", [1.0, 2.0]), table([0, 2], "system_deficit", [1.0, 2.0])
        )


def test_breach_chance() -> None:
    t = table([0, 1, 2, 3], "system_deficit", [0.0, 5.0, 12.0, 30.0])
    assert breach_chance(t, 10.0) == (0.5, 0.0)


def test_paired_with_takes_bs_seed_and_replications(baseline: Scenario) -> None:
    b = baseline.model_copy(update={"seed": 7, "replications": 12, "horizon_years": 3})
    a = paired_with(baseline, b)
    assert (a.seed, a.replications) == (7, 12)
    # Everything else is A's own.
    assert a.horizon_years == baseline.horizon_years and a.board == baseline.board
    assert a.model_copy(update={"seed": baseline.seed, "replications": 200}) == baseline
    # Already paired: A itself.
    assert paired_with(b, b) is b

"""Summary statistics: the confidence interval's t quantile without scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.analysis.measures import Measure
from sim.analysis.summary import describe, ring_fence_counts, ring_fence_counts_of_blocks


@pytest.mark.parametrize("n", [2, 3, 10, 199, 200, 10_000])
def test_the_interval_uses_students_t_to_the_last_bit(n: int) -> None:
    values = np.random.default_rng(n).normal(3.0, 2.0, n)
    row = describe(Measure("m", "d", "£m", values))
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
    mean = float(values.mean())
    assert (row.ci95_low, row.ci95_high) == (mean - half, mean + half)


def test_one_replication_has_no_interval() -> None:
    row = describe(Measure("m", "d", "£m", np.array([4.0])))
    assert math.isnan(row.ci95_low) and math.isnan(row.ci95_high) and row.sd == 0.0


def test_ring_fence_counts_in_blocks_are_those_of_all_at_once() -> None:
    rng = np.random.default_rng(3)
    n = 1003
    measures = [
        Measure("ring_fence_bindings", "A", "times", rng.integers(0, 6, n).astype(float)),
        Measure("ring_fence_shortfalls", "A", "times", (rng.random(n) < 0.1).astype(float)),
        Measure("ring_fence_bindings", "B", "times", rng.integers(0, 2, n).astype(float)),
    ]
    whole = ring_fence_counts(measures, ["A", "B"])
    keys = [(m.name, m.detail) for m in measures]
    table = np.stack([m.values for m in measures], axis=1)
    blocks = [table[a:b] for a, b in ((0, 1), (1, 500), (500, 1003))]
    assert ring_fence_counts_of_blocks(keys, blocks, ["A", "B"]) == whole
    assert whole[0].relaxed_share > 0 and whole[1].relaxed_share == 0.0
    assert whole[0].bound_share == float(np.mean(measures[0].values > 0))
    with pytest.raises(KeyError, match="C"):
        ring_fence_counts_of_blocks(keys, blocks, ["C"])

"""Paired comparison of two scenarios by replication (common random numbers): the statistics
and the pairing (python -m sim compare on files is in tests/io/test_compare.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from sim.analysis.compare import (
    DETAIL_WIDTH,
    NotPaired,
    breach_chance,
    format_comparison,
    paired_rows,
    paired_with,
    short_detail,
)
from sim.analysis.measures import REGISTRY
from sim.scenario.format import Scenario


def table(
    reps: list[int],
    measure: str,
    values: list[float],
    unit: str = "£m",
    detail: str = "cumulative",
) -> pa.Table:
    n = len(reps)
    return pa.table(
        {
            "replication": reps,
            "measure": [measure] * n,
            "detail": [detail] * n,
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


# (measure, unit, detail, better when B is higher than A): the displacement measures of
# model v2 carry their direction in the registry, and compare reads it from there.
DIRECTIONS = [
    ("left_shift", "fraction", "2029/30", "B"),  # more spent outside hospitals: better
    ("moved_out", "£m", "community", "A"),  # more moved out of a capped sector: worse
    ("unmet_need", "£m", "general practice", "A"),
    ("underlying_deficit", "£m", "2029/30", "A"),
    ("real_growth", "fraction a year", "acute", ""),  # neither: no side is better
    ("deficit_repaid", "£m", "cumulative", ""),
]


@pytest.mark.parametrize(("measure", "unit", "detail", "b_higher"), DIRECTIONS)
def test_better_follows_the_registry_for_the_new_measures(
    measure: str, unit: str, detail: str, b_higher: str
) -> None:
    a = table([0, 1, 2], measure, [1.0, 2.0, 3.0], unit, detail)
    b = table([0, 1, 2], measure, [1.5, 2.5, 3.5], unit, detail)
    (higher,) = paired_rows(a, b)
    assert (higher.measure, higher.detail, higher.unit) == (measure, detail, unit)
    assert higher.better == b_higher
    (lower,) = paired_rows(b, a)
    flipped = {"A": "B", "B": "A", "": ""}[b_higher]
    assert lower.better == flipped
    assert REGISTRY[measure].better == {"B": "higher", "A": "lower", "": "neither"}[b_higher]
    # No difference: neither is better, whatever the direction.
    (same,) = paired_rows(a, a)
    assert same.better == ""


def test_sector_names_are_kept_whole_in_the_terminal_table() -> None:
    sector = "pharmacy, dental and optometry"
    assert len(sector) <= DETAIL_WIDTH and short_detail(sector) == sector
    long = "Mental Health Investment Standard"
    assert short_detail(long) == "Mental Health Investment Stan…"
    assert len(short_detail(long)) == DETAIL_WIDTH
    a = pa.concat_tables(
        [
            table([0, 1], "unmet_need", [1.0, 2.0], detail=sector),
            table([0, 1], "unmet_need", [3.0, 4.0], detail="pharmacy, dental and other"),
        ]
    )
    b = pa.concat_tables(
        [
            table([0, 1], "unmet_need", [0.5, 1.0], detail=sector),
            table([0, 1], "unmet_need", [3.0, 5.0], detail="pharmacy, dental and other"),
        ]
    )
    text = format_comparison("a", "b", paired_rows(a, b), ((0.0, 0.0), (0.0, 0.0)), 0.0)
    lines = [line for line in text.splitlines() if line.startswith("unmet_need")]
    # Two sectors that once read alike ("pharmacy, dental and") are told apart.
    assert [line.split("  ")[1].strip() for line in lines] == [sector, "pharmacy, dental and other"]
    assert lines[0].rstrip().endswith("B")  # less need left unmet in B: B is better

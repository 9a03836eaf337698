"""Global sensitivity analysis: the indices of toy functions with known answers, and share
groups sampled so that they still sum to 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.calibration.sensitivity import (
    Design,
    Factor,
    Output,
    SensitivitySpec,
    Shares,
    apply_sample,
    design,
    morris_points,
    morris_stage,
    ranked,
    sobol_points,
    sobol_stage,
)

PI = np.pi


def _design(n: int, low: float, high: float) -> Design:
    names = [f"x{i + 1}" for i in range(n)]
    problem = {"num_vars": n, "names": names, "bounds": [[low, high]] * n, "groups": names}
    return Design(problem=problem, groups=names, nominal=np.zeros(n))


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_their_known_values() -> None:
    # Known values (Ishigami and Homma 1990; a = 7, b = 0.1): S1 = 0.314, 0.442, 0;
    # ST = 0.558, 0.442, 0.244.
    d = _design(3, -PI, PI)
    x = sobol_points(d, 2048, seed=1)
    r = sobol_stage(d, _ishigami(x)[:, None], ["f"], seed=1)[0]
    assert r.s1 == pytest.approx([0.314, 0.442, 0.0], abs=0.03)
    assert r.st == pytest.approx([0.558, 0.442, 0.244], abs=0.03)


def test_sobol_indices_of_a_linear_function_are_its_variance_shares() -> None:
    # y = 1 x1 + 2 x2 + 3 x3 on uniform inputs: S1_i = ST_i = a_i^2 / sum a^2.
    d = _design(3, 0.0, 1.0)
    x = sobol_points(d, 1024, seed=2)
    y = x @ np.array([1.0, 2.0, 3.0])
    r = sobol_stage(d, y[:, None], ["y"], seed=2)[0]
    want = np.array([1.0, 4.0, 9.0]) / 14.0
    assert r.s1 == pytest.approx(want, abs=0.02)
    assert r.st == pytest.approx(want, abs=0.02)


def test_morris_ranks_factors_by_their_effect_and_finds_the_inert_one() -> None:
    d = _design(4, 0.0, 1.0)
    x = morris_points(d, 20, seed=3)
    y = x @ np.array([5.0, 0.0, 1.0, 3.0])
    r = morris_stage(d, x, y[:, None], ["y"], seed=3)
    # For a linear function every elementary effect is the coefficient.
    assert r[0].mu_star == pytest.approx([5.0, 0.0, 1.0, 3.0], abs=1e-9)
    assert ranked(r) == ["x1", "x4", "x3", "x2"]


def test_a_constant_measure_has_no_sensitivity() -> None:
    d = _design(2, 0.0, 1.0)
    x = sobol_points(d, 64, seed=4)
    r = sobol_stage(d, np.ones((len(x), 1)), ["c"], seed=4)[0]
    assert (r.s1 == 0).all() and (r.st == 0).all()


def _base(shares: list[float]) -> dict[str, Any]:
    return {
        "allocation": {"growth_rate": 0.03},
        "sectors": [{"name": f"s{i}", "share": s} for i, s in enumerate(shares)],
    }


SPEC = SensitivitySpec(
    factors=[Factor(name="growth", set="allocation.growth_rate", low=0.02, high=0.04)],
    shares=[Shares(name="split", items="sectors", field="share", spread=0.3)],
    outputs=[Output(measure="system_deficit", detail="end of horizon")],
)


@given(
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=8),
    st.lists(st.floats(0.0, 1.0), min_size=9, max_size=9),
)
def test_sampled_shares_still_sum_to_one_and_factors_land_in_their_range(
    raw: list[float], u: list[float]
) -> None:
    shares = [r / sum(raw) for r in raw]
    base = _base(shares)
    d = design(SPEC, base)
    lo, hi = np.array(d.problem["bounds"]).T
    row = lo + np.array(u[: d.problem["num_vars"]]) * (hi - lo)
    out = apply_sample(SPEC, base, d, row)
    got = [s["share"] for s in out["sectors"]]
    assert abs(sum(got) - 1.0) < 1e-9
    assert all(g > 0 for g in got)
    assert 0.02 <= out["allocation"]["growth_rate"] <= 0.04
    assert base["sectors"][0]["share"] == shares[0]  # the base is not changed


def test_the_design_has_one_group_for_the_shares() -> None:
    d = design(SPEC, _base([0.5, 0.3, 0.2]))
    assert d.problem["num_vars"] == 4
    assert list(dict.fromkeys(d.groups)) == ["growth", "split"]
    only = design(SPEC, _base([0.5, 0.3, 0.2]), only=["split"])
    assert only.problem["num_vars"] == 3


def test_sobol_indices_of_a_group_are_its_variables_variance_shares() -> None:
    # y = 1 x1 + 2 x2 + 3 x3 with {x1, x2} one group: S = (1 + 4) / 14 and 9 / 14.
    names = ["x1", "x2", "x3"]
    groups = ["a", "a", "b"]
    problem = {"num_vars": 3, "names": names, "bounds": [[0.0, 1.0]] * 3, "groups": groups}
    d = Design(problem=problem, groups=groups, nominal=np.zeros(3))
    x = sobol_points(d, 1024, seed=5)
    r = sobol_stage(d, (x @ np.array([1.0, 2.0, 3.0]))[:, None], ["y"], seed=5)[0]
    assert r.groups == ["a", "b"]
    assert r.st == pytest.approx([5 / 14, 9 / 14], abs=0.03)


def test_a_group_of_whole_numbers_keeps_its_total_and_stays_whole() -> None:
    spec = SensitivitySpec(
        shares=[Shares(name="places", items="places", field="population", spread=0.3)],
        outputs=[Output(measure="system_deficit", detail="end of horizon")],
    )
    base = {
        "places": [{"name": "A", "population": 390_800}, {"name": "B", "population": 1_100_201}]
    }
    d = design(spec, base)
    out = apply_sample(spec, base, d, np.array([1.3, 0.7]))
    got = [p["population"] for p in out["places"]]
    assert all(isinstance(v, int) for v in got)
    assert sum(got) == 390_800 + 1_100_201
    assert got[0] > 390_800 and got[1] < 1_100_201

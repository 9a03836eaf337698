"""The exact capped-simplex projection used by the annual plan and in-year transfers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize

from sim.model.projection import allocate, project_capped_simplex


def numerical_projection(y: np.ndarray, t: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The projection by a general-purpose optimiser, as an independent reference."""
    ref = minimize(
        lambda z: ((z - y) ** 2).sum(),
        x0=lo + (t - lo.sum()) * (hi - lo) / max((hi - lo).sum(), 1e-12),
        bounds=list(zip(lo, hi, strict=True)),
        constraints=[{"type": "eq", "fun": lambda z: z.sum() - t}],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    out: np.ndarray = ref.x
    return out


def test_worked_example() -> None:
    # Proposal 60/40 of 100 with a floor of 50 on the second: (50, 50).
    x = project_capped_simplex(
        np.array([60.0, 40.0]), np.array(100.0), np.array([0.0, 50.0]), np.array([100.0, 100.0])
    )
    np.testing.assert_allclose(x, [50.0, 50.0])


@st.composite
def boxes(draw: st.DrawFn) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    k = draw(st.integers(1, 8))
    y = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=k, max_size=k)))
    lo = np.array(draw(st.lists(st.floats(0, 100), min_size=k, max_size=k)))
    hi = lo + np.array(draw(st.lists(st.floats(0, 100), min_size=k, max_size=k)))
    t = draw(st.floats(float(lo.sum()), float(hi.sum())))
    return y, t, lo, hi


@given(boxes())
def test_projection_is_feasible_and_optimal(
    box: tuple[np.ndarray, float, np.ndarray, np.ndarray],
) -> None:
    y, t, lo, hi = box
    x = project_capped_simplex(y, np.array(t), lo, hi)
    assert abs(x.sum() - t) <= 1e-7 * max(1.0, abs(t))
    assert (x >= lo - 1e-9).all() and (x <= hi + 1e-9).all()
    # Optimality (KKT): free coordinates share one shift tau = y - x.
    free = (x > lo + 1e-7) & (x < hi - 1e-7)
    if free.sum() > 1:
        shifts = (y - x)[free]
        assert np.ptp(shifts) <= 1e-6 * max(1.0, np.abs(y).max())
    # ... and the shift is consistent with coordinates at their bounds.
    if free.any():
        tau = float((y - x)[free][0])
        tol = 1e-6 * max(1.0, np.abs(y).max())
        wide = hi - lo > 1e-7  # a coordinate with lo == hi is fixed, whatever tau is
        at_lo = (x <= lo + 1e-7) & wide
        at_hi = (x >= hi - 1e-7) & wide
        assert ((y - tau)[at_lo] <= lo[at_lo] + tol).all()
        assert ((y - tau)[at_hi] >= hi[at_hi] - tol).all()


def test_projection_matches_a_numerical_optimiser() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        k = 5
        y = rng.normal(0, 10, k)
        lo = rng.uniform(0, 3, k)
        hi = lo + rng.uniform(0, 10, k)
        t = float(rng.uniform(lo.sum(), hi.sum()))
        x = project_capped_simplex(y, np.array(t), lo, hi)
        np.testing.assert_allclose(x, numerical_projection(y, t, lo, hi), atol=1e-4)


@given(st.integers(1, 8), st.data())
def test_allocate_in_pence_respects_every_bound(k: int, data: st.DataObject) -> None:
    lo = np.array(
        data.draw(st.lists(st.integers(0, 10**11), min_size=k, max_size=k)), dtype=np.int64
    )
    hi = lo + np.array(
        data.draw(st.lists(st.integers(0, 10**11), min_size=k, max_size=k)), dtype=np.int64
    )
    total = int(data.draw(st.integers(int(lo.sum()), int(hi.sum()))))
    proposal = np.array(data.draw(st.lists(st.floats(0, 1e12), min_size=k, max_size=k)))
    x = allocate(proposal[None], np.array([total]), lo[None], hi[None])[0]
    assert x.dtype == np.int64
    assert x.sum() == total
    assert (x >= lo).all() and (x <= hi).all()


def test_lower_bound_only_rows_match_a_numerical_optimiser() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        k = 6
        y = rng.normal(0, 10, k)
        lo = rng.uniform(0, 3, k)
        t = float(lo.sum() + rng.uniform(0, 20))
        hi = np.full(k, t + 1.0)  # no part can reach its upper bound
        x = project_capped_simplex(y, np.array(t), lo, hi)
        np.testing.assert_allclose(x, numerical_projection(y, t, lo, hi), atol=1e-4)


def test_a_row_gives_the_same_pence_whatever_rows_share_the_call() -> None:
    rng = np.random.default_rng(3)
    k, n = 5, 200
    lo = rng.integers(0, 10**9, size=(n, k))
    hi = lo + rng.integers(0, 10**9, size=(n, k))
    hi[::2] = 10**12  # half the rows can never reach an upper bound
    total = lo.sum(axis=1) + rng.integers(0, 10**9, size=n) % (hi - lo).sum(axis=1)
    proposal = rng.uniform(0, 10**9, size=(n, k))
    together = allocate(proposal, total, lo, hi)
    for i in range(0, n, 17):
        alone = allocate(proposal[i : i + 1], total[i : i + 1], lo[i : i + 1], hi[i : i + 1])
        np.testing.assert_array_equal(alone[0], together[i])

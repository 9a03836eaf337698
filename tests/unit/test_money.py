"""Pounds to pence and largest-remainder splits."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.units.money import pounds_m_to_pence, round_within_bounds, split


def test_pounds_million_to_pence_is_exact() -> None:
    assert pounds_m_to_pence(3646.0) == 364_600_000_000
    assert pounds_m_to_pence(0.01) == 1_000_000
    assert pounds_m_to_pence(0.1 + 0.2) == 30_000_000  # no float drift into pence


def test_split_worked_example() -> None:
    # 100p in thirds: 33.33 each, the largest remainder gets the spare penny.
    np.testing.assert_array_equal(split(100, [1, 1, 1]), [34, 33, 33])
    np.testing.assert_array_equal(split(10, [0, 0]), [5, 5])


@given(
    st.integers(0, 2**53),
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12),
)
def test_split_sums_exactly_and_each_part_is_floor_or_ceiling(
    total: int, weights: list[float]
) -> None:
    parts = split(np.array([total]), np.array([weights]))[0]
    assert parts.sum() == total
    assert (parts >= 0).all()
    w = np.array(weights) if sum(weights) > 0 else np.ones(len(weights))
    exact = [total * x / w.sum() for x in w]
    # Every part is within one penny of its exact share (float error aside).
    assert all(abs(p - e) <= 1 + total * 2e-16 for p, e in zip(parts, exact, strict=True))


@given(st.lists(st.integers(0, 10**12), min_size=2, max_size=10), st.data())
def test_rounding_within_bounds_keeps_bounds_and_total(
    values: list[int], data: st.DataObject
) -> None:
    lo = np.array(values, dtype=np.int64)
    room = np.array(
        data.draw(st.lists(st.integers(0, 10**6), min_size=len(values), max_size=len(values)))
    )
    hi = lo + room
    t = int(lo.sum() + data.draw(st.integers(0, int(room.sum()))))
    # A real-valued point inside the box with the right sum.
    frac = (t - lo.sum()) / room.sum() if room.sum() else 0.0
    x = lo + frac * room
    out = round_within_bounds(x[None, :], np.array([t]), lo[None, :], hi[None, :])[0]
    assert out.sum() == t
    assert (out >= lo).all() and (out <= hi).all()


@given(
    st.lists(st.integers(-(10**12), 10**12), min_size=0, max_size=60),
    st.sampled_from([(1, 1, 0), (2, 3, 1), (5, 2, 2)]),
)
def test_sum_pence_is_the_integer_sum_to_the_penny(
    values: list[int], shape: tuple[int, int, int]
) -> None:
    from sim.units.money import sum_pence

    a, b, axes = shape
    n = a * b * 4
    arr = np.resize(np.array(values or [0], dtype=np.int64), n).reshape(a, b, 4)
    if axes == 0:
        return
    got = sum_pence(arr, axes)
    want = arr.sum(axis=tuple(range(3 - axes, 3)))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_columns_pick_the_same_positions_as_the_mask(mask: list[bool]) -> None:
    from sim.units.money import columns

    m = np.array(mask)
    row = np.arange(m.size)
    np.testing.assert_array_equal(row[columns(m)], row[m])

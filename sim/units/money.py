"""Money in integer pence: conversion from pounds and exact largest-remainder splits."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

PENCE_PER_POUND = 100
PENCE_PER_MILLION = 100_000_000
#: Largest amount the engine accepts: 2**53 pence (about £90 trillion), the largest integer a
#: float64 holds exactly, so proportional splits and projections computed in floats stay exact
#: to the penny and int64 sums cannot overflow.
MAX_PENCE = 2**53

Pence = npt.NDArray[np.int64]


def pounds_m_to_pence(amount_gbp_m: float) -> int:
    """Convert £ million (as written in a scenario) to integer pence, rounding half to even."""
    exact = Decimal(repr(float(amount_gbp_m))) * PENCE_PER_MILLION
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def pence_to_pounds_m(pence: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Convert pence to £ million, for reporting only (never for balances)."""
    return np.asarray(pence, dtype=np.float64) / PENCE_PER_MILLION


def split(total: npt.ArrayLike, weights: npt.ArrayLike) -> Pence:
    """Split integer ``total`` pence over the last axis of ``weights`` by largest remainder.

    Args:
        total: pence to split, shape ``(...)``; must be non-negative.
        weights: non-negative weights, shape ``(..., k)``. A row of zero weights is split
            equally.

    Returns:
        int64 pence of shape ``(..., k)`` whose last axis sums exactly to ``total``; each part
        is the floor or ceiling of its exact proportional share.
    """
    t = np.asarray(total, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("split: total must be non-negative")
    if np.any(w < 0):
        raise ValueError("split: weights must be non-negative")
    k = w.shape[-1]
    if k == 1:
        out: Pence = np.broadcast_to(t[..., None], w.shape).copy()
        return out
    wsum = w.sum(axis=-1, keepdims=True)
    w = np.where(wsum > 0, w, 1.0)
    wsum = w.sum(axis=-1, keepdims=True)
    exact = t[..., None].astype(np.float64) * (w / wsum)
    base = np.floor(exact).astype(np.int64)
    # Float error can put a part one penny out; the remainder loop below fixes the total.
    base = np.minimum(np.maximum(base, 0), t[..., None])
    frac = exact - base
    return _distribute_remainder(
        base, frac, t, np.zeros_like(base), np.broadcast_to(t[..., None], base.shape), k
    )


def _distribute_remainder(
    base: Pence,
    frac: npt.NDArray[np.float64],
    total: Pence,
    lo: Pence,
    hi: Pence,
    k: int,
) -> Pence:
    """Add or remove single pence, largest fractions first, until rows sum to ``total``.

    Parts stay within ``[lo, hi]``; callers guarantee ``sum(lo) <= total <= sum(hi)``.
    """
    shape = base.shape
    out = base.reshape(-1, k).copy()
    frac = np.array(frac, dtype=np.float64).reshape(-1, k)
    tot = np.broadcast_to(total, shape[:-1]).reshape(-1)
    lo2 = np.broadcast_to(lo, shape).reshape(-1, k)
    hi2 = np.broadcast_to(hi, shape).reshape(-1, k)
    for _ in range(4 * k + 4):
        short_all = tot - out.sum(axis=1)
        rows = np.flatnonzero(short_all)
        if not rows.size:
            return out.reshape(shape)
        short = short_all[rows]
        o, f = out[rows], frac[rows]
        # Give a penny to the |short| parts with most room, ranked by fractional remainder.
        up = short > 0
        key = np.where(
            up[:, None], np.where(o < hi2[rows], f, -np.inf), np.where(o > lo2[rows], -f, -np.inf)
        )
        eligible = _top(key, np.minimum(np.abs(short), k))
        step = np.where(eligible, np.sign(short)[:, None], 0)
        out[rows] = o + step
        frac[rows] = f - step
    if np.any(out.sum(axis=1) != tot):
        raise ArithmeticError("largest-remainder rounding did not converge")
    return out.reshape(shape)


def _top(key: npt.NDArray[np.float64], n: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Mark the ``n[i]`` largest finite keys of each row ``i`` (ties: the earlier part first)."""
    key = key.copy()
    rows = np.arange(key.shape[0])
    chosen = np.zeros(key.shape, dtype=bool)
    # Picking one maximum per pass is faster than ranking, as n is at most the few parts.
    for j in range(int(n.max(initial=0))):
        best = np.argmax(key, axis=1)
        take = (j < n) & np.isfinite(key[rows, best])
        chosen[rows[take], best[take]] = True
        key[rows, best] = -np.inf
    return chosen


def round_within_bounds(x: npt.NDArray[np.float64], total: Pence, lo: Pence, hi: Pence) -> Pence:
    """Round real allocations ``x`` to pence that sum to ``total`` and stay within ``[lo, hi]``.

    ``x`` must already satisfy the bounds and sum to ``total`` up to float error.
    """
    base = np.minimum(np.maximum(np.floor(x).astype(np.int64), lo), hi)
    frac = x - base
    return _distribute_remainder(base, frac, np.asarray(total, dtype=np.int64), lo, hi, x.shape[-1])

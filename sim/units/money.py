"""Money in integer pence: conversion from pounds and exact largest-remainder splits."""

from __future__ import annotations

import math
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
    if t.ndim and t.shape == w.shape[:-1]:
        live = np.flatnonzero(t.reshape(-1))
        if live.size < t.size:
            # A zero total splits into zeros whatever the weights: round only the others.
            out = np.zeros((t.size, k), dtype=np.int64)
            if live.size:
                out[live] = _split_rows(t.reshape(-1)[live], w.reshape(-1, k)[live], k)
            return out.reshape(w.shape)
    return _split_rows(t, w, k)


def _split_rows(t: Pence, w: npt.NDArray[np.float64], k: int) -> Pence:
    """:func:`split` for validated inputs and ``k > 1`` parts."""
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
    tot = np.broadcast_to(total, shape[:-1]).reshape(-1)
    # Rows that already sum to their total are never touched: only the short rows are
    # revisited, pass after pass (usually one pass settles every row).
    rows = np.flatnonzero(tot - sum_pence(out))
    if not rows.size:
        return out.reshape(shape)
    frac = np.broadcast_to(frac, shape).reshape(-1, k)[rows]
    lo2 = np.broadcast_to(lo, shape).reshape(-1, k)[rows]
    hi2 = np.broadcast_to(hi, shape).reshape(-1, k)[rows]
    o, t = out[rows], tot[rows]
    live = np.arange(rows.size)
    for _ in range(4 * k + 4):
        short_all = t[live] - sum_pence(o[live])
        still = short_all != 0
        live, short = live[still], short_all[still]
        if not live.size:
            break
        ol, f = o[live], frac[live]
        # Give a penny to the |short| parts with most room, ranked by fractional remainder.
        up = short > 0
        # Rows short of pence take them; rows over give them back (the first pass of a
        # split is all the former: one comparison, not both).
        if up.all():
            key = np.where(ol < hi2[live], f, -np.inf)
        elif not up.any():
            key = np.where(ol > lo2[live], -f, -np.inf)
        else:
            key = np.where(
                up[:, None],
                np.where(ol < hi2[live], f, -np.inf),
                np.where(ol > lo2[live], -f, -np.inf),
            )
        eligible = _top(key, np.minimum(np.abs(short), k))
        step = np.where(eligible, np.sign(short)[:, None], 0)
        o[live] = ol + step
        frac[live] = f - step
    else:
        if np.any(sum_pence(o) != t):
            raise ArithmeticError("largest-remainder rounding did not converge")
    out[rows] = o
    return out.reshape(shape)


def _top(key: npt.NDArray[np.float64], n: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Mark the ``n[i]`` largest finite keys of each row ``i`` (ties: the earlier part first)."""
    # One stable ranking of each row (largest first; a stable sort keeps equal keys in part
    # order) instead of a pass per penny.
    order = np.argsort(-key, axis=1, kind="stable")
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(key.shape[1])[None, :], axis=1)
    out: npt.NDArray[np.bool_] = (position < n[:, None]) & np.isfinite(key)
    return out


def round_within_bounds(x: npt.NDArray[np.float64], total: Pence, lo: Pence, hi: Pence) -> Pence:
    """Round real allocations ``x`` to pence that sum to ``total`` and stay within ``[lo, hi]``.

    ``x`` must already satisfy the bounds and sum to ``total`` up to float error.
    """
    base = np.minimum(np.maximum(np.floor(x).astype(np.int64), lo), hi)
    frac = x - base
    return _distribute_remainder(base, frac, np.asarray(total, dtype=np.int64), lo, hi, x.shape[-1])


def sum_pence(amounts: Pence, axes: int = 1) -> Pence:
    """Sum integer pence over the last ``axes`` axes.

    Integer sums are exact in any order, so this is ``amounts.sum(axis=last axes)`` to the
    penny; ``einsum`` sums a few columns per row about two to three times faster than
    ``sum``, whose reduction over a short last axis pays per row.
    """
    lead = amounts.shape[: amounts.ndim - axes]
    if amounts.size == 0:  # no rows, or no parts (no pausable sector, say)
        return np.zeros(lead, dtype=np.int64)
    out: Pence = np.einsum("ij->i", amounts.reshape(math.prod(lead), -1))
    return out.reshape(lead)


def columns(mask: npt.NDArray[np.bool_]) -> slice | npt.NDArray[np.int64]:
    """The positions where ``mask`` (1-D) is true: a slice when they are one run (indexing by
    it gives a view, not a copy), else an index array."""
    idx = np.flatnonzero(mask)
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx

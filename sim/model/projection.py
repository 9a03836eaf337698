"""Exact projection onto a capped simplex, and its rounding to pence.

The annual plan and the board's in-year transfers both need "the allocation closest to a
proposal that spends exactly the total and respects every bound": the Euclidean projection
of ``y`` onto ``{x : sum(x) = T, lo <= x <= hi}``. Its solution is ``x = clip(y - tau, lo, hi)``
for the ``tau`` at which the clipped sum equals ``T``; the sum is piecewise linear and
non-increasing in ``tau`` with breakpoints at ``y - hi`` and ``y - lo``, so ``tau`` is found
exactly by evaluating the sum at every breakpoint and interpolating on the right segment.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.units.money import Pence, round_within_bounds

Floats = npt.NDArray[np.float64]


def project_capped_simplex(y: Floats, total: Floats, lo: Floats, hi: Floats) -> Floats:
    """Project each row of ``y`` onto ``{sum = total, lo <= x <= hi}``.

    Args:
        y: proposals, shape ``(..., k)``.
        total: required row sums, shape ``(...)``.
        lo, hi: bounds, shape ``(..., k)``; callers guarantee ``sum(lo) <= total <= sum(hi)``.

    Returns:
        The projections, shape ``(..., k)``.
    """
    shape = y.shape
    k = shape[-1]
    yy = y.reshape(-1, k)
    ll = np.broadcast_to(lo, shape).reshape(-1, k)
    hh = np.broadcast_to(hi, shape).reshape(-1, k)
    t = np.broadcast_to(total, shape[:-1]).reshape(-1)
    x = yy.copy()
    # Rows whose proposal already meets the bounds and the total are their own projection.
    inside = (yy >= ll).all(axis=1) & (yy <= hh).all(axis=1)
    todo = np.flatnonzero(~(inside & (np.abs(yy.sum(axis=1) - t) <= 1e-12 * np.maximum(1.0, t))))
    # Rows where no upper bound can bind take the cheaper search; the choice is made row by
    # row, so a row's result never depends on the other rows in the call.
    lower_only = (hh[todo] >= t[todo, None]).all(axis=1)
    for rows, only_lower in ((todo[lower_only], True), (todo[~lower_only], False)):
        if rows.size:
            x[rows] = _project_rows(yy[rows], t[rows], ll[rows], hh[rows], only_lower)
    out: Floats = x.reshape(shape)
    return out


def _project_rows(yy: Floats, t: Floats, ll: Floats, hh: Floats, lower_only: bool) -> Floats:
    """The projection for 2-D inputs, by exact search over the breakpoints of the clipped sum.

    With ``lower_only`` (no part's upper bound can bind, as a part never exceeds the total)
    only the lower bounds' breakpoints are searched.
    """
    k = yy.shape[1]
    if lower_only:
        # No upper bound can bind (a part never exceeds the total): only lower breakpoints.
        breaks = np.sort(yy - ll, axis=1)
        hh = np.full_like(hh, np.inf)
    else:
        breaks = np.sort(np.concatenate([yy - hh, yy - ll], axis=1), axis=1)  # (n, 2k)
    nb = breaks.shape[1]
    sums = np.minimum(
        np.maximum(yy[:, None, :] - breaks[:, :, None], ll[:, None, :]), hh[:, None, :]
    ).sum(axis=2)
    # sums is non-increasing along the breakpoints; find the last breakpoint with sum >= t.
    idx = (sums >= t[:, None]).sum(axis=1) - 1
    idx = np.clip(idx, 0, nb - 2) if nb > 1 else np.zeros_like(idx)
    rows = np.arange(yy.shape[0])
    nxt = np.minimum(idx + 1, nb - 1)
    b0, b1 = breaks[rows, idx], breaks[rows, nxt]
    s0, s1 = sums[rows, idx], sums[rows, nxt]
    drop = s0 - s1
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(drop > 0, (s0 - t) / np.where(drop > 0, drop, 1.0), 0.0)
    tau = b0 + np.clip(frac, 0.0, 1.0) * (b1 - b0)
    # Above the largest sum at a breakpoint every part is free (only in the lower-bound-only
    # case, where the sum keeps growing as tau falls): solve sum(y - tau) = t directly.
    if lower_only:
        tau = np.where(t > sums[:, 0], (yy.sum(axis=1) - t) / k, tau)
    x: Floats = np.minimum(np.maximum(yy - tau[:, None], ll), hh)
    return x


def allocate(proposal: Floats, total: Pence, lo: Pence, hi: Pence) -> Pence:
    """Pence closest to ``proposal`` that sum to ``total`` and lie within ``[lo, hi]``.

    Args:
        proposal: desired amounts in pence (real numbers), shape ``(..., k)``.
        total: integer pence each row must sum to, shape ``(...)``.
        lo, hi: integer pence bounds, shape ``(..., k)``, with ``sum(lo) <= total <= sum(hi)``.

    Raises:
        ValueError: when the bounds cannot hold together (a caller's defect).
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    if np.any(lo > hi) or np.any(lo.sum(axis=-1) > total) or np.any(hi.sum(axis=-1) < total):
        raise ValueError("allocate: bounds are infeasible for the total")
    x = project_capped_simplex(
        proposal.astype(np.float64),
        total.astype(np.float64),
        lo.astype(np.float64),
        hi.astype(np.float64),
    )
    return round_within_bounds(x, total, np.broadcast_to(lo, x.shape), np.broadcast_to(hi, x.shape))

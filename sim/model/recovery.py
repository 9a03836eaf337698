"""In-year financial management, as pure functions: the monthly forecast and the recovery plan.

Each month the ICB forecasts its year-end position: every budget's balance less this
month's need run on to the year end (a capped budget never below the slippage it will leave
unspent), plus the contingency reserve. When the forecast deficit passes the threshold (from the month the scenario sets),
a recovery plan acts in this order:

1. the contingency reserve and slippage (already in the forecast: they meet overspends at
   the year end);
2. non-recurrent pauses of discretionary lines in capped sectors, least valued by the board
   first (its compromise relative to the first-year division), each line at most
   ``max_pause`` of its planned money in a year, and never below a ring-fence;
3. whatever is left is an overspend, and a deficit at the year end.

Demand-led sectors are never paused: they spend their need whatever their budget, so a
pause would only move the overspend. Paused money goes to the reserve and lapses at the
year end (the next plan starts from the planned, not the paused, budget).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.units.money import Pence, split, sum_pence

Floats = npt.NDArray[np.float64]


def forecast_deficit(
    after: Pence,
    need: Pence,
    months_after: int,
    capped: npt.NDArray[np.bool_],
    reserve: Pence,
    underspend: Pence,
) -> Pence:
    """The ICB's forecast year-end deficit, pence, shape (R,) (0 when in balance).

    Args:
        after: budget balances after this month's spending, (R, P, S).
        need: this month's need, (R, P, S); it runs on at this rate for the rest of the year.
        months_after: months of the year after this one (0 in March).
        capped: capped sectors, (S,): they spend at most their budget, so their forecast
            balance is never below zero, nor below the slippage they will leave unspent.
        reserve: the contingency reserve now, (R,).
        underspend: each budget's slippage by the year end (so far and still to come),
            (R, P, S).
    """
    balance = after - need * months_after
    # In place, on the capped sectors only (no second full-size array).
    np.maximum(balance, underspend, out=balance, where=capped)
    position = sum_pence(balance, 2) + reserve
    out: Pence = np.maximum(0, -position)
    return out


def pause_capacity(
    after: Pence,
    lines_to_come: Pence,
    planned_discretionary: Pence,
    paused: Pence,
    max_pause: float,
    pausable: npt.NDArray[np.bool_],
    slack: Pence | None = None,
) -> Pence:
    """Most each budget may usefully pause now, pence, shape (R, P, S).

    Args:
        after: budget balances after this month's spending, (R, P, S).
        lines_to_come: committed and slippage lines still to be paid this year, and money
            held (slippage so far, pooled money), (R, P, S).
        planned_discretionary: the year's planned discretionary lines, (R, P, S).
        paused: already paused this year, (R, P, S).
        pausable: capped sectors with discretionary lines, (S,).
        slack: money each budget is forecast to leave unspent anyway, (R, P, S): pausing it
            would only send to the reserve now what reaches it at the year end, and would
            not lower the forecast deficit.
    """
    remaining = np.maximum(0, after - lines_to_come)
    if slack is not None:
        remaining = np.maximum(0, remaining - slack)
    allowance = np.maximum(0, np.floor(max_pause * planned_discretionary).astype(np.int64) - paused)
    out: Pence = np.where(pausable[None, None, :], np.minimum(remaining, allowance), 0)
    return out


def pauses(needed: Pence, capacity: Pence, rank: npt.NDArray[np.int64]) -> Pence:
    """Pause up to ``needed`` pence per replication, lowest-ranked sectors first.

    Sectors of equal rank are paused together, in proportion to their capacity (largest
    remainder); a group is exhausted before the next is touched.

    Args:
        needed: pence to find, shape (R,).
        capacity: most each budget may pause, (R, P, S).
        rank: order of each sector (lower is paused first), (S,).
    """
    r, p, s = capacity.shape
    out = np.zeros((r, p * s), dtype=np.int64)
    left = needed.astype(np.int64).copy()
    flat = capacity.reshape(r, -1)
    for level in np.unique(rank):
        columns = np.flatnonzero(np.tile(rank == level, p))
        cap = flat[:, columns]
        total = sum_pence(cap)
        take = np.minimum(left, total)
        if not take.any():
            continue
        # A group paused in full needs no rounding; only partial groups are split.
        part = np.flatnonzero((take > 0) & (take < total))
        got = np.where((take == total)[:, None], cap, 0)
        if part.size:
            got[part] = split(take[part], cap[part].astype(np.float64))
        out[:, columns] += got
        left -= take
    return out.reshape(r, p, s)


def pause_order(priority: Floats, pausable: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Rank of each sector in the pause order: the board's least valued lines first.

    ``priority`` is the compromise's share of the money relative to the first year's (above
    1: the board favours the sector). Priorities within a percentage point of each other
    share a rank (their lines are paused together, in proportion to what each can give):
    a board that barely prefers one sector does not spare it entirely.
    """
    keyed = np.where(pausable, np.round(priority, 2), np.inf)
    _, rank = np.unique(keyed, return_inverse=True)
    out: npt.NDArray[np.int64] = rank.astype(np.int64)
    return out

"""In-year money moved into and out of budgets, as the engine books it: one record per event.

The monthly digest and the time series need each month's transfers in and out of every
budget. The engine records them as it moves the money (a recovery-plan pause, a board
transfer), so nothing has to rebuild them from the ledger's journal, and keeps only the
events (most months of most replications move nothing): a dense month-by-month array would
double the memory a run holds for money that is almost all zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.units.money import Pence


@dataclass(frozen=True)
class Move:
    """Money moved in one event, in the replications it happened in."""

    month: int
    #: Positions of the replications in their chunk, (n,), distinct.
    rows: npt.NDArray[np.int64]
    #: The sectors the amounts are of: a slice or an index array over the sectors.
    cols: slice | npt.NDArray[np.int64]
    #: Pence into and out of each budget, (n, P, S'); None when nothing moved that way.
    into: Pence | None
    out: Pence | None


#: A chunk's moves, with that chunk's replication indices (positions refer to them).
ChunkMoves = tuple[list[Move], npt.NDArray[np.int64]]


def by_month(
    chunks: Sequence[ChunkMoves],
    replications: npt.NDArray[np.int64],
    shape: tuple[int, int, int, int],
    by_place: bool = True,
) -> tuple[Pence, Pence]:
    """Money into and out of each budget by month, pence, ``shape`` = (R, M, P, S), or with
    ``by_place`` false summed over places, (R, M, S); rows in the order of ``replications``.

    Integer sums are exact in any order: these are the pence the events booked.
    """
    r, m, p, s = shape
    dims = (r, m, p, s) if by_place else (r, m, s)
    into = np.zeros(dims, dtype=np.int64)
    out = np.zeros(dims, dtype=np.int64)
    sectors = np.arange(s)
    for moves, reps in chunks:
        at = np.searchsorted(replications, reps)
        for mv in moves:
            rows = at[mv.rows]
            cols = sectors[mv.cols]
            if by_place:
                index: tuple[npt.NDArray[np.int64] | int, ...] = (
                    rows[:, None, None],
                    mv.month,
                    np.arange(p)[None, :, None],
                    cols[None, None, :],
                )
            else:
                index = (rows[:, None], mv.month, cols[None, :])
            for total, amount in ((into, mv.into), (out, mv.out)):
                if amount is not None:
                    # Replications are distinct within an event: each cell is added once.
                    total[index] += amount if by_place else amount.sum(axis=1)
    return into, out

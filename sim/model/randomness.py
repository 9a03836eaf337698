"""Reproducible random streams: one generator per (seed, replication, stream).

Each replication's numbers come from ``SeedSequence(seed, spawn_key=(replication, stream))``
and are drawn in blocks whose layout depends only on the calendar and the model's
dimensions, never on the simulated state. Hence replication ``i`` is the same alone, in any
batch or chunk, on any worker, and two scenarios that differ only in policy (board,
ring-fences) see the same need, shocks and allocation growth (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: Stream ids: environment (need, shocks, allocation growth, cost-improvement delivery and
#: slippage) and board attendance.
ENVIRONMENT = 0
ATTENDANCE = 1


def generator(seed: int, replication: int, stream: int) -> np.random.Generator:
    """The generator of one replication's stream."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, stream)))
    )


def uniform_block(
    seed: int,
    replications: Sequence[int] | npt.NDArray[np.int64],
    stream: int,
    shape: tuple[int, ...],
) -> npt.NDArray[np.float64]:
    """Uniforms in ``[0, 1)`` of shape ``(len(replications), *shape)``, row ``j`` from replication ``j``.

    The first axis of ``shape`` is months: a longer horizon extends a replication's numbers
    without changing the earlier ones (the draws fill month by month).
    """
    reps = np.asarray(replications, dtype=np.int64)
    out = np.empty((len(reps), *shape), dtype=np.float64)
    for j, rep in enumerate(reps):
        out[j] = generator(seed, int(rep), stream).random(shape)
    return out


def open_unit(u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Map uniforms on ``[0, 1)`` (multiples of 2**-53) into the open interval ``(0, 1)``."""
    return u + 2.0**-54

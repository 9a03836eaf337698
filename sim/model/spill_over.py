"""Spill-over: unmet primary and community need returning as hospital need after a lag.

In month ``m`` each place's spill-over total is ``elasticity * sum of unmet need in the
spill-from sectors in month m - lag`` (pence, a real number); it arrives in the spill-to
sectors in proportion to their first-year shares and is rounded to pence there.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.model.system import System
from sim.units.money import Pence


def spill_weights(system: System) -> npt.NDArray[np.float64]:
    """How a place's spill-over divides between sectors, shape (S,); zero if none receive it."""
    w = system.shares * system.spill_to
    out: npt.NDArray[np.float64] = w / w.sum() if w.sum() > 0 else w
    return out


def spill_in(total: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> Pence:
    """Spill-over arriving in each sector, pence, from place totals of shape (..., P)."""
    out: Pence = np.rint(total[..., None] * weights).astype(np.int64)
    return out

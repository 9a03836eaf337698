"""The backtest: hold out each target in turn, refit on the rest, predict the one held out.

The history has one figure per sector for the whole period, so "part of the history" is a
target: the fit without it must predict it. A target the remaining ones pin down is
predicted well; one that alone identifies a parameter (prescribing's need growth, say) is
predicted badly, and the backtest says so rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.calibration.fit import Fit, fit
from sim.calibration.moments import Problem

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class HeldOut:
    """One target's prediction by the fit without it."""

    target: str
    history: float
    #: The prediction: the mean over replications, and its 5th and 95th percentiles.
    mean: float
    low: float
    high: float
    #: The refit's parameter values.
    values: Floats

    @property
    def error(self) -> float:
        """Prediction minus history."""
        return self.mean - self.history


def backtest(
    problem: Problem,
    full: Fit,
    budget: float | None = None,
    on_target: Callable[[int, str], None] | None = None,
) -> list[HeldOut]:
    """Refit without each target in turn (from the full fit) and predict it.

    Args:
        budget: seconds of wall time for each refit.
        on_target: called as ``on_target(k, label)`` before each refit.
    """
    out = []
    for k, target in enumerate(problem.spec.targets):
        if on_target is not None:
            on_target(k, target.label)
        used = full.used.copy()
        used[k] = False
        refit = fit(problem, start=full.values, used=used, budget=budget)
        held = refit.draws[:, k]
        out.append(
            HeldOut(
                target=target.label,
                history=float(problem.targets[k]),
                mean=float(held.mean()),
                low=float(np.quantile(held, 0.05)),
                high=float(np.quantile(held, 0.95)),
                values=refit.values,
            )
        )
    return out


def rmse(held: list[HeldOut]) -> float:
    """Root mean square error of the held-out predictions."""
    return float(np.sqrt(np.mean([h.error**2 for h in held])))

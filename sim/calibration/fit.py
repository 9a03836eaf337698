"""Fitting the free parameters: a method of simulated moments with common random numbers.

The objective is the weighted distance between the model's mean of each target and the
published value, ``sum_k ((m_k(theta) - h_k) / sd_k)^2``, minimised within each parameter's
range by a trust-region least-squares method (:func:`scipy.optimize.least_squares`) with
finite-difference derivatives. Common random numbers make ``m(theta)`` deterministic, so
the finite differences measure the parameters' effect and not simulation noise.

Standard errors are the sandwich of simulated moments: with ``J`` the Jacobian of the
scaled residuals at the fit, ``cov = (J'J)^-1 J' Omega J (J'J)^-1``, where ``Omega`` is the
covariance of the scaled residuals: the targets' own uncertainty (``sd``, the identity here)
plus the simulation noise of a mean of ``R`` replications. A parameter the targets do not
move has no finite standard error: it is reported as not identified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares
from scipy.stats import qmc

from sim.calibration.moments import Problem

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
#: Finite-difference step, in the parameters' own units (0.1 point of a growth rate).
STEP = 1e-3
#: Seed of the screening points (fixed: a calibration is reproducible).
SCREEN_SEED = 20160401
#: ``progress(evaluations, cost, best_cost, seconds)``, after every model evaluation.
Progress = Callable[[int, float, float, float], None]


class _OutOfTime(Exception):
    """The time budget ran out during a fit."""


@dataclass(frozen=True)
class Fit:
    """A fitted calibration."""

    #: The fitted values, shape (P,), and where the fit started.
    values: Floats
    start: Floats
    #: Standard errors, shape (P,) (``inf``: not identified by the targets used).
    se: Floats
    #: Targets used in the fit, shape (K,).
    used: Bools
    #: Each target's value in each replication at the fit, shape (R, K).
    draws: Floats
    #: Half the sum of squared scaled residuals of the targets used.
    cost: float
    evaluations: int
    seconds: float
    #: Whether the optimiser met its tolerances (not: stopped by the time budget).
    converged: bool
    message: str


def fit(
    problem: Problem,
    start: Floats | None = None,
    used: Bools | None = None,
    budget: float | None = None,
    progress: Progress | None = None,
    max_evaluations: int = 400,
    screen: int = 0,
    local_fits: int = 3,
) -> Fit:
    """Fit the free parameters to the targets in ``used`` (all by default).

    Args:
        start: where to start (default: the scenario's own values).
        budget: seconds of wall time the fit may take; when it runs out the best point
            found so far is returned, with ``converged`` false.
        max_evaluations: most model evaluations the optimiser may make.
        screen: evaluate this many points of a scrambled Sobol' sequence over the ranges
            first (besides the start) and start from the best: the objective has flat
            regions (a sector held at its need, or at a ring-fence) where a local method
            from a poor start would stop.
        local_fits: with ``screen``, fit from this many of the best points screened, and
            keep the best fit.
    """
    began = time.perf_counter()
    k = len(problem.targets)
    mask = np.ones(k, dtype=bool) if used is None else np.asarray(used, dtype=bool)
    x0 = problem.start if start is None else np.asarray(start, dtype=np.float64)
    lo, hi = problem.lower, problem.upper
    # Strictly inside the bounds, as the trust-region method requires.
    x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))
    best: list[tuple[float, Floats]] = []
    evaluations = 0

    def objective(x: Floats) -> Floats:
        nonlocal evaluations
        # The first evaluation always runs, so that any budget reports a point.
        if budget is not None and best and time.perf_counter() - began > budget:
            raise _OutOfTime
        r: Floats = problem.residuals(x)[mask]
        evaluations += 1
        cost = 0.5 * float(r @ r)
        if not best or cost < best[0][0]:
            best[:] = [(cost, x.copy())]
        if progress is not None:
            progress(evaluations, cost, best[0][0], time.perf_counter() - began)
        return r

    starts = [x0]
    values, converged, message = x0, False, "no evaluation"
    try:
        if screen > 0:
            starts = _screened(objective, x0, lo, hi, screen)[:local_fits]
        best_local = np.inf
        for x in starts:
            result = least_squares(
                objective,
                x,
                bounds=(lo, hi),
                method="trf",
                diff_step=STEP,
                x_scale=(hi - lo) / 10.0,
                max_nfev=max_evaluations,
                xtol=1e-6,
                ftol=1e-8,
                gtol=1e-8,
            )
            if result.cost < best_local:
                best_local = float(result.cost)
                values = np.asarray(result.x, dtype=np.float64)
                converged = bool(result.status > 0)
                message = str(result.message)
    except _OutOfTime:
        values = best[0][1]
        converged = False
        message = "the time budget ran out; the best point found is reported"
    draws = problem.draws(values)
    jac = jacobian(problem, values, mask)
    se = standard_errors(jac, (draws - problem.targets) / problem.sds, mask)
    r = ((draws.mean(axis=0) - problem.targets) / problem.sds)[mask]
    return Fit(
        values=values,
        start=x0,
        se=se,
        used=mask,
        draws=draws,
        cost=0.5 * float(r @ r),
        evaluations=evaluations,
        seconds=time.perf_counter() - began,
        converged=converged,
        message=message,
    )


def _screened(
    objective: Callable[[Floats], Floats], x0: Floats, lo: Floats, hi: Floats, n: int
) -> list[Floats]:
    """``x0`` and ``n`` quasi-random points within the ranges, best first."""
    sampler = qmc.Sobol(d=x0.size, scramble=True, seed=np.random.default_rng(SCREEN_SEED))
    points = [x0, *qmc.scale(sampler.random(n), lo, hi)]
    costs = [float(np.sum(objective(x) ** 2)) for x in points]
    inside = [np.clip(x, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo)) for x in points]
    return [inside[i] for i in np.argsort(costs, kind="stable")]


def jacobian(problem: Problem, values: Floats, used: Bools) -> Floats:
    """Central differences of the scaled residuals of the used targets, shape (K_used, P)."""
    lo, hi = problem.lower, problem.upper
    cols = []
    for j in range(values.size):
        up, down = values.copy(), values.copy()
        up[j] = min(values[j] + STEP, hi[j])
        down[j] = max(values[j] - STEP, lo[j])
        diff = problem.residuals(up)[used] - problem.residuals(down)[used]
        cols.append(diff / (up[j] - down[j]))
    return np.column_stack(cols)


def standard_errors(jac: Floats, scaled_draws: Floats, used: Bools) -> Floats:
    """Sandwich standard errors of simulated moments (``inf`` where not identified).

    Args:
        jac: the Jacobian of the scaled residuals, (K_used, P).
        scaled_draws: each replication's scaled residual, (R, K).
    """
    r = scaled_draws.shape[0]
    k = int(used.sum())
    # One replication has no sample covariance: only the targets' own uncertainty counts.
    sim = np.atleast_2d(np.cov(scaled_draws[:, used], rowvar=False)) / r if r > 1 else 0.0
    omega = np.eye(k) + sim
    bread = jac.T @ jac
    p = bread.shape[0]
    # A direction the targets do not move at all has no standard error.
    scale = np.sqrt(np.maximum(np.diag(bread), 0.0))
    unmoved = scale < 1e-8 * max(float(scale.max(initial=0.0)), 1e-300)
    out = np.full(p, np.inf)
    keep = ~unmoved
    if keep.any():
        b = bread[np.ix_(keep, keep)]
        if np.linalg.matrix_rank(b) == keep.sum():
            inv = np.linalg.inv(b)
            j = jac[:, keep]
            cov = inv @ j.T @ omega @ j @ inv
            out[keep] = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return out

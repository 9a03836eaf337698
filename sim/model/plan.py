"""The annual plan's proposal: the recurrent baseline rolled forward, growth by compromise.

Each year the plan starts from last year's recurrent budgets (the plan plus the recurrent
part of in-year transfers). Growth money (this year's total less that baseline) is divided
by the board's compromise: the Shapley-Shubik-weighted average of the members' ideal
shares. Member ``j``'s ideal share of sector ``s`` is the sector's first-year share times
``1 + tilt[c_j][kind_s] + priority[kind_s]``, renormalised, where the tilt belongs to the
member's constituency and the priority is ICB policy (a "left shift") in force that year.
If the total falls below the baseline, every budget is scaled down in proportion. The
proposal then goes through the ring-fence bounds (:func:`sim.model.ring_fence.annual_plan`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.model.board import CompiledBoard
from sim.model.power import board_power
from sim.model.system import System
from sim.scenario.format import DEFAULT_PLAN_TILT, Scenario
from sim.units.calendar import Calendar

Floats = npt.NDArray[np.float64]
#: Smallest multiplier of a first-year share in a member's ideal (keeps ideals positive).
MIN_MULTIPLIER = 0.05


def ideal_shares(board: CompiledBoard, scenario: Scenario, system: System, month: int) -> Floats:
    """Each member's ideal division of growth money between sectors, shape (n, S)."""
    tilts: dict[str, dict[str, float]] = {
        **{c: {str(k): v for k, v in t.items()} for c, t in DEFAULT_PLAN_TILT.items()},
        **{c: {str(k): v for k, v in t.items()} for c, t in scenario.board.plan_tilt.items()},
    }
    start = scenario.plan.start
    cal = Calendar(scenario.start_year, scenario.horizon_years)
    in_force = start is None or cal.month_index(start) <= month
    priority = {str(k): v for k, v in scenario.plan.priorities.items()} if in_force else {}
    out = np.empty((board.size, system.sectors))
    for j, constituency in enumerate(board.constituencies):
        tilt = tilts.get(constituency, {})
        mult = np.array(
            [1.0 + tilt.get(k, 0.0) + priority.get(k, 0.0) for k in system.sector_kinds]
        )
        ideal = system.shares * np.maximum(mult, MIN_MULTIPLIER)
        out[j] = ideal / ideal.sum()
    return out


def compromise(
    board: CompiledBoard,
    seated_mask: npt.NDArray[np.bool_],
    scenario: Scenario,
    system: System,
    month: int,
) -> Floats:
    """The power-weighted compromise of the seated members' ideal shares, shape (S,)."""
    seated = np.flatnonzero(seated_mask)
    if seated.size == 0:
        # Nobody sits on the board: growth money follows the first-year shares.
        unchanged: Floats = system.shares.copy()
        return unchanged
    power = board_power(board.subset(seated)).shapley_shubik
    ideals = ideal_shares(board, scenario, system, month)[seated]
    if power.sum() <= 0:
        out: Floats = ideals.mean(axis=0)
        return out
    out = (power[:, None] * ideals).sum(axis=0) / power.sum()
    return out


def plan_proposal(
    baseline: npt.NDArray[np.int64], totals: npt.NDArray[np.int64], shares: Floats
) -> Floats:
    """Proposed budgets, pence (real), shape (R, P, S).

    Args:
        baseline: recurrent budgets rolled forward, pence, shape (R, P, S).
        totals: money to divide in each place this year, pence, shape (R, P).
        shares: the compromise division of growth money, shape (S,).
    """
    base = baseline.astype(np.float64)
    base_sum = base.sum(axis=2)
    growth = totals - base_sum
    grown = base + np.maximum(growth, 0.0)[:, :, None] * shares[None, None, :]
    scale = np.where(base_sum > 0, totals / np.where(base_sum > 0, base_sum, 1.0), 0.0)
    shrunk = base * scale[:, :, None]
    out: Floats = np.where((growth >= 0)[:, :, None], grown, shrunk)
    # A place with no baseline at all divides its total by the compromise.
    empty = (base_sum <= 0)[:, :, None]
    out = np.where(empty, totals[:, :, None] * shares[None, None, :], out)
    return out

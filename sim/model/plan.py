"""The board's part in the annual plan: its compromise, and whether it agrees by consensus.

The board divides the plan's discretionary money (:mod:`sim.model.planning`). Members think
in whole budgets: member ``j``'s ideal gives sector ``s`` its first-year share times
``1 + tilt[c_j][kind_s] + priority[kind_s] + priority[s]``, renormalised, where the tilt
belongs to the member's constituency and the priorities (by kind, and by sector name) are
ICB policy (a "left shift") in force that year.
The compromise is the Shapley-Shubik-weighted average of the seated members' ideals, so
every seat moves it: one more GP seat shifts it towards general practice. Only the
discretionary lines can follow it (committed and slippage lines are fixed).

The board agrees by consensus when no two seated voting members' ideals are further apart
than the consensus tolerance (total variation). Otherwise the voting rule decides how far
the plan moves towards the compromise (:func:`plan_decision`).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Each member's ideal division of the place's money between sectors, shape (n, S)."""
    tilts: dict[str, dict[str, float]] = {
        **{c: {str(k): v for k, v in t.items()} for c, t in DEFAULT_PLAN_TILT.items()},
        **{c: {str(k): v for k, v in t.items()} for c, t in scenario.board.plan_tilt.items()},
    }
    start = scenario.plan.start
    cal = Calendar(scenario.start_year, scenario.horizon_years)
    in_force = start is None or cal.month_index(start) <= month
    priority = {str(k): v for k, v in scenario.plan.priorities.items()} if in_force else {}
    by_name = scenario.plan.sectors if in_force else {}
    policy = np.array(
        [
            priority.get(k, 0.0) + by_name.get(n, 0.0)
            for k, n in zip(system.sector_kinds, system.sector_names, strict=True)
        ]
    )
    out = np.empty((board.size, system.sectors))
    for j, constituency in enumerate(board.constituencies):
        tilt = tilts.get(constituency, {})
        mult = 1.0 + np.array([tilt.get(k, 0.0) for k in system.sector_kinds]) + policy
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


@dataclass(frozen=True)
class PlanDecision:
    """How the board agreed a year's plan, per replication."""

    #: Fraction of the way from the status quo to the compromise the board agreed, (R,).
    agreed: Floats
    #: Whether the plan was agreed by consensus (the same in every replication).
    consensus: bool
    #: The pivotal member of a vote (-1 under consensus or when nothing passes), (R,).
    pivot: npt.NDArray[np.int64]


def plan_decision(
    board: CompiledBoard,
    seated_mask: npt.NDArray[np.bool_],
    ideals: Floats,
    target: Floats,
    reachable: Floats,
    status_quo: Floats,
    tolerance: float,
) -> PlanDecision:
    """Consensus if the seated voters' ideals are close together; otherwise a vote.

    Boards that seek consensus first (``consensus_then_majority``, ``unanimity``) agree the
    whole move when positions are close; ``simple_majority`` and ``two_thirds`` always vote.

    In a vote each member accepts moving from the status quo towards the compromise as far
    as it still prefers the result to the status quo (quadratic preferences along that line:
    twice its ideal point's projection, clipped to 0 and 1). The board moves the largest
    distance that the rule's quota supports (the quota-pivot rule of
    :meth:`sim.model.board.CompiledBoard.decide`, with the chair's casting vote).

    Args:
        ideals: every member's ideal division, shape (n, S).
        target: the compromise, shape (S,).
        reachable: the division the plan reaches if it moves all the way (the compromise
            as far as the fixed lines allow), per replication, (R, S).
        status_quo: each replication's status-quo division, (R, S).
    """
    r = status_quo.shape[0]
    voters = seated_mask & board.voting
    ones = np.ones(r)
    if not voters.any():
        return PlanDecision(ones, True, np.full(r, -1, dtype=np.int64))
    # Positions are "too far apart" when two voting members' ideals differ by more than the
    # tolerance (total variation): a property of who sits on the board, not of how many
    # seats each constituency holds.
    held = ideals[voters]
    spread = 0.5 * np.abs(held[:, None, :] - held[None, :, :]).sum(axis=2)
    seeks_consensus = board.rule in ("consensus_then_majority", "unanimity")
    if seeks_consensus and spread.max() <= tolerance + 1e-12:
        return PlanDecision(ones, True, np.full(r, -1, dtype=np.int64))
    v = reachable - status_quo  # (R, S)
    vv = (v * v).sum(axis=1)
    proj = ((ideals[None, :, :] - status_quo[:, None, :]) * v[:, None, :]).sum(axis=2)
    accept = np.clip(2.0 * proj / np.where(vv > 0, vv, 1.0)[:, None], 0.0, 1.0)
    accept = np.where((vv > 0)[:, None], accept, 1.0)  # nothing to move: all accept
    w = np.where(voters, board.weight_units, 0)
    total = int(w.sum())
    # support[r, i]: weight of voters accepting at least member i's acceptance.
    support = ((accept[:, None, :] >= accept[:, :, None]) * w[None, None, :]).sum(axis=2)
    if board.rule in ("simple_majority", "consensus_then_majority"):
        passes = 2 * support > total
        if board.casting_vote and board.chair >= 0 and voters[board.chair]:
            chair_ok = accept[:, board.chair][:, None] >= accept
            passes |= (2 * support == total) & chair_ok
    elif board.rule == "two_thirds":
        passes = 3 * support >= 2 * total
    else:  # unanimity
        passes = support >= total
    passes &= voters[None, :]
    candidate = np.where(passes, accept, -1.0)
    pivot = np.argmax(candidate, axis=1)
    agreed = np.maximum(candidate.max(axis=1), 0.0)
    pivot = np.where(passes.any(axis=1), pivot, -1)
    return PlanDecision(agreed, False, pivot.astype(np.int64))

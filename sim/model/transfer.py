"""An in-year transfer to secondary care, as a pure function of the budgets: which budgets
give, how much each can give under the ring-fences, and which secondary budgets receive.

The engine applies the result to the ledger; nothing here changes state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.model.projection import allocate
from sim.model.ring_fence import Rule, transfer_capacity
from sim.model.system import System
from sim.units.money import Pence, split


@dataclass(frozen=True)
class Transfer:
    """Money to move in each replication and place; pence.

    ``flows[i, p, d, c]`` is the pence from donor sector ``donors[d]`` to recipient sector
    ``recipients[c]`` in place ``p``; ``recurrent`` is the part of it that carries into next
    year's plan. Both are empty (size 0) when there are no donors or no recipients.
    """

    donors: npt.NDArray[np.int64]
    recipients: npt.NDArray[np.int64]
    flows: Pence
    recurrent: Pence
    #: Which ring-fences stopped the board taking a budget's pro-rata share, (n, n_rules).
    bound: npt.NDArray[np.bool_]

    def out_of(self, shape: tuple[int, int, int]) -> Pence:
        """Pence leaving each budget, shape (n, P, S)."""
        out = np.zeros(shape, dtype=np.int64)
        if self.flows.size:
            out[:, :, self.donors] = self.flows.sum(axis=3)
        return out

    def into(self, shape: tuple[int, int, int]) -> Pence:
        """Pence arriving in each budget, shape (n, P, S)."""
        inn = np.zeros(shape, dtype=np.int64)
        if self.flows.size:
            inn[:, :, self.recipients] = self.flows.sum(axis=2)
        return inn

    def recurrent_net(self, shape: tuple[int, int, int]) -> Pence:
        """Recurrent pence in less recurrent pence out of each budget, shape (n, P, S)."""
        net = np.zeros(shape, dtype=np.int64)
        if self.flows.size:
            net[:, :, self.donors] -= self.recurrent.sum(axis=3)
            net[:, :, self.recipients] += self.recurrent.sum(axis=2)
        return net


def in_year_transfer(
    system: System,
    rules: list[Rule],
    active: list[bool],
    *,
    balances: Pence,
    plan: Pence,
    moved_out: Pence,
    need: Pence,
    months_left: int,
    wanted: Pence,
    hold: Pence,
    recurrent_share: float,
    budget: Pence | None = None,
    total: Pence | None = None,
    fixed: Pence | None = None,
) -> Transfer:
    """Move up to ``wanted`` pence per place to secondary care.

    Args:
        system: the compiled system (which sectors are secondary, which are capped).
        rules, active: the ring-fence rules and which are in force this month.
        balances: budget balances now, pence, (n, P, S).
        plan: this year's planned budgets, pence, (n, P, S).
        moved_out: pence already moved out of each budget this year, (n, P, S).
        need: this month's need, pence, (n, P, S).
        months_left: months of the year after this one (0 in March).
        wanted: pence the board agreed to move in each place, (n, P).
        hold: pence in each budget that may not move (pooled money without consent),
            (n, P, S) or broadcastable to it.
        recurrent_share: the part of each transfer that is recurrent, 0 to 1.
        budget, total: budgets now and the places' money this year, for the month-end
            minimum share.
        fixed: this year's committed and slippage lines, (n, P, S): never moved in-year,
            so at most ``plan - fixed`` leaves a budget in a year.
    """
    n, p, _ = balances.shape
    # Donors are the capacity-capped budgets outside secondary care: taking from a
    # demand-led budget would only move the overspend, not find money.
    donor = ~system.secondary & system.capped
    available = np.where(donor[None, None, :], np.maximum(balances - hold, 0), 0)
    limit, per_rule = transfer_capacity(rules, active, plan, moved_out, budget, total)
    if fixed is not None:
        limit = np.minimum(limit, np.maximum(0, plan - fixed - moved_out))
    capacity = np.minimum(available, limit)
    amount = np.minimum(wanted, capacity.sum(axis=2))
    # Take from donors in proportion to their balances, leaving out protected budgets;
    # where a cap still binds, the projection spreads the excess over the others.
    eligible = np.where(capacity > 0, available, 0)
    share = eligible / np.maximum(eligible.sum(axis=2, keepdims=True), 1)
    giving = np.flatnonzero(donor)
    taken = np.zeros_like(capacity)
    if giving.size:
        cap_d = capacity[:, :, giving]
        taken[:, :, giving] = allocate(
            amount[:, :, None] * share[:, :, giving], amount, np.zeros_like(cap_d), cap_d
        )
    bound = np.zeros((n, len(rules)), dtype=bool)
    if rules:
        unconstrained = wanted[:, :, None] * (
            available / np.maximum(available.sum(axis=2, keepdims=True), 1)
        )
        for k in range(len(rules)):
            # A rule binds when it stops the board taking a budget's pro-rata share.
            bound[:, k] = (per_rule[k] < unconstrained - 0.5).any(axis=(1, 2))
    # Recipients: secondary sectors, in proportion to their own forecast overspend.
    secondary = system.secondary[None, None, :]
    gap = np.where(secondary, np.maximum(0, need * months_left - balances), 0)
    fallback = np.where(secondary, plan + 1, 0)
    rec_w = np.where(gap.sum(axis=2, keepdims=True) > 0, gap, fallback).astype(np.float64)
    donors = giving
    recips = np.flatnonzero(system.secondary)
    if not (donors.size and recips.size):
        empty = np.zeros((n, p, 0, 0), dtype=np.int64)
        return Transfer(donors, recips, empty, empty, bound)
    flows = split(taken[:, :, donors], rec_w[:, :, None, recips].repeat(donors.size, axis=2))
    recurrent = np.rint(flows * recurrent_share).astype(np.int64)
    return Transfer(donors, recips, flows, recurrent, bound)

"""The annual planning round, as a pure function of last year and this year's money.

From the second year, each place's plan is built the way ICB plans are:

1. **Forecast outturn.** A capped sector's cost base is last year's recurrent budget (it
   spends to budget; in-year pauses were non-recurrent). A demand-led sector's is last
   year's outturn (what it actually spent), grown by the expected activity growth.
2. **National uplifts** go to the committed and slippage lines (national contracts); the
   whole cost base is uplifted by the same price uplift, except where a sector's own
   contract uplift (``sectors.committed_uplift``: the GP contract, the dental contract)
   replaces it for that sector's lines.
3. **Cost improvement.** The target (a fraction) comes off a demand-led provider's whole cost
   base (the payment scheme's efficiency factor) and off a capped sector's discretionary
   lines (national contracts carry none).
4. **What is left** (the place's money less the committed and slippage lines) is the
   discretionary pool. The board's compromise divides it: the plan keeps last year's
   division (scaled to the pool: investment if the pool grew, disinvestment if it shrank)
   and moves a fraction ``pace x agreed`` of the way to the compromise, where ``agreed`` is
   what the board agreed (:func:`sim.model.plan.plan_decision`).

If the committed and slippage lines alone exceed the money, they are scaled down to it and
there is no discretionary money: a plan that cannot fund its contracts overspends.
The result is a proposal that still goes through the ring-fences
(:func:`sim.model.ring_fence.annual_plan`), with the lines as floors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.model.system import System
from sim.units.money import Pence, split

Floats = npt.NDArray[np.float64]
#: Discretionary share below which a sector has no discretionary line.
SHARE_EPS = 1e-9


@dataclass(frozen=True)
class Lines:
    """The lines of each budget that the ICB cannot move, pence, shape (R, P, S)."""

    committed: Pence
    slippage: Pence

    @property
    def floor(self) -> Pence:
        """Committed plus slippage lines: the least each budget can be planned at."""
        out: Pence = self.committed + self.slippage
        return out


def first_lines(plan: Pence, system: System) -> Lines:
    """The first year's lines: the sectors' committed and slippage shares of the plan."""
    committed = np.floor(plan * system.committed).astype(np.int64)
    slippage = np.minimum(np.floor(plan * system.slippage).astype(np.int64), plan - committed)
    return Lines(committed=committed, slippage=np.maximum(slippage, 0))


@dataclass(frozen=True)
class PlanningRound:
    """A year's proposal before the ring-fences."""

    #: Proposed budgets, pence (real), shape (R, P, S).
    proposal: Floats
    #: This year's committed and slippage lines (funded first), shape (R, P, S).
    lines: Lines
    #: The discretionary pool of each place, pence, shape (R, P) (may be negative).
    pool: Pence
    #: Last year's division of the pool (the status quo), pence (real), shape (R, P, S).
    status_quo: Floats
    #: Sectors with a discretionary line, which the board's plan may add to, shape (S,).
    movable: npt.NDArray[np.bool_]


def planning_round(
    system: System,
    *,
    prev_budget: Pence,
    prev_lines: Lines,
    outturn: Pence,
    totals: Pence,
    uplift: float,
    cost_improvement: float,
    line_uplift: Floats | None = None,
) -> PlanningRound:
    """The status quo of a year's plan: costs rolled forward, lines uplifted, the pool.

    Args:
        prev_budget: last year's recurrent budgets (plan plus recurrent transfers), (R, P, S).
        prev_lines: last year's committed and slippage lines, (R, P, S).
        outturn: last year's spending, pence, (R, P, S).
        totals: this year's money for sector budgets in each place, pence, (R, P).
        uplift: national uplift this year (fraction).
        cost_improvement: this year's cost-improvement target (fraction).
        line_uplift: each sector's uplift of its committed and slippage lines this year,
            shape (S,); the national ``uplift`` where not given.
    """
    up = 1.0 + uplift
    lines_up = (np.full(system.sectors, up) if line_uplift is None else 1.0 + line_uplift)[
        None, None, :
    ]
    capped = system.capped[None, None, :]
    activity = (1.0 + system.need_growth)[None, None, :]
    prev_floor = prev_lines.floor
    # A capped budget rolls forward at the price uplift, its contract lines at their own.
    capped_base = prev_budget * up + prev_floor * (lines_up - up)
    # Providers paid under the payment scheme carry the efficiency target on all their costs.
    base = np.where(capped, capped_base, outturn * up * activity * (1.0 - cost_improvement))
    committed = np.where(
        capped, np.rint(prev_lines.committed * lines_up), np.rint(base * system.committed)
    ).astype(np.int64)
    slippage = np.where(capped, np.rint(prev_lines.slippage * lines_up), 0).astype(np.int64)
    floor = committed + slippage
    need_floor = floor.sum(axis=2)
    short = need_floor > totals
    if np.any(short):
        # The contracts alone exceed the money: fund them pro rata and nothing else.
        scaled = split(np.where(short, totals, 0), floor.astype(np.float64))
        ratio = np.divide(scaled, floor, out=np.zeros_like(base), where=floor > 0)
        committed = np.where(short[:, :, None], np.floor(committed * ratio), committed)
        committed = committed.astype(np.int64)
        slippage = np.where(short[:, :, None], scaled - committed, slippage)
    lines = Lines(committed=committed, slippage=slippage)
    discretionary = np.maximum(0.0, base - committed - slippage) * np.where(
        capped, 1.0 - cost_improvement, 1.0
    )
    pool = totals - lines.floor.sum(axis=2)
    d_sum = discretionary.sum(axis=2, keepdims=True)
    positive = np.maximum(pool, 0)[:, :, None].astype(np.float64)
    status_quo = np.where(
        d_sum > 0,
        discretionary * positive / np.where(d_sum > 0, d_sum, 1.0),
        positive * system.shares[None, None, :],
    )
    return PlanningRound(
        proposal=lines.floor + status_quo,
        lines=lines,
        pool=pool,
        status_quo=status_quo,
        movable=system.discretionary > SHARE_EPS,
    )


def pool_target(round_: PlanningRound, totals: Pence, compromise: Floats) -> Floats:
    """The compromise's division of the discretionary pool, pence (real), (R, P, S).

    The compromise is a division of whole budgets; a sector's discretionary lines would get
    what its share of the money leaves after its fixed lines (at least nothing), scaled so
    that the pool is divided exactly. A sector whose budget is all committed and slippage
    lines (national contracts the ICB does not hold, e.g. dental services before their
    delegation) gets none of the pool.
    """
    wanted = np.maximum(0.0, totals[:, :, None] * compromise[None, None, :] - round_.lines.floor)
    # A budget of national contracts only (no discretionary line) is not the board's to add to.
    wanted = wanted * round_.movable[None, None, :]
    pool = np.maximum(round_.pool, 0)[:, :, None].astype(np.float64)
    total = wanted.sum(axis=2, keepdims=True)
    out: Floats = np.where(
        total > 0, wanted * pool / np.where(total > 0, total, 1.0), round_.status_quo
    )
    return out


def whole_shares(budgets: Floats) -> Floats:
    """Each replication's division of its money between sectors, summed over places, (R, S)."""
    by_sector = budgets.sum(axis=1)
    out: Floats = by_sector / np.maximum(by_sector.sum(axis=1, keepdims=True), 1.0)
    return out


def moved_plan(
    round_: PlanningRound, totals: Pence, compromise: Floats, pace: float, agreed: Floats
) -> Floats:
    """The proposal after the board moves ``pace x agreed`` of the way to its compromise.

    Args:
        totals: this year's money for sector budgets in each place, pence, (R, P).
        compromise: the board's division of whole budgets, shape (S,).
        agreed: how far the board agreed to move, 0 to 1, per replication, shape (R,).
    """
    target = pool_target(round_, totals, compromise)
    step = (pace * agreed)[:, None, None]
    disc = round_.status_quo + step * (target - round_.status_quo)
    out: Floats = round_.lines.floor + disc
    return out

"""What happens between plans: the recovery plan (the default in-year model), and what
both in-year models read of the engine.

The recovery plan and the board's vote on in-year transfers
(:mod:`sim.engine.board_vote`, the first version's model) act on the engine's state after
each month's spending and at board meetings; the rules themselves are pure functions in
:mod:`sim.model.recovery` and :mod:`sim.model.transfer`.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sim.engine.moves import Move
from sim.engine.outcomes import Outcomes
from sim.engine.results import PAUSE_REASONS, MeetingTable
from sim.model import ledger as accounts
from sim.model.board import CompiledBoard
from sim.model.ledger import Ledger
from sim.model.planning import Lines
from sim.model.recovery import forecast_deficit, pause_capacity, pauses
from sim.model.ring_fence import Rule, transfer_capacity
from sim.model.system import System
from sim.scenario.format import Scenario
from sim.units.money import Pence, split, sum_pence


class Engine(Protocol):
    """The engine state the in-year models read and change (:class:`sim.engine.simulation.Engine`)."""

    scenario: Scenario
    system: System
    board: CompiledBoard
    ledger: Ledger
    rules: list[Rule]
    active: list[bool]
    replications: npt.NDArray[np.int64]
    shape: tuple[int, int, int]
    budget_acc: npt.NDArray[np.int64]
    seated: npt.NDArray[np.bool_]
    attendance: npt.NDArray[np.bool_] | None
    committees: dict[int, npt.NDArray[np.int64]]
    council: dict[int, npt.NDArray[np.int64]]
    pooled: Pence
    allocation: Pence
    totals: Pence
    plan: Pence
    budget: Pence
    lines: Lines
    #: ``lines.floor`` (committed plus slippage lines) of this year's plan, (R, P, S).
    floor: Pence
    moved_out: Pence
    paused: Pence
    recurrent_net: Pence
    slipped: Pence
    slip_month: Pence
    director_paused: Pence
    pausable: npt.NDArray[np.bool_]
    pause_cols: slice | npt.NDArray[np.int64]
    secondary_cols: slice | npt.NDArray[np.int64]
    #: This year's plan of the secondary sectors, pence, (R,).
    sec_plan: Pence
    pause_rank: npt.NDArray[np.int64]
    #: What the run records (bindings, meetings, money moved by month, ...).
    outcomes: Outcomes

    def need_now(self, m: int) -> Pence: ...

    def pooled_hold(self, months_left: int) -> Pence: ...


Bools = npt.NDArray[np.bool_]
Rows = slice | npt.NDArray[np.int64]

#: Reasons in the journal for money paused by the recovery plan.
BY_DIRECTOR, BY_BOARD = PAUSE_REASONS


def pick_rows(rows: npt.NDArray[np.int64], r: int) -> Rows:
    return slice(None) if rows.size == r else rows


class Cells:
    """Flat positions of some sectors' budgets (``cols``) of any replications, in C-ordered
    arrays of shape (R, P, S), and in the rows of the ledger's balances (R, width), whose
    budget accounts start at ``BUDGET_BASE``.

    A gather by flat positions (``take``) is several times faster than an open-mesh index
    (``np.ix_``) of the same cells, and the same numbers.
    """

    def __init__(self, shape: tuple[int, int, int], cols: Rows, width: int) -> None:
        _, p, s = shape
        c = np.arange(s)[cols]
        self.offsets = (np.arange(p) * s)[:, None] + c[None, :]  # (P, S')
        self.ledger_offsets = self.offsets + accounts.BUDGET_BASE
        self.stride, self.width = p * s, width

    def of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Positions of the replications' cells, (n, P, S')."""
        out: npt.NDArray[np.int64] = rows[:, None, None] * self.stride + self.offsets
        return out

    def in_ledger(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Positions of the replications' cells in the ledger's balances, (n, P, S')."""
        out: npt.NDArray[np.int64] = rows[:, None, None] * self.width + self.ledger_offsets
        return out


def gather(a: Pence, cells: npt.NDArray[np.int64]) -> Pence:
    """The values of a C-ordered array at flat positions."""
    out: Pence = a.reshape(-1).take(cells)
    return out


def add_at(a: Pence, cells: npt.NDArray[np.int64], amount: Pence) -> None:
    """Add ``amount`` in place at distinct flat positions of a C-ordered array."""
    if not a.flags.c_contiguous:
        raise ValueError("add_at: the array must be C-ordered (its flat view is written)")
    flat = a.reshape(-1)
    flat[cells] += amount


def present_members(e: Engine, m: int, pick: Rows, n: int) -> Bools:
    """Members at month ``m``'s meeting in the picked replications: seated and not absent,
    shape (n, members)."""
    seated = e.seated[None, :]
    if e.attendance is None:
        out: Bools = np.repeat(seated, n, axis=0)
        return out
    out = e.board.attendance(e.attendance[pick, m]) & seated
    return out


class RecoveryPlan:
    """Monthly forecast outturn; pauses of discretionary lines when a deficit looms."""

    def __init__(self, engine: Engine) -> None:
        # A weak reference: the engine holds this model, and a cycle between them would
        # keep each chunk's arrays alive until the next cyclic garbage collection (with so
        # few Python objects, many chunks later: memory grew with the replications).
        self.e: Engine = weakref.proxy(engine)
        r = len(engine.replications)
        #: Pence still to find after the director's pauses, for the board, shape (R,).
        self.pending = np.zeros(r, dtype=np.int64)
        #: The forecast deficit after this month's spending, shape (R,).
        self.deficit = np.zeros(r, dtype=np.int64)
        #: Where the pausable budgets are (the only ones a pause reads or changes).
        self.cells = Cells(engine.shape, engine.pause_cols, engine.ledger.balances.shape[1])

    def after_spending(self, m: int, need: Pence, after: Pence) -> Bools:
        """Forecast the year end; the director pauses within delegated limits; return the
        replications where more is needed at once (an extraordinary meeting)."""
        e, rec = self.e, self.e.scenario.recovery
        t, n = m % 12, 11 - m % 12
        reserve = e.ledger.balances[:, accounts.RESERVE]
        underspend = e.slipped + e.slip_month * n  # slippage held until the year end
        self.deficit = forecast_deficit(after, need, n, e.system.capped, reserve, underspend)
        acting = (t >= rec.from_month - 1) & (self.deficit > np.floor(rec.threshold * e.allocation))
        self.pending[:] = 0
        if not acting.any():
            return np.zeros(len(e.replications), dtype=bool)
        needed = np.where(acting, self.deficit, 0)
        limit = np.floor(rec.delegated_limit * e.allocation).astype(np.int64)
        now = np.minimum(needed, np.maximum(0, limit - e.director_paused))
        done = np.zeros_like(now)
        rows = np.flatnonzero(now > 0)
        if rows.size:
            done[rows] = sum_pence(self._pause(m, rows, now[rows], BY_DIRECTOR))
        e.director_paused += done
        self.pending = needed - done
        threshold = e.scenario.pressure.extraordinary_threshold
        out: Bools = self.pending > threshold * np.maximum(e.sec_plan, 1)
        asking = np.flatnonzero(out)
        if asking.size:
            # An extraordinary meeting is called only where something can still be paused
            # (under the recovery plan's limit and the ring-fences).
            _, capped, _ = self._capacity(m, asking, self.cells.of(asking))
            out[asking] = sum_pence(capped, 2) > 0
        return out

    def _capacity(
        self, m: int, rows: npt.NDArray[np.int64], cells: npt.NDArray[np.int64]
    ) -> tuple[Pence, Pence, Pence]:
        """What each pausable budget could usefully pause now in the given replications:
        the recovery plan's own limit, and that capped by the ring-fences' in-year limits;
        with each rule's own limit, (n_rules, n, P, S'), on the pausable sectors ``S'``
        (``pause_cols``) only: the others can pause nothing. ``cells`` are the rows' cells
        (:meth:`Cells.of`)."""
        e = self.e
        r = e.shape[0]
        pick = pick_rows(rows, r)
        # Only pausable sectors can pause (the others' capacity is zero): the arithmetic
        # runs on their columns alone.
        c = e.pause_cols
        bal = gather(e.ledger.balances, self.cells.in_ledger(rows))
        months_left = 11 - m % 12
        lines = gather(e.floor, cells)
        slipped = gather(e.slipped, cells)
        held = slipped + gather(e.slip_month, cells) * months_left
        # Money the budget will not spend anyway this year (its need is below it).
        slack = np.maximum(0, bal - held - gather(e.need_now(m), cells) * months_left)
        cap = pause_capacity(
            bal,
            (lines * months_left) // 12 + slipped + e.pooled_hold(months_left)[:, c],
            np.maximum(0, gather(e.plan, cells) - lines),
            gather(e.paused, cells),
            e.scenario.recovery.max_pause,
            e.pausable[c],
            slack,
        )
        # The budgets now and the year's totals matter only to a minimum share in force.
        share = any(
            a and rule.rule == "min_share" for rule, a in zip(e.rules, e.active, strict=True)
        )
        limit, per_rule = transfer_capacity(
            e.rules,
            e.active,
            e.plan[pick],
            e.moved_out[pick],
            e.budget[pick] if share else None,
            e.totals[pick] if share else None,
            cols=c,
        )
        return cap, np.minimum(cap, limit), per_rule

    def _pause(self, m: int, rows: npt.NDArray[np.int64], amount: Pence, reason: str) -> Pence:
        """Pause up to ``amount`` pence in the given replications; return what was paused
        in each place, (n, P)."""
        e = self.e
        r, p, _ = e.shape
        pick = pick_rows(rows, r)
        if not amount.any():
            return np.zeros((rows.size, p), dtype=np.int64)
        cells = self.cells.of(rows)
        cap, capped, per_rule = self._capacity(m, rows, cells)
        # A rule binds when it stops a pause that the recovery plan could otherwise make.
        asked = (amount > 0)[:, None, None] & (cap > 0)
        for k in range(len(e.rules)):
            e.outcomes.bindings[rows, k] += ((per_rule[k] < cap) & asked).any(axis=(1, 2))
        # Pausable sectors only (the pause order ranks the others last, with nothing to
        # give): the same groups and splits as over every sector.
        c = e.pause_cols
        taken_c = pauses(amount, capped, e.pause_rank[c])
        # Booked from the pausable budgets only: the others give nothing (a zero amount is
        # no transfer, so the records are the same as over every budget; with no pausable
        # budget at all there is nothing to book).
        if taken_c.size:
            e.ledger.transfer(
                e.budget_acc[:, c].ravel(),
                np.full(taken_c[0].size, accounts.RESERVE),
                taken_c.reshape(rows.size, -1),
                m,
                False,
                reason,
                rows=None if rows.size == r else rows,
            )
        # Only the pausable sectors change (replications are distinct, so each cell is
        # updated once).
        add_at(e.budget, cells, -taken_c)
        for a in (e.moved_out, e.paused, e.outcomes.year_out[m // 12]):
            add_at(a, cells, taken_c)
        e.outcomes.moves.append(Move(m, rows, c, None, taken_c))
        out: Pence = sum_pence(taken_c)
        e.outcomes.year_paused[pick, m // 12] += sum_pence(out)
        return out

    def meeting(self, m: int, held: Bools, extraordinary: bool) -> None:
        """The board approves the rest of the recovery plan where it is needed."""
        e = self.e
        r, p, _ = e.shape
        rows = np.flatnonzero(held)
        n = rows.size
        pick = pick_rows(rows, r)
        present = present_members(e, m, pick, n)
        # Only a quorate board can approve pauses beyond the director's delegated limit.
        quorate = e.board.decide(present, e.seated).quorate
        asked_for = self.pending[pick].copy()
        pending = np.where(quorate, asked_for, 0)
        before = sum_pence(e.paused[pick])
        asked = np.flatnonzero(pending > 0)
        # What the board pauses now, per place (the paused money only grows by it).
        moved = np.zeros((n, p), dtype=np.int64)
        if asked.size:
            moved[asked] = self._pause(m, rows[asked], pending[asked], BY_BOARD)
            self.pending[rows[asked]] -= sum_pence(moved[asked])
        if extraordinary:
            e.outcomes.extraordinary[rows] += 1
        weights = np.maximum(moved, 0).astype(np.float64) + 1e-9
        proposal = split(asked_for, weights)
        # The board approves a recovery plan by consensus (guidance: consensus first); no
        # member is pivotal and nothing is put to a vote.
        e.outcomes.meetings.append(
            MeetingTable(
                replication=e.replications[rows],
                month=np.full(n, m, dtype=np.int64),
                extraordinary=np.full(n, extraordinary),
                proposal=proposal,
                cover=np.where(proposal > 0, moved / np.maximum(proposal, 1), 1.0),
                support_before=before,
                pivot=np.full((n, p), -1, dtype=np.int64),
                quorate=np.repeat(quorate[:, None], p, axis=1),
                consensus=np.repeat(quorate[:, None], p, axis=1),
                present=present,
                consent=np.zeros((n, p), dtype=bool),
                pooled_held=np.zeros((n, p), dtype=bool),
                bound=np.zeros((n, len(e.rules)), dtype=bool),
                moved=moved,
            )
        )

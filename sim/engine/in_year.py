"""What happens between plans: the recovery plan (the default) or the board's vote on
in-year transfers (the first version's model, kept as an alternative).

Both act on the engine's state after each month's spending and at board meetings; the rules
themselves are pure functions in :mod:`sim.model.recovery` and :mod:`sim.model.transfer`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sim.engine.results import PAUSE_REASONS, MeetingTable
from sim.model import ledger as accounts
from sim.model.board import CompiledBoard
from sim.model.delegation import pooled_consent
from sim.model.ledger import Ledger
from sim.model.planning import Lines
from sim.model.recovery import forecast_deficit, pause_capacity, pauses
from sim.model.ring_fence import Rule, transfer_capacity
from sim.model.system import System
from sim.model.transfer import in_year_transfer
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
    moved_out: Pence
    paused: Pence
    recurrent_net: Pence
    slipped: Pence
    slip_month: Pence
    director_paused: Pence
    pausable: npt.NDArray[np.bool_]
    pause_cols: slice | npt.NDArray[np.int64]
    secondary_cols: slice | npt.NDArray[np.int64]
    pause_rank: npt.NDArray[np.int64]
    bindings: npt.NDArray[np.int64]
    extraordinary: npt.NDArray[np.int64]
    year_in: Pence
    year_out: Pence
    year_paused: Pence
    meetings: list[MeetingTable]

    def need_now(self, m: int) -> Pence: ...

    def pooled_hold(self, months_left: int) -> Pence: ...


Bools = npt.NDArray[np.bool_]
Rows = slice | npt.NDArray[np.int64]

#: Reasons in the journal for money paused by the recovery plan.
BY_DIRECTOR, BY_BOARD = PAUSE_REASONS


def _pick(rows: npt.NDArray[np.int64], r: int) -> Rows:
    return slice(None) if rows.size == r else rows


def _cells(pick: Rows, places: int, cols: Rows) -> tuple[Any, ...]:
    """Index of the picked replications' budgets in the given sectors, (n, P, S'): one
    gather (or a view) rather than picking rows and then columns."""
    if isinstance(pick, slice):
        return (pick, slice(None), cols)
    c = np.arange(cols.start, cols.stop) if isinstance(cols, slice) else cols
    return np.ix_(pick, np.arange(places), c)


def _present(e: Engine, m: int, pick: Rows, n: int) -> Bools:
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
        self.e = engine
        r = len(engine.replications)
        #: Pence still to find after the director's pauses, for the board, shape (R,).
        self.pending = np.zeros(r, dtype=np.int64)
        #: The forecast deficit after this month's spending, shape (R,).
        self.deficit = np.zeros(r, dtype=np.int64)

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
            done[rows] = self._pause(m, rows, now[rows], BY_DIRECTOR)
        e.director_paused += done
        self.pending = needed - done
        sec_plan = sum_pence(e.plan[:, :, e.secondary_cols], 2)
        threshold = e.scenario.pressure.extraordinary_threshold
        out: Bools = self.pending > threshold * np.maximum(sec_plan, 1)
        asking = np.flatnonzero(out)
        if asking.size:
            # An extraordinary meeting is called only where something can still be paused
            # (under the recovery plan's limit and the ring-fences).
            _, capped, _ = self._capacity(m, asking)
            out[asking] = sum_pence(capped, 2) > 0
        return out

    def _capacity(self, m: int, rows: npt.NDArray[np.int64]) -> tuple[Pence, Pence, Pence]:
        """What each pausable budget could usefully pause now in the given replications:
        the recovery plan's own limit, and that capped by the ring-fences' in-year limits;
        with each rule's own limit, (n_rules, n, P, S'), on the pausable sectors ``S'``
        (``pause_cols``) only: the others can pause nothing."""
        e = self.e
        r, p, _ = e.shape
        pick = _pick(rows, r)
        # Only pausable sectors can pause (the others' capacity is zero): the arithmetic
        # runs on their columns alone.
        c = e.pause_cols
        cells = _cells(pick, p, c)
        bal = e.ledger.budget_view()[cells]
        months_left = 11 - m % 12
        lines = e.lines.floor[cells]
        slipped = e.slipped[cells]
        held = slipped + e.slip_month[cells] * months_left
        # Money the budget will not spend anyway this year (its need is below it).
        slack = np.maximum(0, bal - held - e.need_now(m)[cells] * months_left)
        cap = pause_capacity(
            bal,
            (lines * months_left) // 12 + slipped + e.pooled_hold(months_left)[:, c],
            np.maximum(0, e.plan[cells] - lines),
            e.paused[cells],
            e.scenario.recovery.max_pause,
            e.pausable[c],
            slack,
        )
        limit, per_rule = transfer_capacity(
            e.rules,
            e.active,
            e.plan[pick],
            e.moved_out[pick],
            e.budget[pick],
            e.totals[pick],
            cols=c,
        )
        return cap, np.minimum(cap, limit), per_rule

    def _pause(self, m: int, rows: npt.NDArray[np.int64], amount: Pence, reason: str) -> Pence:
        """Pause up to ``amount`` pence in the given replications; return what was paused."""
        e = self.e
        r, p, s = e.shape
        pick = _pick(rows, r)
        if not amount.any():
            return np.zeros(rows.size, dtype=np.int64)
        cap, capped, per_rule = self._capacity(m, rows)
        # A rule binds when it stops a pause that the recovery plan could otherwise make.
        asked = (amount > 0)[:, None, None] & (cap > 0)
        for k in range(len(e.rules)):
            e.bindings[rows, k] += ((per_rule[k] < cap) & asked).any(axis=(1, 2))
        # Pausable sectors only (the pause order ranks the others last, with nothing to
        # give): the same groups and splits as over every sector.
        c = e.pause_cols
        taken_c = pauses(amount, capped, e.pause_rank[c])
        taken = np.zeros((rows.size, p, s), dtype=np.int64)
        taken[:, :, c] = taken_c
        e.ledger.transfer(
            e.budget_acc.ravel(),
            np.full(p * s, accounts.RESERVE),
            taken.reshape(rows.size, -1),
            m,
            False,
            reason,
            rows=None if rows.size == r else rows,
        )
        # Only the pausable sectors change (replications are distinct, so each cell is
        # updated once).
        cells = _cells(pick, p, c)
        e.budget[cells] -= taken_c
        e.moved_out[cells] += taken_c
        e.paused[cells] += taken_c
        e.year_out[m // 12][cells] += taken_c
        out: Pence = sum_pence(taken, 2)
        e.year_paused[pick, m // 12] += out
        return out

    def meeting(self, m: int, held: Bools, extraordinary: bool) -> None:
        """The board approves the rest of the recovery plan where it is needed."""
        e = self.e
        r, p, _ = e.shape
        rows = np.flatnonzero(held)
        n = rows.size
        pick = _pick(rows, r)
        present = _present(e, m, pick, n)
        # Only a quorate board can approve pauses beyond the director's delegated limit.
        quorate = e.board.decide(present, e.seated).quorate
        asked_for = self.pending[pick].copy()
        pending = np.where(quorate, asked_for, 0)
        before = sum_pence(e.paused[pick])
        asked = np.flatnonzero(pending > 0)
        if asked.size:
            self.pending[rows[asked]] -= self._pause(m, rows[asked], pending[asked], BY_BOARD)
        moved = sum_pence(e.paused[pick]) - before
        if extraordinary:
            e.extraordinary[rows] += 1
        weights = np.maximum(moved, 0).astype(np.float64) + 1e-9
        proposal = split(asked_for, weights)
        # The board approves a recovery plan by consensus (guidance: consensus first); no
        # member is pivotal and nothing is put to a vote.
        e.meetings.append(
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


class BoardVote:
    """The first version's in-year model: the board votes transfers to secondary care."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        r, p = len(engine.replications), engine.system.places
        self.forecast = np.zeros((r, p), dtype=np.int64)
        self.support = np.zeros((r, p), dtype=np.int64)

    def after_spending(self, m: int, need: Pence, after: Pence) -> Bools:
        """Secondary care's underlying forecast overspend; return the pressured replications."""
        e = self.e
        left = 12 - m % 12
        # Underlying forecast: secondary care's year-end overspend at this month's run rate,
        # before this year's in-year support (as finance reports show it before mitigations).
        support = e.budget - e.plan
        run_rate = need * (left - 1) - (after - support)
        sec = e.secondary_cols
        self.forecast = np.maximum(0, sum_pence(run_rate[:, :, sec]))
        self.support = sum_pence(support[:, :, sec])
        sec_plan = sum_pence(e.plan[:, :, sec])
        ratio = self.forecast / np.maximum(sec_plan, 1)
        out: Bools = np.asarray((ratio > e.scenario.pressure.extraordinary_threshold).any(axis=1))
        return out

    def meeting(self, m: int, held: Bools, extraordinary: bool) -> None:
        """Decide the in-year transfer where the meeting is held.

        A delegated place's support is decided by the members who represent it; pooled
        money moves only with the consent of the place's local-authority partner.
        """
        e = self.e
        r, p, _ = e.shape
        rows = np.flatnonzero(held)
        pick = _pick(rows, r)
        n = rows.size
        present = _present(e, m, pick, n)
        decision = e.board.decide(present, e.seated)
        cover = np.repeat(decision.cover[:, None], p, axis=1)
        pivot = np.repeat(decision.pivot[:, None], p, axis=1)
        quorate = np.repeat(decision.quorate[:, None], p, axis=1)
        consensus = np.repeat(decision.consensus[:, None], p, axis=1)
        for place, members in e.committees.items():
            local = e.board.subset(members).decide(present[:, members], e.seated[members])
            cover[:, place] = local.cover
            pivot[:, place] = np.where(local.pivot >= 0, members[np.maximum(local.pivot, 0)], -1)
            quorate[:, place] = local.quorate
            consensus[:, place] = local.consensus
        # The board agrees this year's total support as a fraction of the underlying forecast;
        # what it moves now is that total less the support already given this year.
        proposal = self.forecast[pick]
        agreed = np.floor(cover * proposal).astype(np.int64)
        wanted = np.maximum(0, agreed - self.support[pick])
        consent, hold = pooled_consent(
            e.council, present, e.board.stance, cover, e.pooled, 11 - m % 12
        )
        moving = np.flatnonzero(wanted.any(axis=1))
        moved = np.zeros((n, p), dtype=np.int64)
        bound = np.zeros((n, len(e.rules)), dtype=bool)
        if moving.size:
            moved[moving], bound[moving] = self._transfer(
                m, rows[moving], wanted[moving], hold[moving] if e.council else hold, extraordinary
            )
        if extraordinary:
            e.extraordinary[rows] += 1
        e.meetings.append(
            MeetingTable(
                replication=e.replications[rows],
                month=np.full(n, m, dtype=np.int64),
                extraordinary=np.full(n, extraordinary),
                proposal=proposal.copy(),
                cover=cover,
                support_before=self.support[pick].copy(),
                pivot=pivot,
                quorate=quorate,
                consensus=consensus,
                present=present,
                consent=consent,
                pooled_held=(hold.sum(axis=2) > 0) & ~consent & (moved < wanted) & quorate,
                bound=bound,
                moved=moved,
            )
        )

    def _transfer(
        self,
        m: int,
        rows: npt.NDArray[np.int64],
        wanted: Pence,
        hold: Pence,
        extraordinary: bool,
    ) -> tuple[Pence, Bools]:
        """Move up to ``wanted`` pence per place to secondary care in the given replications
        and book it; return the pence moved per place and which ring-fences bound."""
        e = self.e
        led = e.ledger
        r, p, s = e.shape
        pick = _pick(rows, r)
        n = rows.size
        t = in_year_transfer(
            e.system,
            e.rules,
            e.active,
            balances=led.budget_balances()[pick],
            plan=e.plan[pick],
            moved_out=e.moved_out[pick],
            need=e.need_now(m)[pick],
            months_left=11 - m % 12,
            wanted=wanted,
            # Committed and slippage lines still to be paid, and slippage held, never move.
            hold=hold + (e.lines.floor[pick] * (11 - m % 12)) // 12 + e.slipped[pick],
            recurrent_share=e.scenario.board.recurrent_share,
            budget=e.budget[pick],
            total=e.totals[pick],
            fixed=e.lines.floor[pick],
        )
        if e.rules:
            e.bindings[rows] += t.bound
        moved = np.zeros((n, p), dtype=np.int64)
        if t.flows.size:
            donors, recips = t.donors, t.recipients
            src = e.budget_acc[:, donors][:, :, None].repeat(recips.size, axis=2).ravel()
            dst = e.budget_acc[:, recips][:, None, :].repeat(donors.size, axis=1).ravel()
            label = "extraordinary board meeting" if extraordinary else "board meeting"
            for part, is_recurrent in ((t.recurrent, True), (t.flows - t.recurrent, False)):
                led.transfer(
                    src,
                    dst,
                    part.reshape(n, -1),
                    m,
                    is_recurrent,
                    f"{label}: in-year transfer",
                    rows=None if rows.size == r else rows,
                )
            out, inn = t.out_of((n, p, s)), t.into((n, p, s))
            # The non-recurrent part helped this year only: the underlying position adds it back.
            e.year_paused[pick, m // 12] += (t.flows - t.recurrent).sum(axis=(1, 2, 3))
            e.budget[pick] += inn - out
            e.moved_out[pick] += out
            e.recurrent_net[pick] += t.recurrent_net((n, p, s))
            e.year_in[m // 12][pick] += inn
            e.year_out[m // 12][pick] += out
            moved = out.sum(axis=2)
        return moved, t.bound

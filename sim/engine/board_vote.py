"""The first version's in-year model, kept as an alternative to the recovery plan: the board
votes transfers to secondary care at its meetings (:mod:`sim.model.transfer`).
"""

from __future__ import annotations

import weakref

import numpy as np
import numpy.typing as npt

from sim.engine.in_year import Bools, Engine, pick_rows, present_members
from sim.engine.moves import Move
from sim.engine.results import MeetingTable
from sim.model.delegation import pooled_consent
from sim.model.transfer import in_year_transfer
from sim.units.money import Pence, sum_pence


class BoardVote:
    """The first version's in-year model: the board votes transfers to secondary care."""

    def __init__(self, engine: Engine) -> None:
        # A weak reference: the engine holds this model, and a cycle between them would
        # keep each chunk's arrays alive until the next cyclic garbage collection (with so
        # few Python objects, many chunks later: memory grew with the replications).
        self.e: Engine = weakref.proxy(engine)
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
        ratio = self.forecast / np.maximum(sum_pence(e.plan[:, :, sec]), 1)
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
        pick = pick_rows(rows, r)
        n = rows.size
        present = present_members(e, m, pick, n)
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
            e.outcomes.extraordinary[rows] += 1
        e.outcomes.meetings.append(
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
        pick = pick_rows(rows, r)
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
            hold=hold + (e.floor[pick] * (11 - m % 12)) // 12 + e.slipped[pick],
            recurrent_share=e.scenario.board.recurrent_share,
            budget=e.budget[pick],
            total=e.totals[pick],
            fixed=e.floor[pick],
        )
        if e.rules:
            e.outcomes.bindings[rows] += t.bound
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
            e.outcomes.year_paused[pick, m // 12] += (t.flows - t.recurrent).sum(axis=(1, 2, 3))
            e.budget[pick] += inn - out
            e.moved_out[pick] += out
            e.recurrent_net[pick] += t.recurrent_net((n, p, s))
            e.outcomes.year_in[m // 12][pick] += inn
            e.outcomes.year_out[m // 12][pick] += out
            e.outcomes.moves.append(Move(m, rows, slice(None), inn, out))
            moved = out.sum(axis=2)
        return moved, t.bound

"""The engine: what happens at each event of the calendar, for every replication at once.

SimPy drives the calendar (:mod:`sim.engine.schedule`); numpy arrays hold every replication,
and the model's rules (:mod:`sim.model`) decide each step. Differences between replications
(a shock, an extraordinary meeting) are masks. The ledger checks conservation after every
event.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.engine.results import MeetingTable, Results
from sim.engine.schedule import Change, Progress, dated_changes, run_calendar
from sim.model import ledger as accounts
from sim.model.board import attendance, compile_board
from sim.model.delegation import place_governance, pooled_consent
from sim.model.ledger import Ledger
from sim.model.need import simulate_environment
from sim.model.plan import compromise, plan_proposal
from sim.model.power import VotingPower, board_power
from sim.model.ring_fence import PlanHistory, annual_plan, compile_rules
from sim.model.spill_over import spill_in, spill_weights
from sim.model.system import compile_system
from sim.model.transfer import in_year_transfer
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import Pence, split


class Engine:
    """One simulation of a scenario over a set of replication indices."""

    def __init__(
        self,
        scenario: Scenario,
        replications: npt.NDArray[np.int64],
        check: bool = True,
        progress: Progress | None = None,
    ) -> None:
        self.scenario = scenario
        self.system = compile_system(scenario)
        self.rules = compile_rules(scenario, self.system)
        self.board = compile_board(
            scenario.board, Calendar(scenario.start_year, scenario.horizon_years)
        )
        self.replications = np.asarray(replications, dtype=np.int64)
        self.check_conservation = check
        self.progress = progress
        sys_ = self.system
        r, p, s = len(self.replications), sys_.places, sys_.sectors
        m, y = sys_.calendar.months, scenario.horizon_years
        self.shape = (r, p, s)
        environment = simulate_environment(scenario, sys_, self.replications)
        # Month-major (M, R, P, S) storage: each month's values are one contiguous block.
        # Need starts as need before spill-over; each month adds its spill-over in place.
        self._need = environment.need
        self.growth = environment.growth
        self._spend = np.empty_like(self._need)
        self._spill_total = np.zeros((m, r, p), dtype=np.float64)
        self.extraordinary = np.zeros(r, dtype=np.int64)
        self.attendance = (
            attendance(scenario.seed, self.replications, m, scenario.board.absence_probability)
            if scenario.board.absence_probability > 0
            else None
        )
        self.ledger = Ledger.for_system(self.replications, sys_.place_names, sys_.sector_names)
        self.budget_acc = self.ledger.budget_accounts()
        self.spend_acc = self.ledger.spend_accounts()
        zeros = np.zeros(self.shape, dtype=np.int64)
        self.plan = zeros.copy()
        self.budget = zeros.copy()
        self.recurrent_net = zeros.copy()
        self.moved_out = zeros.copy()
        self.allocation = np.zeros(r, dtype=np.int64)
        self.history = PlanHistory(None, None, None, 1.0)
        self.forecast = np.zeros((r, p), dtype=np.int64)
        self.support = np.zeros((r, p), dtype=np.int64)
        lag = scenario.spill_over.lag_months
        self.spill_queue = np.zeros((r, lag, p), dtype=np.float64)
        self.spill_weights = spill_weights(sys_)
        self.active = [rule.active(0) for rule in self.rules]
        self.seated = self.board.seated(0).copy()
        n = len(self.rules)
        self.plans = np.zeros((r, y, p, s), dtype=np.int64)
        self.year_in = np.zeros((y, r, p, s), dtype=np.int64)
        self.year_out = np.zeros((y, r, p, s), dtype=np.int64)
        self.system_series = {
            k: np.zeros((r, m), dtype=np.int64) for k in ("reserve", "deficit", "allocated")
        }
        self.year_end_balance = np.zeros((r, y, p, s), dtype=np.int64)
        self.bindings = np.zeros((r, n), dtype=np.int64)
        self.shortfalls = np.zeros((r, n), dtype=np.int64)
        self.meetings: list[MeetingTable] = []
        self.plan_shares: list[tuple[int, npt.NDArray[np.float64]]] = []
        # Voting power of each composition the board has over the horizon (exact, cached).
        self.compositions: list[tuple[int, VotingPower]] = []
        self._note_composition(0)
        self.committees, self.council, self.pooled = place_governance(
            scenario, sys_, self.board.places, self.board.constituencies
        )
        self.policy_log: list[tuple[int, str, str]] = []

    # -- calendar -----------------------------------------------------------------------------
    def run(self) -> Results:
        """Run the calendar to the horizon (:func:`sim.engine.schedule.run_calendar`) and
        return the results."""
        sc = self.scenario
        run_calendar(
            self,
            sc.horizon_years,
            sc.board.meeting_interval_months,
            dated_changes(self.rules, self.board, self.system.calendar.months),
            len(self.replications),
            self.progress,
        )
        return self._results()

    def policy_change(self, change: Change) -> None:
        """A ring-fence starts or expires, or a member joins or leaves the board."""
        month, what, k, on = change
        if what == "rule":
            self.active[k] = on
            self.policy_log.append((month, self.rules[k].name, "starts" if on else "expires"))
        else:
            self.seated[k] = on
            self.policy_log.append((month, self.board.names[k], "joins" if on else "leaves"))
            self._note_composition(month)

    def _note_composition(self, month: int) -> None:
        """Record the voting power of the board now seated (one entry per month of change)."""
        power = board_power(self.board.subset(np.flatnonzero(self.seated)))
        if self.compositions and self.compositions[-1][0] == month:
            self.compositions[-1] = (month, power)
        else:
            self.compositions.append((month, power))

    # -- events -------------------------------------------------------------------------------
    def _checked(self, month: int, event: str) -> None:
        if self.check_conservation:
            self.ledger.check(month, event)

    def year_start(self, y: int) -> None:
        """Receive the allocation, top up the reserve, and plan the year's budgets."""
        sc, sys_, led = self.scenario, self.system, self.ledger
        month = 12 * y
        if y == 0:
            self.allocation = np.full(
                len(self.replications), sys_.initial_allocation, dtype=np.int64
            )
        else:
            self.allocation = np.rint(self.allocation * self.growth[:, y]).astype(np.int64)
        led.receive(self.allocation, month, "allocation from NHS England")
        target = np.floor(sc.allocation.contingency_share * self.allocation).astype(np.int64)
        topup = np.clip(target - led.balances[:, accounts.RESERVE], 0, self.allocation)
        led.transfer(
            accounts.SOURCE, accounts.RESERVE, topup, month, True, "contingency reserve top-up"
        )
        money = self.allocation - topup
        weights = np.broadcast_to(sys_.place_shares[y], (len(money), sys_.places))
        totals = split(money, weights)
        if self.history.prev_plan is None:
            proposal: npt.NDArray[np.float64] = totals[:, :, None] * sys_.shares[None, None, :]
        else:
            shares = compromise(self.board, self.seated, sc, sys_, month)
            self.plan_shares.append((month, shares))
            proposal = plan_proposal(self.plan + self.recurrent_net, totals, shares)
        plan = annual_plan(self.rules, self.active, proposal, totals, self.history)
        led.transfer(
            accounts.SOURCE,
            self.budget_acc.ravel(),
            plan.budgets.reshape(len(money), -1),
            month,
            True,
            "annual plan",
        )
        self.bindings += plan.bound
        self.shortfalls += plan.shortfall
        self.plan = plan.budgets
        self.plans[:, y] = plan.budgets
        self.budget = plan.budgets.copy()
        self.recurrent_net[:] = 0
        self.moved_out[:] = 0
        base = self.history.base_plan if self.history.base_plan is not None else plan.budgets
        self.history = PlanHistory(
            plan.budgets, totals, base, (1.0 + sc.allocation.inflation) ** (y + 1)
        )
        self._checked(month, "year start")

    def month(self, m: int) -> npt.NDArray[np.bool_]:
        """Need arises and is spent; return the replications under extraordinary pressure."""
        sys_, led = self.system, self.ledger
        lag = self.scenario.spill_over.lag_months
        left = 12 - m % 12
        slot = m % lag
        self._spill_total[m] = self.spill_queue[:, slot]
        need = self._need[m]
        need += spill_in(self.spill_queue[:, slot], self.spill_weights)
        bal = led.budget_balances()
        allowance = np.maximum(bal, 0) // left
        spend = self._spend[m]
        np.copyto(spend, np.where(sys_.capped[None, None, :], np.minimum(need, allowance), need))
        r = len(self.replications)
        led.transfer(
            self.budget_acc.ravel(),
            self.spend_acc.ravel(),
            spend.reshape(r, -1),
            m,
            False,
            "spending",
        )
        unmet = need - spend
        spilled = self.scenario.spill_over.elasticity * (unmet * sys_.spill_from).sum(axis=2)
        self.spill_queue[:, slot] = spilled
        after = bal - spend
        # Underlying forecast: secondary care's year-end overspend at this month's run rate,
        # before this year's in-year support (as finance reports show it before mitigations).
        support = self.budget - self.plan
        run_rate = need * (left - 1) - (after - support)
        self.forecast = np.maximum(0, (run_rate * sys_.secondary).sum(axis=2))
        self.support = (support * sys_.secondary).sum(axis=2)
        sec_plan = (self.plan * sys_.secondary).sum(axis=2)
        ratio = self.forecast / np.maximum(sec_plan, 1)
        self._checked(m, "month")
        pressured: npt.NDArray[np.bool_] = (
            ratio > self.scenario.pressure.extraordinary_threshold
        ).any(axis=1)
        return pressured

    def meeting(self, m: int, held: npt.NDArray[np.bool_], extraordinary: bool) -> None:
        """The board decides an in-year transfer to secondary care where the meeting is held.

        Only the replications holding the meeting are computed (an extraordinary meeting is
        usually held in a few); the others see no transfer. A delegated place's support is
        decided by the members who represent it; pooled money moves only with the consent of
        the place's local-authority partner.
        """
        r, p, _ = self.shape
        rows = np.flatnonzero(held)
        everyone = rows.size == r
        pick: slice | npt.NDArray[np.int64] = slice(None) if everyone else rows
        n = rows.size
        seated = self.seated[None, :]
        present = (
            self.board.attendance(self.attendance[pick, m]) & seated
            if self.attendance is not None
            else np.repeat(seated, n, axis=0)
        )
        decision = self.board.decide(present, self.seated)
        cover = np.repeat(decision.cover[:, None], p, axis=1)
        pivot = np.repeat(decision.pivot[:, None], p, axis=1)
        quorate = np.repeat(decision.quorate[:, None], p, axis=1)
        consensus = np.repeat(decision.consensus[:, None], p, axis=1)
        for place, members in self.committees.items():
            local = self.board.subset(members).decide(present[:, members], self.seated[members])
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
            self.council, present, self.board.stance, cover, self.pooled, 11 - m % 12
        )
        moving = np.flatnonzero(wanted.any(axis=1))
        moved = np.zeros((n, p), dtype=np.int64)
        bound = np.zeros((n, len(self.rules)), dtype=bool)
        if moving.size:
            moved[moving], bound[moving] = self._transfer(
                m,
                rows[moving],
                wanted[moving],
                hold[moving] if self.council else hold,
                extraordinary,
            )
        if extraordinary:
            self.extraordinary[rows] += 1
        self.meetings.append(
            MeetingTable(
                replication=self.replications[rows],
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
        self._checked(m, "board meeting")

    def _transfer(
        self,
        m: int,
        rows: npt.NDArray[np.int64],
        wanted: Pence,
        hold: Pence,
        extraordinary: bool,
    ) -> tuple[Pence, npt.NDArray[np.bool_]]:
        """Move up to ``wanted`` pence per place to secondary care in the given replications
        (:func:`sim.model.transfer.in_year_transfer`) and book it.

        ``hold`` is money in each budget that may not move (pooled money without consent).
        Returns the pence moved in each place, shape (len(rows), P), and which ring-fences
        bound, shape (len(rows), n_rules).
        """
        led = self.ledger
        r, p, s = self.shape
        everyone = rows.size == r
        pick: slice | npt.NDArray[np.int64] = slice(None) if everyone else rows
        n = rows.size
        t = in_year_transfer(
            self.system,
            self.rules,
            self.active,
            balances=led.budget_balances()[pick],
            plan=self.plan[pick],
            moved_out=self.moved_out[pick],
            need=self._need[m][pick],
            months_left=11 - m % 12,
            wanted=wanted,
            hold=hold,
            recurrent_share=self.scenario.board.recurrent_share,
        )
        if self.rules:
            self.bindings[rows] += t.bound
        moved = np.zeros((n, p), dtype=np.int64)
        if t.flows.size:
            donors, recips = t.donors, t.recipients
            src = self.budget_acc[:, donors][:, :, None].repeat(recips.size, axis=2).ravel()
            dst = self.budget_acc[:, recips][:, None, :].repeat(donors.size, axis=1).ravel()
            label = "extraordinary board meeting" if extraordinary else "board meeting"
            for part, is_recurrent in ((t.recurrent, True), (t.flows - t.recurrent, False)):
                led.transfer(
                    src,
                    dst,
                    part.reshape(n, -1),
                    m,
                    is_recurrent,
                    f"{label}: in-year transfer",
                    rows=None if everyone else rows,
                )
            out, inn = t.out_of((n, p, s)), t.into((n, p, s))
            self.budget[pick] += inn - out
            self.moved_out[pick] += out
            self.recurrent_net[pick] += t.recurrent_net((n, p, s))
            self.year_in[m // 12][pick] += inn
            self.year_out[m // 12][pick] += out
            moved = out.sum(axis=2)
        return moved, t.bound

    def record(self, m: int) -> None:
        """Month-end balances of the system accounts (flows are stored as they happen)."""
        bal = self.ledger.balances
        self.system_series["reserve"][:, m] = bal[:, accounts.RESERVE]
        self.system_series["deficit"][:, m] = bal[:, accounts.DEFICIT]
        self.system_series["allocated"][:, m] = self.ledger.allocated

    def year_end(self, y: int) -> None:
        """Close the books (:meth:`sim.model.ledger.Ledger.close_year`)."""
        month = 12 * y + 11
        self.year_end_balance[:, y] = self.ledger.close_year(month)
        self._checked(month, "year end")

    def _results(self) -> Results:
        sys_ = self.system
        return Results(
            scenario=self.scenario,
            replications=self.replications,
            place_names=sys_.place_names,
            sector_names=sys_.sector_names,
            sector_kinds=sys_.sector_kinds,
            rule_names=tuple(rule.name for rule in self.rules),
            account_names=tuple(self.ledger.account_names),
            flows={
                "need": self._need.transpose(1, 0, 2, 3),
                "spend": self._spend.transpose(1, 0, 2, 3),
            },
            plans=self.plans,
            year_transfers_in=self.year_in.transpose(1, 0, 2, 3),
            year_transfers_out=self.year_out.transpose(1, 0, 2, 3),
            system_series=self.system_series,
            year_end_balance=self.year_end_balance,
            bindings=self.bindings,
            shortfalls=self.shortfalls,
            spill_total=self._spill_total.transpose(1, 0, 2),
            extraordinary_meetings=self.extraordinary,
            meeting_parts=self.meetings
            or [MeetingTable.empty(sys_.places, self.board.size, len(self.rules))],
            journals=[(self.ledger.journal, self.replications)],
            policy_log=self.policy_log,
            compositions=self.compositions,
            plan_compromise=self.plan_shares,
        )

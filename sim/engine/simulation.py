"""The discrete-event engine: SimPy drives the calendar, numpy arrays hold every replication.

Time is counted in ticks, ``TICKS`` per month, so that events in the same month happen in a
fixed order: dated policy changes, the year start (allocation and annual plan), the month
(need arises, money is spent, spill-over is queued, pressure is measured), board meetings,
the year end (in March), and the month-end record. Every event acts on all replications at once;
differences between replications (a shock, an extraordinary meeting) are masks.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from sim.engine.results import MeetingTable, Results
from sim.model import ledger as accounts
from sim.model.board import ATTENDANCE_WIDTH, compile_board
from sim.model.ledger import Ledger
from sim.model.need import simulate_environment
from sim.model.plan import compromise, plan_proposal
from sim.model.power import VotingPower, board_power
from sim.model.projection import allocate
from sim.model.randomness import ATTENDANCE, uniform_block
from sim.model.ring_fence import PlanHistory, annual_plan, compile_rules, transfer_capacity
from sim.model.spill_over import spill_in, spill_weights
from sim.model.system import compile_system
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import Pence, pounds_m_to_pence, split

TICKS = 10
POLICY, YEAR_START, MONTH, MEETING, YEAR_END, RECORD = 0, 1, 2, 5, 8, 9

Progress = Callable[[int, int], None]


def attendance(
    seed: int, replications: npt.NDArray[np.int64], months: int, absence: float
) -> npt.NDArray[np.bool_]:
    """Who could attend each month, shape (R, M, ATTENDANCE_WIDTH), from the attendance stream.

    Drawn in chunks of replications and kept as booleans, so memory stays small.
    """
    out = np.empty((len(replications), months, ATTENDANCE_WIDTH), dtype=bool)
    chunk = max(1, (1 << 20) // (months * ATTENDANCE_WIDTH))
    for lo in range(0, len(replications), chunk):
        reps = replications[lo : lo + chunk]
        u = uniform_block(seed, reps, ATTENDANCE, (months, ATTENDANCE_WIDTH))
        out[lo : lo + len(reps)] = u >= absence
    return out


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
        # Delegated places: the members who represent each one decide its in-year support.
        members_of = {
            i: np.flatnonzero(np.array([pl == name for pl in self.board.places]))
            for i, name in enumerate(sys_.place_names)
        }
        self.committees = {i: members_of[i] for i, pl in enumerate(scenario.places) if pl.delegated}
        # Local-authority partners whose consent moves each place's pooled money.
        la = np.array([c == "local_authority" for c in self.board.constituencies])
        unplaced = np.array([pl == "" for pl in self.board.places])
        self.council = {
            i: np.flatnonzero(la & (unplaced | np.isin(np.arange(self.board.size), members_of[i])))
            for i, pl in enumerate(scenario.places)
            if pl.pooled_gbp_m > 0
        }
        # Pooled money per place and sector (pence a year), held in the community budgets.
        community = sys_.shares * np.array([k == "community" for k in sys_.sector_kinds])
        community = community / community.sum() if community.sum() > 0 else community
        pooled = np.array([pounds_m_to_pence(pl.pooled_gbp_m) for pl in scenario.places])
        self.pooled = np.floor(pooled[:, None] * community[None, :]).astype(np.int64)
        self.policy_log: list[tuple[int, str, str]] = []

    # -- calendar -----------------------------------------------------------------------------
    def run(self) -> Results:
        """Run the calendar to the horizon and return the results."""
        env = simpy.Environment()
        env.process(self._policy(env))
        env.process(self._years(env))
        env.process(self._months(env))
        env.process(self._scheduled_meetings(env))
        env.run()
        return self._results()

    @staticmethod
    def _at(env: simpy.Environment, month: int, tick: int) -> simpy.Timeout:
        return env.timeout(month * TICKS + tick - env.now)

    def _policy(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Dated events: ring-fences start and expire, members join and leave the board."""
        last = self.system.calendar.months - 1
        changes: list[tuple[int, str, int, bool]] = []
        for k, rule in enumerate(self.rules):
            if rule.start > 0:
                changes.append((rule.start, "rule", k, True))
            if rule.until < last:
                changes.append((rule.until + 1, "rule", k, False))
        for j in range(self.board.size):
            if self.board.start[j] > 0:
                changes.append((int(self.board.start[j]), "member", j, True))
            if self.board.until[j] < last:
                changes.append((int(self.board.until[j]) + 1, "member", j, False))
        for month, what, k, on in sorted(changes):
            yield self._at(env, month, POLICY)
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

    def _years(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        for y in range(self.scenario.horizon_years):
            yield self._at(env, 12 * y, YEAR_START)
            self._year_start(y)
            yield self._at(env, 12 * y + 11, YEAR_END)
            self._year_end(y)

    def _months(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        interval = self.scenario.board.meeting_interval_months
        months = self.system.calendar.months
        for m in range(months):
            yield self._at(env, m, MONTH)
            pressured = self._month(m)
            if (m + 1) % interval != 0 and pressured.any():
                env.process(self._meeting_at(env, m, pressured, extraordinary=True))
            yield self._at(env, m, RECORD)
            self._record(m)
            if self.progress is not None:
                self.progress(m + 1, months)

    def _scheduled_meetings(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        interval = self.scenario.board.meeting_interval_months
        everyone = np.ones(len(self.replications), dtype=bool)
        for m in range(interval - 1, self.system.calendar.months, interval):
            yield self._at(env, m, MEETING)
            self._meeting(m, everyone, extraordinary=False)

    def _meeting_at(
        self, env: simpy.Environment, month: int, mask: npt.NDArray[np.bool_], extraordinary: bool
    ) -> Generator[simpy.Event, Any, None]:
        yield self._at(env, month, MEETING)
        self._meeting(month, mask, extraordinary)

    # -- events -------------------------------------------------------------------------------
    def _checked(self, month: int, event: str) -> None:
        if self.check_conservation:
            self.ledger.check(month, event)

    def _year_start(self, y: int) -> None:
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

    def _month(self, m: int) -> npt.NDArray[np.bool_]:
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

    def _meeting(self, m: int, held: npt.NDArray[np.bool_], extraordinary: bool) -> None:
        """The board decides an in-year transfer to secondary care where the meeting is held.

        Only the replications holding the meeting are computed (an extraordinary meeting is
        usually held in a few); the others see no transfer. A delegated place's support is
        decided by the members who represent it; pooled money moves only with the consent of
        the place's local-authority partner.
        """
        r, p, s = self.shape
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
        # Pooled money still unspent this year is held back unless a present local-authority
        # partner of the place supports the amount (its consent).
        consent = np.zeros((n, p), dtype=bool)
        for place, members in self.council.items():
            agrees = present[:, members] & (
                self.board.stance[members][None, :] >= cover[:, place : place + 1]
            )
            consent[:, place] = agrees.any(axis=1)
        left_after = 11 - m % 12
        hold = (
            np.where(consent[:, :, None], 0, self.pooled[None, :, :] * left_after // 12)
            if self.council
            else np.zeros((1, p, s), dtype=np.int64)
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
        """Move up to ``wanted`` pence per place to secondary care in the given replications.

        ``hold`` is money in each budget that may not move (pooled money without consent).
        Returns the pence moved in each place, shape (len(rows), P), and which ring-fences
        bound, shape (len(rows), n_rules).
        """
        sys_, led = self.system, self.ledger
        r, p, s = self.shape
        everyone = rows.size == r
        pick: slice | npt.NDArray[np.int64] = slice(None) if everyone else rows
        n = rows.size
        bal = led.budget_balances()[pick]
        plan = self.plan[pick]
        # Donors are the capacity-capped budgets outside secondary care: taking from a
        # demand-led budget would only move the overspend, not find money.
        donor = ~sys_.secondary & sys_.capped
        available = np.where(donor[None, None, :], np.maximum(bal - hold, 0), 0)
        limit, per_rule = transfer_capacity(self.rules, self.active, plan, self.moved_out[pick])
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
        bound = np.zeros((n, len(self.rules)), dtype=bool)
        if self.rules:
            unconstrained = wanted[:, :, None] * (
                available / np.maximum(available.sum(axis=2, keepdims=True), 1)
            )
            for k in range(len(self.rules)):
                # A rule binds when it stops the board taking a budget's pro-rata share.
                bound[:, k] = (per_rule[k] < unconstrained - 0.5).any(axis=(1, 2))
            self.bindings[rows] += bound
        # Recipients: secondary sectors, in proportion to their own forecast overspend.
        left_after = 11 - m % 12
        secondary = sys_.secondary[None, None, :]
        gap = np.where(secondary, np.maximum(0, self._need[m][pick] * left_after - bal), 0)
        fallback = np.where(secondary, plan + 1, 0)
        rec_w = np.where(gap.sum(axis=2, keepdims=True) > 0, gap, fallback).astype(np.float64)
        donors = np.flatnonzero(donor)
        recips = np.flatnonzero(sys_.secondary)
        moved = np.zeros((n, p), dtype=np.int64)
        if donors.size and recips.size:
            # flows[i, p, d, c]: pence from donor sector d to recipient sector c in place p.
            flows = split(
                taken[:, :, donors], rec_w[:, :, None, recips].repeat(donors.size, axis=2)
            )
            recurrent = np.rint(flows * self.scenario.board.recurrent_share).astype(np.int64)
            src = self.budget_acc[:, donors][:, :, None].repeat(recips.size, axis=2).ravel()
            dst = self.budget_acc[:, recips][:, None, :].repeat(donors.size, axis=1).ravel()
            label = "extraordinary board meeting" if extraordinary else "board meeting"
            for part, is_recurrent in ((recurrent, True), (flows - recurrent, False)):
                led.transfer(
                    src,
                    dst,
                    part.reshape(n, -1),
                    m,
                    is_recurrent,
                    f"{label}: in-year transfer",
                    rows=None if everyone else rows,
                )
            out = np.zeros((n, p, s), dtype=np.int64)
            inn = np.zeros((n, p, s), dtype=np.int64)
            out[:, :, donors] = flows.sum(axis=3)
            inn[:, :, recips] = flows.sum(axis=2)
            rec_net = np.zeros((n, p, s), dtype=np.int64)
            rec_net[:, :, donors] -= recurrent.sum(axis=3)
            rec_net[:, :, recips] += recurrent.sum(axis=2)
            self.budget[pick] += inn - out
            self.moved_out[pick] += out
            self.recurrent_net[pick] += rec_net
            self.year_in[m // 12][pick] += inn
            self.year_out[m // 12][pick] += out
            moved = out.sum(axis=2)
        return moved, bound

    def _record(self, m: int) -> None:
        """Month-end balances of the system accounts (flows are stored as they happen)."""
        bal = self.ledger.balances
        self.system_series["reserve"][:, m] = bal[:, accounts.RESERVE]
        self.system_series["deficit"][:, m] = bal[:, accounts.DEFICIT]
        self.system_series["allocated"][:, m] = self.ledger.allocated

    def _year_end(self, y: int) -> None:
        """Close the books: underspends to the reserve, overspends from reserve then deficit."""
        led = self.ledger
        r = len(self.replications)
        month = 12 * y + 11
        bal = led.budget_balances()
        self.year_end_balance[:, y] = bal
        acc = self.budget_acc.ravel()
        under = np.maximum(bal, 0).reshape(r, -1)
        led.transfer(
            acc,
            np.full(acc.size, accounts.RESERVE),
            under,
            month,
            False,
            "year-end underspend to reserve",
        )
        over = np.maximum(-bal, 0).reshape(r, -1)
        reserve = led.balances[:, accounts.RESERVE]
        from_reserve = split(np.minimum(reserve, over.sum(axis=1)), over.astype(np.float64))
        led.transfer(
            np.full(acc.size, accounts.RESERVE),
            acc,
            from_reserve,
            month,
            False,
            "year-end overspend met from reserve",
        )
        led.transfer(
            np.full(acc.size, accounts.DEFICIT),
            acc,
            over - from_reserve,
            month,
            False,
            "year-end overspend to deficit",
        )
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

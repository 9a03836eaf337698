"""The engine: what happens at each event of the calendar, for every replication at once.

SimPy drives the calendar (:mod:`sim.engine.schedule`); numpy arrays hold every replication,
and the model's rules (:mod:`sim.model`) decide each step. Differences between replications
(a shock, an extraordinary meeting) are masks. The ledger checks conservation after every
event.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.engine.board_vote import BoardVote
from sim.engine.debts import Debts
from sim.engine.in_year import RecoveryPlan
from sim.engine.outcomes import Outcomes
from sim.engine.results import Results
from sim.engine.schedule import Change, Progress, dated_changes, run_calendar
from sim.model import ledger as accounts
from sim.model.board import attendance, compile_board
from sim.model.delegation import place_governance
from sim.model.ledger import Ledger
from sim.model.need import simulate_environment
from sim.model.plan import compromise, ideal_shares, plan_decision
from sim.model.planning import Lines, first_lines, moved_plan, planning_round, whole_shares
from sim.model.power import board_power
from sim.model.recovery import pause_order
from sim.model.ring_fence import PlanHistory, annual_plan, compile_rules
from sim.model.spill_over import (
    floor_spill,
    lagged,
    reference_unmet,
    response,
    spill_in,
    spill_weights,
)
from sim.model.system import compile_system
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import Pence, columns, split, sum_pence


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
        self.slippage_rate = environment.finance.slippage_rate
        self._spend = np.empty_like(self._need)
        self.outcomes = Outcomes.allocate(self.shape, y, len(self.rules))
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
        self.paused = zeros.copy()
        self.slip_month = zeros.copy()
        #: Slippage so far this year: unspent money held in each budget until the year end.
        self.slipped = zeros.copy()
        self.lines = Lines(zeros.copy(), zeros.copy())
        self.floor = zeros.copy()
        #: Each replication's slippage a month (None when there is none), and its secondary
        #: sectors' plan, pence, (R,): fixed for the year.
        self.slip_total: Pence | None = None
        self.sec_plan = np.zeros(r, dtype=np.int64)
        #: Work space for the month's allowance, (R, P, S).
        self._allowance = zeros.copy()
        self.totals = np.zeros((r, p), dtype=np.int64)
        self.director_paused = np.zeros(r, dtype=np.int64)
        self.allocation = np.zeros(r, dtype=np.int64)
        self.history = PlanHistory(None, None, None, 1.0)
        spill = scenario.spill_over
        self.spill_lags = np.asarray(spill.lag_weights, dtype=np.float64)
        self.spill_history = np.zeros((r, self.spill_lags.size, p), dtype=np.float64)
        self.spill_reference = reference_unmet(scenario, sys_)
        self.spill_weights = spill_weights(sys_)
        # Spill-over arrives in the receiving sectors only.
        self.spill_to = [int(j) for j in np.flatnonzero(self.spill_weights > 0)]
        self.active = [rule.active(0) for rule in self.rules]
        self.seated = self.board.seated(0).copy()
        self.pausable = sys_.capped & (sys_.discretionary > 0)
        # Sector positions as slices or index arrays: sums over a kind of sector index
        # rather than multiply a whole array by a mask.
        self.pause_cols = columns(self.pausable)
        self.secondary_cols = columns(sys_.secondary)
        #: Floor of each sector's monthly allowance before it is divided by the months
        #: left: zero for capped sectors, and for demand-led sectors a number so large that
        #: the allowance never binds (need stays below 2**53 pence).
        self.uncapped = np.where(sys_.capped, 0, np.iinfo(np.int64).max).astype(np.int64)
        self.pause_rank = np.zeros(s, dtype=np.int64)
        self.debts = Debts(r, y)
        # Voting power of each composition the board has over the horizon (exact, cached).
        self._note_composition(0)
        self.committees, self.council, self.pooled = place_governance(
            scenario, sys_, self.board.places, self.board.constituencies
        )
        self.in_year: RecoveryPlan | BoardVote = (
            BoardVote(self) if scenario.recovery.model == "board_vote" else RecoveryPlan(self)
        )

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
            self.outcomes.policy_log.append(
                (month, self.rules[k].name, "starts" if on else "expires")
            )
        else:
            self.seated[k] = on
            self.outcomes.policy_log.append(
                (month, self.board.names[k], "joins" if on else "leaves")
            )
            self._note_composition(month)

    def _note_composition(self, month: int) -> None:
        """Record the voting power of the board now seated (one entry per month of change)."""
        power = board_power(self.board.subset(np.flatnonzero(self.seated)))
        if self.outcomes.compositions and self.outcomes.compositions[-1][0] == month:
            self.outcomes.compositions[-1] = (month, power)
        else:
            self.outcomes.compositions.append((month, power))

    @property
    def repay_due(self) -> Pence:
        """Instalments of past deficits due at each year's start, (R, Y + tail)."""
        return self.debts.repay_due

    # -- state the in-year models read --------------------------------------------------------
    def need_now(self, m: int) -> Pence:
        """This month's need (with spill-over), pence, (R, P, S)."""
        out: Pence = self._need[m]
        return out

    def pooled_hold(self, months_left: int) -> Pence:
        """Pooled (Better Care Fund) money still to be spent this year, (P, S): locked in its
        section 75 pool, so a recovery plan never pauses it."""
        out: Pence = self.pooled * months_left // 12
        return out

    # -- events -------------------------------------------------------------------------------
    def _checked(self, month: int, event: str) -> None:
        if self.check_conservation:
            self.ledger.check(month, event)

    def year_start(self, y: int) -> None:
        """Receive the allocation, repay past deficits, top up the reserve, plan the year."""
        sc, sys_, led = self.scenario, self.system, self.ledger
        month = 12 * y
        if y == 0:
            self.allocation = np.full(
                len(self.replications), sys_.initial_allocation, dtype=np.int64
            )
        else:
            self.allocation = np.rint(self.allocation * self.growth[:, y]).astype(np.int64)
        led.receive(self.allocation, month, "allocation from NHS England")
        left = self.debts.repay(led, self.allocation, y, self.outcomes.finance)
        target = np.floor(sc.allocation.contingency_share * self.allocation).astype(np.int64)
        topup = np.clip(target - led.balances[:, accounts.RESERVE], 0, left)
        led.transfer(
            accounts.SOURCE, accounts.RESERVE, topup, month, True, "contingency reserve top-up"
        )
        money = left - topup
        weights = np.broadcast_to(sys_.place_shares[y], (len(money), sys_.places))
        totals = split(money, weights)
        shares = compromise(self.board, self.seated, sc, sys_, month)
        self.pause_rank = pause_order(shares / sys_.shares.clip(1e-12), self.pausable)
        proposal, floor = self._propose(y, totals, shares)
        gross = split(self.allocation, weights)
        plan = annual_plan(self.rules, self.active, proposal, totals, self.history, floor, gross)
        if floor is None:
            self.lines = first_lines(plan.budgets, sys_)
        # The lines stay as planned all year: their sum is kept, not summed at every use.
        self.floor = self.lines.floor
        led.transfer(
            accounts.SOURCE,
            self.budget_acc.ravel(),
            plan.budgets.reshape(len(money), -1),
            month,
            True,
            "annual plan",
        )
        self.outcomes.bindings += plan.bound
        self.outcomes.shortfalls += plan.shortfall
        self.plan = plan.budgets
        self.outcomes.plans[:, y] = plan.budgets
        self.outcomes.lines["committed"][:, y] = self.lines.committed
        self.outcomes.lines["slippage"][:, y] = self.lines.slippage
        self.budget = plan.budgets.copy()
        self.totals = totals
        self.slip_month = np.floor(self.lines.slippage * self.slippage_rate[:, y] / 12).astype(
            np.int64
        )
        # What stays the same all year is computed once a year, not every month.
        self.slip_total = sum_pence(self.slip_month, 2) if self.slip_month.any() else None
        self.sec_plan = sum_pence(self.plan[:, :, self.secondary_cols], 2)
        for arr in (
            self.recurrent_net,
            self.moved_out,
            self.paused,
            self.director_paused,
            self.slipped,
        ):
            arr[:] = 0
        base = self.history.base_plan if self.history.base_plan is not None else plan.budgets
        self.history = PlanHistory(
            plan.budgets, gross, base, (1.0 + sc.allocation.inflation) ** (y + 1)
        )
        self._checked(month, "year start")

    def _propose(
        self, y: int, totals: Pence, shares: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], Pence | None]:
        """The year's proposal before the ring-fences, and the lines it must fund first.

        The first year's plan is the scenario's shares; from the second, the planning round
        (:mod:`sim.model.planning`) and the board's decision on it (:mod:`sim.model.plan`).
        """
        sc, sys_ = self.scenario, self.system
        month = 12 * y
        if self.history.prev_plan is None:
            first: npt.NDArray[np.float64] = totals[:, :, None] * sys_.shares[None, None, :]
            return first, None
        self.outcomes.plan_shares.append((month, shares))
        pl = sc.planning
        national = pl.committed_uplift_by_year.get(
            sys_.calendar.financial_year(y), pl.committed_uplift
        )
        round_ = planning_round(
            sys_,
            prev_budget=self.plan + self.recurrent_net,
            prev_lines=self.lines,
            outturn=self._spend[month - 12 : month].sum(axis=0),
            totals=totals,
            uplift=national,
            cost_improvement=pl.cost_improvement,
            line_uplift=np.array(
                [national if s.committed_uplift is None else s.committed_uplift for s in sc.sectors]
            ),
        )
        everyone = np.ones(len(totals))
        decision = plan_decision(
            self.board,
            self.seated,
            ideal_shares(self.board, sc, sys_, month),
            shares,
            whole_shares(moved_plan(round_, totals, shares, 1.0, everyone)),
            whole_shares(round_.proposal),
            pl.consensus_tolerance,
        )
        self.outcomes.plan_agreed[:, y] = decision.agreed
        self.outcomes.plan_consensus[:, y] = decision.consensus
        self.lines = round_.lines
        return moved_plan(round_, totals, shares, pl.pace, decision.agreed), round_.lines.floor

    def month(self, m: int) -> npt.NDArray[np.bool_]:
        """Need arises and is spent (slippage lines leave part unspent), the year end is
        forecast; return the replications that need a meeting now."""
        sys_, led = self.system, self.ledger
        left = 12 - m % 12
        r = len(self.replications)
        need = self._need[m]
        arriving = floor_spill(
            lagged(self.spill_history, m, self.spill_lags), need, self.spill_weights
        )
        self.outcomes.spill_total[m] = arriving
        # The other sectors' spill-over is zero (rint of nothing): added to receivers only,
        # a column at a time (an in-place view, where an index array would gather and
        # scatter).
        arrived = spill_in(arriving, self.spill_weights[self.spill_to])
        for j, col in enumerate(self.spill_to):
            need[:, :, col] += arrived[:, :, j]
        if self.slip_total is not None:
            # Slippage lines underspend by chance: the money stays in the budget, unspent,
            # and returns to the reserve with the year-end underspend.
            self.slipped += self.slip_month
            self.outcomes.finance["slippage"][:, m // 12] += self.slip_total
        # Demand-led sectors spend their need; capped sectors at most their allowance (one
        # pass each, with no mask, into work space).
        allowance = self._allowance
        np.subtract(led.budget_view(), self.slipped, out=allowance)
        np.maximum(allowance, self.uncapped, out=allowance)
        np.floor_divide(allowance, left, out=allowance)
        spend = self._spend[m]
        np.minimum(need, allowance, out=spend)
        led.transfer(
            self.budget_acc.ravel(),
            self.spend_acc.ravel(),
            spend.reshape(r, -1),
            m,
            False,
            "spending",
        )
        unmet = need - spend
        lags = self.spill_lags.size
        self.spill_history[:, m % lags] = response(
            unmet, need, self.spill_reference, self.scenario.spill_over, sys_
        )
        # Balances after spending (the transfer above has taken it off): a view, which the
        # in-year models read before they change anything.
        pressured = self.in_year.after_spending(m, need, led.budget_view())
        self._checked(m, "month")
        return pressured

    def meeting(self, m: int, held: npt.NDArray[np.bool_], extraordinary: bool) -> None:
        """A board meeting where it is held: the in-year model decides what it does."""
        self.in_year.meeting(m, held, extraordinary)
        self._checked(m, "board meeting")

    def record(self, m: int) -> None:
        """Month-end balances of the system accounts (flows are stored as they happen)."""
        bal = self.ledger.balances
        self.outcomes.system_series["reserve"][m] = bal[:, accounts.RESERVE]
        self.outcomes.system_series["deficit"][m] = bal[:, accounts.DEFICIT]
        self.outcomes.system_series["allocated"][m] = self.ledger.allocated

    def year_end(self, y: int) -> None:
        """Close the books (:meth:`sim.model.ledger.Ledger.close_year`) and settle the
        year's deficit under the rules of its date (:mod:`sim.model.deficit`)."""
        sc, led = self.scenario, self.ledger
        month = 12 * y + 11
        before = led.balances[:, accounts.DEFICIT].copy()
        self.outcomes.year_end_balance[:, y] = led.close_year(month)
        deficit = before - led.balances[:, accounts.DEFICIT]
        self.outcomes.finance["in_year_deficit"][:, y] = deficit
        self.debts.settle(led, deficit, sc.deficit, (y, sc.start_year + y), self.outcomes.finance)
        self._checked(month, "year end")

    def _results(self) -> Results:
        return self.outcomes.results(
            self.scenario,
            self.system,
            self.replications,
            {"need": self._need, "spend": self._spend},
            self.ledger.journal,
            (tuple(rule.name for rule in self.rules), tuple(self.ledger.account_names)),
            self.board.size,
        )

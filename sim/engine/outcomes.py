"""What a run records as it goes (beyond the ledger's balances), and the results made of it.

The engine's state (budgets, lines, what is due) changes from event to event; these arrays
only accumulate, and become the :class:`~sim.engine.results.Results` at the end. Monthly
series are month-major, (M, R, ...), so each month's record is one contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.engine.moves import Move
from sim.engine.results import MeetingTable, Results
from sim.model.ledger import Entry
from sim.model.power import VotingPower
from sim.model.system import System
from sim.scenario.format import Scenario
from sim.units.money import Pence

Floats = npt.NDArray[np.float64]


@dataclass
class Outcomes:
    """The run's records, for every replication at once; pence unless said otherwise."""

    #: Each year's annual plan, (R, Y, P, S).
    plans: Pence
    #: In-year money into and out of each budget in each year (board transfers between
    #: budgets; recovery-plan pauses, which go to the reserve), (Y, R, P, S).
    year_in: Pence
    year_out: Pence
    #: Spill-over arriving in each place (real numbers before rounding), (M, R, P).
    spill_total: Floats
    #: Month-end reserve, deficit and money allocated so far, each (M, R).
    system_series: dict[str, Pence]
    #: Budget balances at each year end before closing, (R, Y, P, S).
    year_end_balance: Pence
    #: Non-recurrent in-year measures per year, (R, Y).
    year_paused: Pence
    #: The year's deficit, support, repayments, penalties and slippage, each (R, Y).
    finance: dict[str, Pence]
    plan_agreed: Floats
    plan_consensus: npt.NDArray[np.bool_]
    #: Each year's committed and slippage lines, (R, Y, P, S).
    lines: dict[str, Pence]
    #: Times each ring-fence bound, and was relaxed, (R, n_rules).
    bindings: npt.NDArray[np.int64]
    shortfalls: npt.NDArray[np.int64]
    #: Extraordinary meetings held per replication, (R,).
    extraordinary: npt.NDArray[np.int64]
    meetings: list[MeetingTable] = field(default_factory=list)
    #: The same money event by event, with its month: what the monthly digest and the time
    #: series need, kept as it happens so that nothing has to rebuild it from the journal.
    moves: list[Move] = field(default_factory=list)
    plan_shares: list[tuple[int, Floats]] = field(default_factory=list)
    compositions: list[tuple[int, VotingPower]] = field(default_factory=list)
    policy_log: list[tuple[int, str, str]] = field(default_factory=list)

    @staticmethod
    def allocate(shape: tuple[int, int, int], years: int, rules: int) -> Outcomes:
        """Empty records for ``shape`` = (replications, places, sectors) over ``years``."""
        r, p, s = shape
        m = 12 * years

        def money(*dims: int) -> Pence:
            return np.zeros(dims, dtype=np.int64)

        return Outcomes(
            plans=money(r, years, p, s),
            year_in=money(years, r, p, s),
            year_out=money(years, r, p, s),
            spill_total=np.zeros((m, r, p), dtype=np.float64),
            system_series={k: money(m, r) for k in ("reserve", "deficit", "allocated")},
            year_end_balance=money(r, years, p, s),
            year_paused=money(r, years),
            finance={
                k: money(r, years)
                for k in ("in_year_deficit", "support", "repaid", "penalty", "slippage")
            },
            plan_agreed=np.ones((r, years), dtype=np.float64),
            plan_consensus=np.zeros((r, years), dtype=bool),
            lines={k: money(r, years, p, s) for k in ("committed", "slippage")},
            bindings=money(r, rules),
            shortfalls=money(r, rules),
            extraordinary=money(r),
        )

    def results(
        self,
        scenario: Scenario,
        system: System,
        replications: npt.NDArray[np.int64],
        flows: dict[str, Pence],
        journal: list[Entry],
        names: tuple[tuple[str, ...], tuple[str, ...]],
        members: int,
    ) -> Results:
        """The run's :class:`Results`.

        Args:
            flows: ``need`` and ``spend``, month-major (M, R, P, S).
            journal: the ledger's journal of this run.
            names: the ring-fence rules' names and the ledger's account names.
            members: board members (for an empty table of meetings).
        """
        rule_names, account_names = names
        p = self.year_in.shape[2]

        def by_rep(a: Pence) -> Pence:
            out: Pence = a.transpose(1, 0, 2, 3)
            return out

        return Results(
            scenario=scenario,
            replications=replications,
            place_names=system.place_names,
            sector_names=system.sector_names,
            sector_kinds=system.sector_kinds,
            rule_names=rule_names,
            account_names=account_names,
            flows={k: by_rep(v) for k, v in flows.items()},
            plans=self.plans,
            year_transfers_in=by_rep(self.year_in),
            year_transfers_out=by_rep(self.year_out),
            moves=[(self.moves, replications)],
            system_series={k: v.T for k, v in self.system_series.items()},
            year_end_balance=self.year_end_balance,
            bindings=self.bindings,
            shortfalls=self.shortfalls,
            spill_total=self.spill_total.transpose(1, 0, 2),
            extraordinary_meetings=self.extraordinary,
            meeting_parts=self.meetings or [MeetingTable.empty(p, members, len(rule_names))],
            journals=[(journal, replications)],
            policy_log=self.policy_log,
            compositions=self.compositions,
            plan_compromise=self.plan_shares,
            finance={**self.finance, "paused": self.year_paused},
            plan_agreed=self.plan_agreed,
            plan_consensus=self.plan_consensus,
            lines=self.lines,
        )

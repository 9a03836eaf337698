"""Past deficits still owed: each year's instalments and penalties, taken from the next
allocations, and the settlement of each year's deficit under the rules of its date
(:mod:`sim.model.deficit`)."""

from __future__ import annotations

import numpy as np

from sim.model import ledger as accounts
from sim.model.deficit import rules_for_year, settle
from sim.model.ledger import Ledger
from sim.scenario.finance import Deficit
from sim.units.money import Pence

#: Years after the horizon for which repayment schedules are kept (the longest repayment).
REPAYMENT_TAIL = 10


class Debts:
    """What each replication owes for past deficits, by the year it falls due, pence."""

    def __init__(self, replications: int, years: int) -> None:
        #: Instalments and penalties due at each year's start, (R, Y + REPAYMENT_TAIL).
        self.repay_due = np.zeros((replications, years + REPAYMENT_TAIL), dtype=np.int64)
        self.penalty_due = np.zeros_like(self.repay_due)

    def repay(self, ledger: Ledger, allocation: Pence, y: int, finance: dict[str, Pence]) -> Pence:
        """Take year ``y``'s instalments and penalties from its allocation (booked at the
        year's start) and record them in ``finance``; return what is left, pence, (R,)."""
        month = 12 * y
        repaid = np.minimum(self.repay_due[:, y], allocation)
        penalty = np.minimum(self.penalty_due[:, y], allocation - repaid)
        # What a year's allocation cannot cover is carried to the next year, never dropped.
        self.repay_due[:, y + 1] += self.repay_due[:, y] - repaid
        self.penalty_due[:, y + 1] += self.penalty_due[:, y] - penalty
        if repaid.any():
            ledger.transfer(
                accounts.SOURCE, accounts.DEFICIT, repaid, month, False, "deficit repayment"
            )
        if penalty.any():
            ledger.transfer(
                accounts.SOURCE, ledger.penalty_account, penalty, month, False, "deficit penalty"
            )
        finance["repaid"][:, y] = repaid
        finance["penalty"][:, y] = penalty
        out: Pence = allocation - repaid - penalty
        return out

    def settle(
        self,
        ledger: Ledger,
        deficit: Pence,
        rules: Deficit,
        year: tuple[int, int],
        finance: dict[str, Pence],
    ) -> None:
        """Settle the deficit of year ``y`` (``year`` = (y, calendar year of its start)),
        pence, (R,): deficit support now, instalments and a penalty from the next years."""
        y, calendar_year = year
        month = 12 * y + 11
        settled = settle(deficit, rules_for_year(rules, calendar_year))
        if settled.support.any():
            ledger.receive(settled.support, month, "deficit support", account=accounts.DEFICIT)
        finance["support"][:, y] = settled.support
        k = settled.instalments.shape[1]
        self.repay_due[:, y + 1 : y + 1 + k] += settled.instalments
        self.penalty_due[:, y + 1] += settled.penalty

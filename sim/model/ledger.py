"""The ledger: every account balance in integer pence, every transfer recorded, conservation checked.

Accounts per replication: the allocation source, the contingency reserve, the deficit (a
negative balance is debt), one budget per place and sector, one spend account per place
and sector, and the penalties paid to NHS England. Money enters only from NHS England (the
allocation and deficit support, which raise "allocated") and moves only by
:meth:`Ledger.transfer`. Conservation, checked after every event, is::

    sum of all balances (held + spent) == money allocated so far    (every replication)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.units.money import MAX_PENCE, Pence, split, sum_pence

SOURCE = 0
RESERVE = 1
DEFICIT = 2
#: Index of the first budget account (budgets follow the three system accounts).
BUDGET_BASE = 3
#: Pseudo-account for money arriving from NHS England (not held in the ledger).
EXTERNAL = -1


class ConservationError(RuntimeError):
    """Money held plus money spent differs from money allocated: a model defect."""


@dataclass(frozen=True)
class Entry:
    """One recorded transfer, vectorised: amounts for every replication and account pair."""

    month: int
    source: npt.NDArray[np.int64]
    target: npt.NDArray[np.int64]
    #: Pence moved, shape (n, k) for the k account pairs in the n replications of ``rows``.
    amount: Pence
    recurrent: bool
    reason: str
    #: Row (replication position) of each line of ``amount``; None means every row.
    rows: npt.NDArray[np.int64] | None = None


@dataclass
class Ledger:
    """Balances of every account in every replication, and the journal of transfers."""

    replications: int
    places: int
    sectors: int
    account_names: list[str]
    balances: Pence = field(init=False)
    allocated: Pence = field(init=False)
    journal: list[Entry] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.balances = np.zeros((self.replications, len(self.account_names)), dtype=np.int64)
        self.allocated = np.zeros(self.replications, dtype=np.int64)

    @classmethod
    def for_system(
        cls,
        replication_ids: npt.NDArray[np.int64],
        place_names: tuple[str, ...],
        sector_names: tuple[str, ...],
    ) -> Ledger:
        """A ledger with the standard accounts for a system's places and sectors."""
        names = ["allocation source", "contingency reserve", "deficit"]
        names += [f"budget:{p}:{s}" for p in place_names for s in sector_names]
        names += [f"spend:{p}:{s}" for p in place_names for s in sector_names]
        names += ["NHS England (penalties)"]
        ids = np.asarray(replication_ids, dtype=np.int64)
        return cls(ids.size, len(place_names), len(sector_names), names, ids)

    #: Replication index of each row (for diagnostics); row positions when not given.
    replication_ids: npt.NDArray[np.int64] | None = None

    @property
    def budget_base(self) -> int:
        """Index of the first budget account."""
        return BUDGET_BASE

    @property
    def spend_base(self) -> int:
        """Index of the first spend account."""
        return BUDGET_BASE + self.places * self.sectors

    @property
    def penalty_account(self) -> int:
        """Index of the account that receives deficit penalties paid to NHS England."""
        return BUDGET_BASE + 2 * self.places * self.sectors

    def budget_accounts(self) -> npt.NDArray[np.int64]:
        """Budget account indices, shape (P, S)."""
        return self.budget_base + np.arange(self.places * self.sectors).reshape(
            self.places, self.sectors
        )

    def spend_accounts(self) -> npt.NDArray[np.int64]:
        """Spend account indices, shape (P, S)."""
        return self.spend_base + np.arange(self.places * self.sectors).reshape(
            self.places, self.sectors
        )

    def budget_view(self) -> Pence:
        """Current budget balances, pence, shape (R, P, S) (a view: do not write to it)."""
        b = self.balances[:, self.budget_base : self.spend_base]
        out: Pence = b.reshape(self.replications, self.places, self.sectors)
        return out

    def budget_balances(self) -> Pence:
        """Current budget balances, pence, shape (R, P, S) (a copy)."""
        b = self.balances[:, self.budget_base : self.spend_base]
        return b.reshape(self.replications, self.places, self.sectors).copy()

    def receive(self, amount: Pence, month: int, reason: str, account: int = SOURCE) -> None:
        """Money from NHS England (the allocation, or deficit support into the deficit
        account), pence, shape (R,)."""
        amount = np.asarray(amount, dtype=np.int64)
        if np.any(amount < 0) or np.any(amount > MAX_PENCE):
            raise ConservationError(f"month {month}: allocation out of range")
        self.balances[:, account] += amount
        self.allocated += amount
        self.journal.append(
            Entry(month, np.array([EXTERNAL]), np.array([account]), amount[:, None], True, reason)
        )

    def transfer(
        self,
        source: npt.ArrayLike,
        target: npt.ArrayLike,
        amount: npt.ArrayLike,
        month: int,
        recurrent: bool,
        reason: str,
        rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        """Move pence between accounts and record it.

        Args:
            source, target: account indices, shape (k,); a scalar applies to every pair.
            amount: non-negative pence, shape (n, k) (or (n,) with scalar accounts), for every
                replication (n = R) or for the replications in ``rows``.
            rows: positions of the replications concerned; all replications when None.
        """
        src, dst = np.broadcast_arrays(
            np.atleast_1d(np.asarray(source, dtype=np.int64)),
            np.atleast_1d(np.asarray(target, dtype=np.int64)),
        )
        n = self.replications if rows is None else rows.size
        amt = np.asarray(amount, dtype=np.int64).reshape(n, -1)
        if amt.shape[1] != src.size:
            raise ValueError("transfer: accounts and amounts do not match")
        if amt.min(initial=0) < 0:
            raise ConservationError(f"month {month}: negative transfer ({reason})")
        bal = self.balances if rows is None else self.balances[rows]
        for accounts, sign in ((src, -1), (dst, 1)):
            first = int(accounts[0])
            if accounts.size > 1 and np.array_equal(
                accounts, np.arange(first, first + accounts.size)
            ):
                # A run of consecutive accounts (all budgets, all spend accounts): a view.
                view = bal[:, first : first + accounts.size]
                if sign < 0:
                    view -= amt
                else:
                    view += amt
            elif np.unique(accounts).size == accounts.size:
                bal[:, accounts] += sign * amt
            elif np.all(accounts == first):  # one account for every pair (the reserve)
                bal[:, first] += sign * sum_pence(amt)
            else:  # an account in several pairs: sum its pairs first
                for account in np.unique(accounts):
                    pairs = np.flatnonzero(accounts == account)
                    bal[:, account] += sign * amt[:, pairs].sum(axis=1)
        if rows is not None:
            self.balances[rows] = bal
        self.journal.append(Entry(month, src, dst, amt, recurrent, reason, rows))

    def check(self, month: int, event: str) -> None:
        """Raise :class:`ConservationError` if held + spent != allocated in any replication."""
        total = sum_pence(self.balances)
        bad = np.flatnonzero(total != self.allocated)
        if bad.size:
            r = int(bad[0])
            rep = int(self.replication_ids[r]) if self.replication_ids is not None else r
            raise ConservationError(
                f"conservation broken after {event} in month {month}: replication {rep} "
                f"holds+spent {int(total[r])} pence but was allocated {int(self.allocated[r])} "
                f"({bad.size} replication(s) affected)"
            )
        # Two reductions rather than an absolute-value copy of every balance.
        if self.balances.max(initial=0) > MAX_PENCE or self.balances.min(initial=0) < -MAX_PENCE:
            raise ConservationError(
                f"month {month}: a balance exceeds {MAX_PENCE} pence after {event}"
            )

    def close_year(self, month: int) -> Pence:
        """Close the books: underspends to the reserve, overspends met from the reserve and
        then from the deficit. Returns the budget balances before closing, pence, (R, P, S).
        """
        r = self.balances.shape[0]
        bal = self.budget_balances()
        acc = self.budget_accounts().ravel()
        under = np.maximum(bal, 0).reshape(r, -1)
        self.transfer(
            acc,
            np.full(acc.size, RESERVE),
            under,
            month,
            False,
            "year-end underspend to reserve",
        )
        over = np.maximum(-bal, 0).reshape(r, -1)
        reserve = self.balances[:, RESERVE]
        from_reserve = split(np.minimum(reserve, sum_pence(over)), over.astype(np.float64))
        self.transfer(
            np.full(acc.size, RESERVE),
            acc,
            from_reserve,
            month,
            False,
            "year-end overspend met from reserve",
        )
        self.transfer(
            np.full(acc.size, DEFICIT),
            acc,
            over - from_reserve,
            month,
            False,
            "year-end overspend to deficit",
        )
        return bal

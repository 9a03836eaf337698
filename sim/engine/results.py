"""The one results type: arrays per replication, month, place and sector, and the transfers.

Shared by the CLI, the app and the tests. Money is int64 pence throughout; conversions to
£ million happen only in summaries and outputs meant for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine.moves import ChunkMoves, by_month
from sim.model.ledger import Entry
from sim.model.power import VotingPower
from sim.model.spill_over import spill_in, spill_weights
from sim.model.system import compile_system
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import Pence

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: Journal reasons of money paused by a recovery plan.
PAUSE_REASONS = (
    "recovery plan: pause by the director of finance",
    "recovery plan: pause approved by the board",
)


@dataclass(frozen=True)
class MeetingTable:
    """Board meetings held, one row per replication and meeting, ordered by replication.

    Per-place columns have shape (n, P): a delegated place is decided by its own members.
    """

    replication: npt.NDArray[np.int64]
    month: npt.NDArray[np.int64]
    extraordinary: Bools
    #: Underlying forecast secondary-care overspend put to the board, pence, shape (n, P).
    proposal: Pence
    #: Fraction of the proposal agreed as this year's support, shape (n, P).
    cover: Floats
    #: In-year support already given to secondary care this year, pence, shape (n, P).
    support_before: Pence
    #: Index of the pivotal member (the least willing supporter), -1 if none, shape (n, P).
    pivot: npt.NDArray[np.int64]
    #: Whether enough voting weight was present, shape (n, P).
    quorate: Bools
    #: Whether every present voter accepted the amount (no vote needed), shape (n, P).
    consensus: Bools
    #: Members present and seated, shape (n, members).
    present: Bools
    #: Whether the local-authority partner consented to moving pooled money, shape (n, P).
    consent: Bools
    #: Whether pooled money held back without consent kept the board from moving what it
    #: wanted, shape (n, P).
    pooled_held: Bools
    #: Which ring-fences limited what the board could take, shape (n, n_rules).
    bound: Bools
    #: Pence moved to secondary care in each place, shape (n, P).
    moved: Pence

    def __len__(self) -> int:
        return int(self.month.size)

    @staticmethod
    def empty(places: int, members: int, rules: int) -> MeetingTable:
        """A table with no meetings."""
        z = np.zeros(0, dtype=np.int64)
        return MeetingTable(
            replication=z,
            month=z,
            extraordinary=np.zeros(0, dtype=bool),
            proposal=np.zeros((0, places), dtype=np.int64),
            cover=np.zeros((0, places)),
            support_before=np.zeros((0, places), dtype=np.int64),
            pivot=np.zeros((0, places), dtype=np.int64),
            quorate=np.zeros((0, places), dtype=bool),
            consensus=np.zeros((0, places), dtype=bool),
            present=np.zeros((0, members), dtype=bool),
            consent=np.zeros((0, places), dtype=bool),
            pooled_held=np.zeros((0, places), dtype=bool),
            bound=np.zeros((0, rules), dtype=bool),
            moved=np.zeros((0, places), dtype=np.int64),
        )

    @staticmethod
    def concat(tables: list[MeetingTable]) -> MeetingTable:
        """Join tables (of meetings or chunks), stably ordered by replication."""
        rep = np.concatenate([t.replication for t in tables])
        order = np.argsort(rep, kind="stable")
        joined = {
            f.name: np.concatenate([getattr(t, f.name) for t in tables])[order]
            for f in fields(MeetingTable)
        }
        return MeetingTable(**joined)

    def number(self) -> npt.NDArray[np.int64]:
        """Each row's meeting number within its replication (1, 2, ...), in time order."""
        out = np.ones(len(self), dtype=np.int64)
        if len(self):
            same = self.replication[1:] == self.replication[:-1]
            run = np.concatenate([[0], np.cumsum(~same)])
            starts = np.flatnonzero(np.concatenate([[True], ~same]))
            out = np.arange(len(self)) - starts[run] + 1
        return out


@dataclass(frozen=True)
class TransferTable:
    """Every recorded transfer as columns, one row per replication and account pair."""

    replication: npt.NDArray[np.int64]
    month: npt.NDArray[np.int64]
    source: npt.NDArray[np.int64]
    target: npt.NDArray[np.int64]
    amount: Pence
    recurrent: Bools
    reason: npt.NDArray[np.int64]
    reasons: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.amount.size)

    @staticmethod
    def from_journal(journal: list[Entry], replications: npt.NDArray[np.int64]) -> TransferTable:
        """Rows for every non-zero amount, ordered by replication then time of recording."""
        reasons: dict[str, int] = {}
        cols: dict[str, list[npt.NDArray[np.int64]]] = {
            k: [] for k in ("rep", "month", "src", "dst", "amt", "recur", "why")
        }
        for e in journal:
            lines, pairs = np.nonzero(e.amount)
            n = lines.size
            if not n:
                continue
            rows = lines if e.rows is None else e.rows[lines]
            code = reasons.setdefault(e.reason, len(reasons))
            cols["rep"].append(replications[rows])
            cols["month"].append(np.full(n, e.month, dtype=np.int64))
            cols["src"].append(e.source[pairs])
            cols["dst"].append(e.target[pairs])
            cols["amt"].append(e.amount[lines, pairs])
            cols["recur"].append(np.full(n, int(e.recurrent), dtype=np.int64))
            cols["why"].append(np.full(n, code, dtype=np.int64))
        cat = {
            k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in cols.items()
        }
        # Rows are in time order, and within an entry by replication then account pair, so a
        # stable sort by replication orders them by replication, then time, then pair.
        order = np.argsort(cat["rep"], kind="stable")
        names, recode = _sorted_codes(list(reasons))
        return TransferTable(
            replication=cat["rep"][order],
            month=cat["month"][order],
            source=cat["src"][order],
            target=cat["dst"][order],
            amount=cat["amt"][order],
            recurrent=cat["recur"][order].astype(bool),
            reason=recode[cat["why"][order]],
            reasons=names,
        )

    @staticmethod
    def concat(tables: list[TransferTable]) -> TransferTable:
        """Join tables of disjoint replication chunks, keeping each replication's order."""
        names = tuple(sorted({x for t in tables for x in t.reasons}))
        remapped = []
        for t in tables:
            codes = np.array([names.index(x) for x in t.reasons], dtype=np.int64)
            remapped.append(codes[t.reason] if len(t) else t.reason)
        rep = np.concatenate([t.replication for t in tables])
        order = np.argsort(rep, kind="stable")

        def join(name: str) -> npt.NDArray[np.int64]:
            out: npt.NDArray[np.int64] = np.concatenate([getattr(t, name) for t in tables])[order]
            return out

        return TransferTable(
            replication=rep[order],
            month=join("month"),
            source=join("source"),
            target=join("target"),
            amount=join("amount"),
            recurrent=np.concatenate([t.recurrent for t in tables])[order],
            reason=np.concatenate(remapped)[order],
            reasons=names,
        )


def _sorted_codes(reasons: list[str]) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """Reasons in sorted order, and the new code of each old one.

    A fixed order makes the table (and its files) the same however the run was chunked.
    """
    order = sorted(range(len(reasons)), key=lambda i: reasons[i])
    recode = np.zeros(max(len(reasons), 1), dtype=np.int64)
    recode[order] = np.arange(len(reasons))
    return tuple(reasons[i] for i in order), recode


@dataclass
class Results:
    """Everything a run produced, for a set of replication indices of one scenario."""

    scenario: Scenario
    replications: npt.NDArray[np.int64]
    place_names: tuple[str, ...]
    sector_names: tuple[str, ...]
    sector_kinds: tuple[str, ...]
    rule_names: tuple[str, ...]
    account_names: tuple[str, ...]
    #: need (including spill-over) and spend: the month's flows, pence, (R, M, P, S).
    flows: dict[str, Pence]
    #: Spill-over arriving in each place, pence (real numbers before rounding), (R, M, P).
    spill_total: Floats
    #: Each year's annual plan, pence, shape (R, Y, P, S).
    plans: Pence
    #: In-year board transfers into and out of each budget, per year, pence, (R, Y, P, S).
    year_transfers_in: Pence
    year_transfers_out: Pence
    #: reserve, deficit (negative = debt), allocated (cumulative): pence, shape (R, M).
    system_series: dict[str, Pence]
    #: Budget balances at each year end before closing, pence, shape (R, Y, P, S);
    #: negative = overspend.
    year_end_balance: Pence
    #: Times each ring-fence bound, shape (R, n_rules).
    bindings: npt.NDArray[np.int64]
    #: Times each ring-fence had to be relaxed because earlier rules left too little.
    shortfalls: npt.NDArray[np.int64]
    #: Extraordinary meetings held, per replication, shape (R,).
    extraordinary_meetings: npt.NDArray[np.int64]
    #: Meetings as recorded (one table per meeting); see :attr:`meetings`.
    meeting_parts: list[MeetingTable]
    #: The ledger's journal of each simulated chunk, with that chunk's replication indices.
    journals: list[tuple[list[Entry], npt.NDArray[np.int64]]] = field(
        default_factory=list, repr=False
    )
    #: The same transfers event by event as the engine booked them, for each simulated
    #: chunk (see :meth:`monthly_transfers`).
    moves: list[ChunkMoves] = field(default_factory=list, repr=False)
    policy_log: list[tuple[int, str, str]] = field(default_factory=list)
    #: The board's compromise division of growth money (month of the plan, shares by sector).
    plan_compromise: list[tuple[int, Floats]] = field(default_factory=list)
    #: Voting power of each board composition, with the month from which it sits.
    compositions: list[tuple[int, VotingPower]] = field(default_factory=list)
    #: Per replication and year, pence, shape (R, Y): ``in_year_deficit`` (the year's
    #: deficit before support), ``support`` (deficit support received), ``repaid`` and
    #: ``penalty`` (paid at the year's start), ``paused`` (non-recurrent in-year measures:
    #: recovery-plan pauses, or the non-recurrent part of board transfers) and
    #: ``slippage`` (returned to the reserve).
    finance: dict[str, Pence] = field(default_factory=dict)
    #: How far each year's plan moved towards the board's compromise (1 = all the way the
    #: pace allows, 0 = gridlock: the status quo), shape (R, Y); year 0 is 1.
    plan_agreed: Floats = field(default_factory=lambda: np.ones((0, 0)))
    #: Whether each year's plan was agreed by consensus (not by vote), shape (R, Y); the
    #: first year's plan is the scenario's own (False).
    plan_consensus: Bools = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    #: Each year's ``committed`` and ``slippage`` lines (funded first; never moved in-year),
    #: pence, shape (R, Y, P, S).
    lines: dict[str, Pence] = field(default_factory=dict)
    _transfers: TransferTable | None = field(default=None, repr=False)
    _series: dict[str, Pence] | None = field(default=None, repr=False)
    _meetings: MeetingTable | None = field(default=None, repr=False)

    @property
    def meetings(self) -> MeetingTable:
        """Every board meeting held, one row per replication and meeting."""
        if self._meetings is None:
            self._meetings = MeetingTable.concat(self.meeting_parts)
        return self._meetings

    def spill_in(self) -> Pence:
        """Spill-over arriving in each sector, pence, shape (R, M, P, S)."""
        return spill_in(self.spill_total, spill_weights(compile_system(self.scenario)))

    def spill_in_by_place(self) -> Pence:
        """Spill-over arriving in each place, summed over its sectors, pence, (R, M, P): the
        same pence as :meth:`spill_in` summed, computed on the receiving sectors only."""
        weights = spill_weights(compile_system(self.scenario))
        out: Pence = spill_in(self.spill_total, weights[weights > 0]).sum(axis=-1)
        return out

    @property
    def calendar(self) -> Calendar:
        """The run's financial calendar."""
        return Calendar(self.scenario.start_year, self.scenario.horizon_years)

    @property
    def n(self) -> int:
        """Number of replications."""
        return int(self.replications.size)

    def kind_mask(self, kind: str) -> Bools:
        """Sectors of a kind, shape (S,)."""
        return np.array([k == kind for k in self.sector_kinds], dtype=bool)

    @property
    def series(self) -> dict[str, Pence]:
        """Every measure per replication, month, place and sector, pence, shape (R, M, P, S).

        ``allocation`` (the year's plan), ``budget`` (plan plus in-year changes to date),
        ``need``, ``spend``, ``unmet``, ``spill_in``, ``transfers_in`` and ``transfers_out``
        (in-year money moved in the month: board transfers and recovery-plan pauses, which
        go to the reserve). Built on first use.
        """
        if self._series is None:
            need, spend = self.flows["need"], self.flows["spend"]
            r, m, p, s = need.shape
            allocation = np.repeat(self.plans, 12, axis=1)
            t_in, t_out = self.monthly_transfers()
            net = np.cumsum((t_in - t_out).reshape(r, -1, 12, p, s), axis=2)
            net = net.reshape(r, m, p, s)
            self._series = {
                "allocation": allocation,
                "budget": allocation + net,
                "need": need,
                "spend": spend,
                "unmet": need - spend,
                "spill_in": self.spill_in(),
                "transfers_in": t_in,
                "transfers_out": t_out,
            }
        return self._series

    def monthly_transfers(self, by_place: bool = True) -> tuple[Pence, Pence]:
        """In-year money into and out of each budget by month (board transfers between
        budgets, recovery-plan pauses out to the reserve), pence, (R, M, P, S); or with
        ``by_place`` false summed over places, (R, M, S). Built from the engine's record of
        each event (not kept: the time series keeps its own)."""
        r, m, p, s = self.flows["need"].shape
        return by_month(self.moves, self.replications, (r, m, p, s), by_place)

    def year_end_budgets(self) -> Pence:
        """Each year's final budgets (plan plus in-year transfers), pence, (R, Y, P, S)."""
        out: Pence = self.plans + self.year_transfers_in - self.year_transfers_out
        return out

    def transfers(self) -> TransferTable:
        """Every recorded transfer (built from the journals on first use)."""
        if self._transfers is None:
            tables = [TransferTable.from_journal(j, reps) for j, reps in self.journals]
            self._transfers = tables[0] if len(tables) == 1 else TransferTable.concat(tables)
        return self._transfers

    @staticmethod
    def concat(parts: list[Results]) -> Results:
        """Join results of disjoint chunks of replications of the same scenario."""
        first = parts[0]
        if len(parts) == 1:
            return first
        order = np.argsort(np.concatenate([p.replications for p in parts]), kind="stable")

        def cat(arrays: list[Any]) -> Any:
            return np.concatenate(arrays)[order]

        return Results(
            scenario=first.scenario,
            replications=np.concatenate([p.replications for p in parts])[order],
            place_names=first.place_names,
            sector_names=first.sector_names,
            sector_kinds=first.sector_kinds,
            rule_names=first.rule_names,
            account_names=first.account_names,
            flows={k: cat([p.flows[k] for p in parts]) for k in first.flows},
            plans=cat([p.plans for p in parts]),
            year_transfers_in=cat([p.year_transfers_in for p in parts]),
            year_transfers_out=cat([p.year_transfers_out for p in parts]),
            system_series={
                k: cat([p.system_series[k] for p in parts]) for k in first.system_series
            },
            year_end_balance=cat([p.year_end_balance for p in parts]),
            bindings=cat([p.bindings for p in parts]),
            shortfalls=cat([p.shortfalls for p in parts]),
            spill_total=cat([p.spill_total for p in parts]),
            extraordinary_meetings=cat([p.extraordinary_meetings for p in parts]),
            meeting_parts=[m for p in parts for m in p.meeting_parts],
            policy_log=first.policy_log,
            compositions=first.compositions,
            plan_compromise=first.plan_compromise,
            journals=[seg for p in parts for seg in p.journals],
            moves=[seg for p in parts for seg in p.moves],
            finance={k: cat([p.finance[k] for p in parts]) for k in first.finance},
            plan_agreed=cat([p.plan_agreed for p in parts]),
            plan_consensus=cat([p.plan_consensus for p in parts]),
            lines={k: cat([p.lines[k] for p in parts]) for k in first.lines},
        )

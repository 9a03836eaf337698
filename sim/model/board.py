"""The board's in-year transfer decision by the quota-pivot model, vectorised over replications.

Members' ideal transfers are proportional to the forecast secondary-care overspend ``F``:
member ``j`` would move ``stance_j * F``. Because every ideal scales with the same ``F``, the
decision reduces to choosing a fraction ``c`` of ``F``. The status quo is to move nothing. A
transfer of ``c * F`` passes when the present voting weight of members whose ideal is at
least ``c * F`` meets the rule's quota; the board moves the largest such amount, which is the
status quo clipped to the interval between the pivots (Krehbiel's pivotal politics on one
dimension). A supermajority needs more supporters, so the amount can only fall; unanimity
moves only what the least willing present member accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np
import numpy.typing as npt

from sim.model.randomness import ATTENDANCE, uniform_block
from sim.scenario.format import DEFAULT_STANCE, MAX_MEMBERS, Board, Constituency
from sim.units.calendar import Calendar

#: Every constituency, in a fixed order (their attendance columns come in this order).
CONSTITUENCIES: tuple[str, ...] = get_args(Constituency)
#: Attendance columns drawn per month: a block of MAX_MEMBERS per constituency.
ATTENDANCE_WIDTH = len(CONSTITUENCIES) * MAX_MEMBERS

Floats = npt.NDArray[np.float64]
#: Vote weights are counted in thousandths of a vote.
WEIGHT_UNITS = 1000
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Decision:
    """Outcome of one meeting in every replication."""

    #: Fraction of the forecast overspend the board agreed to move, shape (R,).
    cover: Floats
    #: Index of the pivotal member (the least willing supporter), -1 if no decision, shape (R,).
    pivot: Ints
    #: Whether enough voting weight was present, shape (R,).
    quorate: Bools
    #: Whether every present voting member accepted the amount (consensus), shape (R,).
    consensus: Bools


@dataclass(frozen=True)
class CompiledBoard:
    """A board as arrays: weights, voting flags, stances, chair."""

    names: tuple[str, ...]
    constituencies: tuple[str, ...]
    #: Vote weights in thousandths (integers), so that vote counts are exact.
    weight_units: Ints
    voting: Bools
    stance: Floats
    chair: int
    rule: str
    quorum: float
    casting_vote: bool
    absence_probability: float
    #: Place each member represents ("" for none).
    places: tuple[str, ...]
    #: First and last month (inclusive) each member sits on the board.
    start: Ints
    until: Ints
    #: Column of the attendance draws each member uses: members ranked by what they are
    #: (constituency, weight, voting, place), so relabelling or reordering members changes
    #: nothing; identical members are interchangeable.
    slots: Ints

    @property
    def size(self) -> int:
        """Number of members (voting or not)."""
        return len(self.names)

    def seated(self, month: int) -> Bools:
        """Members on the board in a month, shape (n,)."""
        out: Bools = (self.start <= month) & (month <= self.until)
        return out

    def subset(self, members: Ints) -> CompiledBoard:
        """The committee formed by some members (same rule, quorum and casting vote)."""
        keep = [int(i) for i in members]
        chair = keep.index(self.chair) if self.chair in keep else -1
        return CompiledBoard(
            names=tuple(self.names[i] for i in keep),
            constituencies=tuple(self.constituencies[i] for i in keep),
            weight_units=self.weight_units[keep],
            voting=self.voting[keep],
            stance=self.stance[keep],
            chair=chair,
            rule=self.rule,
            quorum=self.quorum,
            casting_vote=self.casting_vote,
            absence_probability=self.absence_probability,
            places=tuple(self.places[i] for i in keep),
            start=self.start[keep],
            until=self.until[keep],
            slots=self.slots[keep],
        )

    def decide(self, present: Bools, seated: Bools | None = None) -> Decision:
        """Decide the fraction of the forecast overspend to move.

        Args:
            present: members attending, shape (R, n).
            seated: members on the board at the time, shape (n,) (all when None); the quorum
                is a share of the seated voting members' weight.
        """
        if present.shape[0] > 1 and (present == present[:1]).all():
            # The same members attend everywhere: one decision serves every replication.
            one = self.decide(present[:1], seated)
            r = present.shape[0]
            return Decision(
                cover=np.repeat(one.cover, r),
                pivot=np.repeat(one.pivot, r),
                quorate=np.repeat(one.quorate, r),
                consensus=np.repeat(one.consensus, r),
            )
        voters = present & self.voting[None, :]
        # Weights are counted in integer thousandths, so every comparison below is exact.
        w = np.where(voters, self.weight_units[None, :], 0)
        total_present = w.sum(axis=1)
        members = self.voting if seated is None else self.voting & seated
        all_voting = int(self.weight_units[members].sum())
        quorate = total_present >= np.ceil(self.quorum * all_voting - 1e-9)
        quorate &= total_present > 0
        # Scan ideals from the most to the least willing; weight supporting "at least c".
        order = np.argsort(-self.stance, kind="stable")
        c_sorted = self.stance[order]
        support = np.cumsum(w[:, order], axis=1)
        # Members tied on stance support the same amounts: count the whole tie group.
        group_end = np.searchsorted(-c_sorted, -c_sorted, side="right") - 1
        support = support[:, group_end]
        total = total_present[:, None]
        if self.rule in ("simple_majority", "consensus_then_majority"):
            passes = 2 * support > total
            if self.casting_vote and self.chair >= 0:
                chair_ok = voters[:, self.chair][:, None] & (
                    self.stance[self.chair] >= c_sorted[None, :]
                )
                passes |= (2 * support == total) & chair_ok
        elif self.rule == "two_thirds":
            passes = 3 * support >= 2 * total
        else:  # unanimity
            passes = support >= total
        any_pass = passes.any(axis=1) & quorate
        first = np.argmax(passes, axis=1)
        cover = np.where(any_pass, c_sorted[first], 0.0)
        # The pivot is the first present voting member holding the decisive stance.
        decisive = voters & (self.stance[None, :] == cover[:, None])
        pivot = np.where(any_pass, np.argmax(decisive, axis=1), -1)
        # Consensus: the least willing present voter accepts the amount too.
        least = np.where(voters, self.stance[None, :], np.inf).min(axis=1)
        consensus = any_pass & (least >= cover)
        return Decision(
            cover=cover, pivot=pivot.astype(np.int64), quorate=quorate, consensus=consensus
        )

    def attendance(self, available: Bools) -> Bools:
        """Members present at a meeting, from the attendance columns (R, ATTENDANCE_WIDTH)."""
        present: Bools = available[:, self.slots]
        return present


def compile_board(board: Board, calendar: Calendar) -> CompiledBoard:
    """Arrays for a validated board (the compact seats expanded into members)."""
    stance: dict[Constituency, float] = {**DEFAULT_STANCE, **board.stance}
    members = board.all_members()
    chair = next((i for i, m in enumerate(members) if m.constituency == "chair" and m.voting), -1)
    # Attendance columns: each constituency has its own block of MAX_MEMBERS columns, and a
    # member takes the column of its rank in the block by what it is (weight, vote, place,
    # dates), then by order in the file. Reordering or renaming members changes nothing
    # (identical members are interchangeable), and adding a member never moves the draws of
    # members of other constituencies, nor of those it ranks after.
    what = [
        (-m.weight, not m.voting, m.place or "", m.start or "", m.until or "", i)
        for i, m in enumerate(members)
    ]
    slots = np.empty(len(members), dtype=np.int64)
    for c, constituency in enumerate(CONSTITUENCIES):
        block = sorted(
            (w for w, m in zip(what, members, strict=True) if m.constituency == constituency)
        )
        for rank, w in enumerate(block):
            slots[w[-1]] = c * MAX_MEMBERS + rank
    return CompiledBoard(
        names=tuple(m.name for m in members),
        constituencies=tuple(m.constituency for m in members),
        weight_units=np.array([round(m.weight * WEIGHT_UNITS) for m in members], dtype=np.int64),
        voting=np.array([m.voting for m in members], dtype=bool),
        stance=np.array([stance[m.constituency] for m in members], dtype=np.float64),
        chair=chair,
        rule=board.rule,
        quorum=board.quorum,
        casting_vote=board.casting_vote,
        absence_probability=board.absence_probability,
        places=tuple(m.place or "" for m in members),
        start=np.array(
            [calendar.month_index(m.start) if m.start else 0 for m in members], dtype=np.int64
        ),
        until=np.array(
            [calendar.month_index(m.until) if m.until else calendar.months - 1 for m in members],
            dtype=np.int64,
        ),
        slots=slots,
    )


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

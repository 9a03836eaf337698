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

import numpy as np
import numpy.typing as npt

from sim.scenario import DEFAULT_STANCE, Board, Constituency

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

    @property
    def size(self) -> int:
        """Number of members (voting or not)."""
        return len(self.names)

    def decide(self, present: Bools) -> Decision:
        """Decide the fraction of the forecast overspend to move.

        Args:
            present: members attending, shape (R, n).
        """
        if present.shape[0] > 1 and present.all():
            # Everyone attends everywhere: one decision serves every replication.
            one = self.decide(present[:1])
            r = present.shape[0]
            return Decision(
                cover=np.repeat(one.cover, r),
                pivot=np.repeat(one.pivot, r),
                quorate=np.repeat(one.quorate, r),
            )
        voters = present & self.voting[None, :]
        # Weights are counted in integer thousandths, so every comparison below is exact.
        w = np.where(voters, self.weight_units[None, :], 0)
        total_present = w.sum(axis=1)
        all_voting = int(self.weight_units[self.voting].sum())
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
        return Decision(cover=cover, pivot=pivot.astype(np.int64), quorate=quorate)

    def attendance(self, uniforms: Floats) -> Bools:
        """Members present at a meeting from attendance uniforms of shape (R, >= n)."""
        present: Bools = uniforms[:, : self.size] >= self.absence_probability
        return present


def compile_board(board: Board) -> CompiledBoard:
    """Arrays for a validated board."""
    stance: dict[Constituency, float] = {**DEFAULT_STANCE, **board.stance}
    members = board.members
    chair = next((i for i, m in enumerate(members) if m.constituency == "chair" and m.voting), -1)
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
    )

"""Exact voting power of board members: Shapley-Shubik and Banzhaf indices, by member and bloc.

The board counts votes as :mod:`sim.model.board` does: integer vote weights in thousandths
(:data:`sim.model.board.WEIGHT_UNITS`), only voting members count, and a coalition ``S`` of voting
members wins when

* ``simple_majority`` / ``consensus_then_majority``: ``2 w(S) > W`` (``W`` the total voting
  weight), or, with the chair's casting vote, ``2 w(S) == W`` and the chair is in ``S``;
* ``two_thirds``: ``3 w(S) >= 2 W``;
* ``unanimity``: ``w(S) == W`` (every voting member).

Quorum and absences do not enter: power is computed for the full composition.

Method (exact, integer arithmetic throughout; see ``docs/power.md``):

1. Every rule is written as a weighted game "``v(S) >= q``" with integer weights ``v``. The
   casting vote is made exact by doubling every weight and giving the chair one extra unit:
   ``v_j = 2 w_j`` (``2 w_chair + 1`` for the chair) and ``q = W + 1``. A coalition without
   the chair then wins iff ``2 w(S) >= W + 1``, i.e. ``2 w(S) > W``; one with the chair wins
   iff ``2 w(S) + 1 >= W + 1``, i.e. ``2 w(S) >= W``: exactly the tie-break rule.
2. Weights and quota are divided by the greatest common divisor of the weights
   (``v(S) >= q`` iff ``v(S)/g >= ceil(q/g)``): equal weights become 1 each.
3. A generating-function table ``N[k][x]`` counts coalitions of size ``k`` and weight ``x``
   for ``x <= B`` only, where ``B = min(q - 1, V - q)`` (``V`` the total): member ``i`` is
   pivotal for a coalition ``S`` of the others iff ``q - v_i <= v(S) <= q - 1``, or
   equivalently iff the complement ``S'`` of ``S`` among the others has
   ``V - q - v_i + 1 <= v(S') <= V - q``, so counting the smaller of the two windows
   suffices. Each member's table without that member is obtained from the full table by
   exact integer deconvolution (``N_-i[k][x] = N[k][x] - N_-i[k-1][x - v_i]``); members
   with the same weight share one computation.
4. ``swings_i = sum_k P_i[k]`` and ``SS_i = sum_k P_i[k] k! (n-1-k)! / n!`` (Python integers
   and :class:`fractions.Fraction`), converted to floats only at the end.

Cost: ``O(n^2 B)`` time and ``O(n B)`` memory with ``B <= V / 2`` after the division by the
common divisor. A board of one member one vote has ``B <= n / 2``; the worst case the scenario
schema allows (32 members with unrelated weights near 100 votes) has ``B`` about 1.6 million,
doubled by a casting vote (about 5 s and 0.5 GB; see ``docs/power.md``). Results are cached
per composition and rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sim.units.display import percent, table

Floats = npt.NDArray[np.float64]

#: Voting rules understood by :func:`voting_power` (the same as :mod:`sim.model.board`).
RULES: tuple[str, ...] = ("consensus_then_majority", "simple_majority", "two_thirds", "unanimity")
_MAJORITY_RULES = ("consensus_then_majority", "simple_majority")


@dataclass(frozen=True)
class BlocPower:
    """Voting power summed over the members of each constituency bloc.

    ``banzhaf_absolute`` of a bloc is the *sum* of its members' absolute Banzhaf indices
    (the expected number of the bloc's members who are decisive in a random division), not
    the power of the bloc acting as one player.
    """

    #: Constituencies in order of first appearance on the board.
    blocs: tuple[str, ...]
    #: Number of members (voting or not) in each bloc.
    members: tuple[int, ...]
    #: Number of voting members in each bloc.
    voting_members: tuple[int, ...]
    shapley_shubik: Floats
    banzhaf_normalised: Floats
    banzhaf_absolute: Floats


@dataclass(frozen=True)
class VotingPower:
    """Exact power indices of every member for one board composition and voting rule.

    Arrays are read-only, one value per member in board order; non-voting members have 0.
    """

    names: tuple[str, ...]
    constituencies: tuple[str, ...]
    voting: tuple[bool, ...]
    rule: str
    #: Whether the chair's casting vote actually applies (majority rule, voting chair).
    casting_vote: bool
    #: Index of the chair, -1 if none.
    chair: int
    #: Share of orderings of the voting members in which the member is pivotal (sums to 1).
    shapley_shubik: Floats
    #: Swings as a share of all swings (sums to 1).
    banzhaf_normalised: Floats
    #: Probability that the member's vote is decisive: ``swings / 2**(n - 1)``.
    banzhaf_absolute: Floats
    #: Exact Shapley-Shubik values.
    shapley_shubik_exact: tuple[Fraction, ...]
    #: Number of coalitions of the other voting members for which the member is decisive.
    swings: tuple[int, ...]
    #: Number of voting members.
    n_voting: int

    @property
    def banzhaf_normalised_exact(self) -> tuple[Fraction, ...]:
        """Exact normalised Banzhaf values."""
        total = sum(self.swings)
        return tuple(Fraction(s, total) if total else Fraction(0) for s in self.swings)

    @property
    def banzhaf_absolute_exact(self) -> tuple[Fraction, ...]:
        """Exact absolute Banzhaf values (probability of being decisive)."""
        if self.n_voting == 0:
            return tuple(Fraction(0) for _ in self.swings)
        coalitions = 2 ** (self.n_voting - 1)
        return tuple(Fraction(s, coalitions) for s in self.swings)

    def by_bloc(self) -> BlocPower:
        """The three indices summed over each constituency bloc (see :class:`BlocPower`)."""
        blocs = tuple(dict.fromkeys(self.constituencies))
        ss = self.shapley_shubik_exact
        bn = self.banzhaf_normalised_exact
        ba = self.banzhaf_absolute_exact

        def total(values: tuple[Fraction, ...], bloc: str) -> float:
            exact = sum(
                (v for v, c in zip(values, self.constituencies, strict=True) if c == bloc),
                Fraction(0),
            )
            return float(exact)

        return BlocPower(
            blocs=blocs,
            members=tuple(self.constituencies.count(b) for b in blocs),
            voting_members=tuple(
                sum(
                    1 for c, v in zip(self.constituencies, self.voting, strict=True) if c == b and v
                )
                for b in blocs
            ),
            shapley_shubik=_frozen([total(ss, b) for b in blocs]),
            banzhaf_normalised=_frozen([total(bn, b) for b in blocs]),
            banzhaf_absolute=_frozen([total(ba, b) for b in blocs]),
        )


def voting_power(
    names: Sequence[str],
    constituencies: Sequence[str],
    weight_units: Sequence[int] | npt.NDArray[np.integer[Any]],
    voting: Sequence[bool] | npt.NDArray[np.bool_],
    rule: str,
    casting_vote: bool,
    chair: int,
) -> VotingPower:
    """Exact Shapley-Shubik and Banzhaf indices for one board composition and rule.

    Args:
        names: member names, in board order.
        constituencies: each member's constituency (bloc).
        weight_units: vote weights in integer thousandths (positive for voting members).
        voting: whether each member votes; non-voting members get 0 and are not players.
        rule: one of :data:`RULES`.
        casting_vote: whether the chair breaks an exact tie under a majority rule.
        chair: index of the chair, -1 if none (a non-voting chair has no casting vote).

    Results are cached per composition and rule; the returned arrays are read-only.
    """
    key_weights = tuple(int(w) for w in weight_units)
    key_voting = tuple(bool(v) for v in voting)
    n = len(key_weights)
    if not (len(names) == len(constituencies) == len(key_voting) == n):
        raise ValueError("names, constituencies, weight_units and voting differ in length")
    if rule not in RULES:
        raise ValueError(f"unknown voting rule {rule!r}; expected one of {', '.join(RULES)}")
    if not -1 <= chair < n:
        raise ValueError(f"chair index {chair} out of range for {n} members")
    if any(w <= 0 for w, v in zip(key_weights, key_voting, strict=True) if v):
        raise ValueError("voting members need a positive weight")
    return _voting_power_cached(
        tuple(names),
        tuple(constituencies),
        key_weights,
        key_voting,
        rule,
        bool(casting_vote),
        int(chair),
    )


class BoardLike(Protocol):
    """What :func:`board_power` reads from a board, e.g. a :class:`sim.model.board.CompiledBoard`."""

    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def constituencies(self) -> tuple[str, ...]: ...
    @property
    def weight_units(self) -> npt.NDArray[np.int64]: ...
    @property
    def voting(self) -> npt.NDArray[np.bool_]: ...
    @property
    def rule(self) -> str: ...
    @property
    def casting_vote(self) -> bool: ...
    @property
    def chair(self) -> int: ...


def board_power(board: BoardLike) -> VotingPower:
    """Voting power of a compiled board (its members, weights, rule, casting vote and chair)."""
    return voting_power(
        board.names,
        board.constituencies,
        board.weight_units,
        board.voting,
        board.rule,
        board.casting_vote,
        board.chair,
    )


def format_power(vp: VotingPower) -> str:
    """A short fixed-width table of power by bloc, then by member (percentages)."""
    rule = vp.rule.replace("_", " ")
    casting = ", chair's casting vote" if vp.casting_vote else ""
    blocs = vp.by_bloc()
    indices = ["Shapley-Shubik", "Banzhaf", "Banzhaf abs"]
    by_bloc = [
        [b, str(blocs.members[j]), *(percent(x[j]) for x in _indices(blocs))]
        for j, b in enumerate(blocs.blocs)
    ]
    by_member = [
        [
            name,
            vp.constituencies[i],
            *(percent(x[i]) for x in _indices(vp)),
            "" if vp.voting[i] else "(non-voting)",
        ]
        for i, name in enumerate(vp.names)
    ]
    right = [False, False, True, True, True, False]
    return "\n".join(
        [
            f"Voting power ({rule}{casting}; {vp.n_voting} voting members)",
            table(["bloc", "members", *indices], by_bloc, [False, *right[2:]]),
            "",
            table(["member", "bloc", *indices, ""], by_member, right),
        ]
    )


def _indices(power: Any) -> tuple[Floats, Floats, Floats]:
    """The three indices of a :class:`VotingPower` or of its bloc summary."""
    return power.shapley_shubik, power.banzhaf_normalised, power.banzhaf_absolute


def weighted_game(
    weights: Sequence[int], rule: str, casting_vote: bool, chair: int
) -> tuple[tuple[int, ...], int]:
    """The rule as a weighted game ``v(S) >= q`` on the voting members, reduced by the GCD.

    Args:
        weights: positive integer weights of the voting members only.
        rule: one of :data:`RULES`.
        casting_vote: whether the chair's casting vote applies.
        chair: index of the chair among ``weights``, -1 if none.

    Returns:
        The game's weights and quota, divided by the weights' greatest common divisor.
    """
    total = sum(weights)
    if rule in _MAJORITY_RULES and casting_vote and chair >= 0:
        # Doubling and one extra unit for the chair turns the tie-break into a strict quota.
        v = [2 * w + (1 if j == chair else 0) for j, w in enumerate(weights)]
        quota = total + 1
    elif rule in _MAJORITY_RULES:
        v, quota = list(weights), total // 2 + 1  # 2 w > W
    elif rule == "two_thirds":
        v, quota = list(weights), -(-2 * total // 3)  # 3 w >= 2 W, i.e. w >= ceil(2W/3)
    else:  # unanimity
        v, quota = list(weights), total
    g = math.gcd(*v) if v else 1
    return tuple(x // g for x in v), -(-quota // g)


def pivot_counts(v: Sequence[int], quota: int) -> list[list[int]]:
    """For each player, the number of coalitions of the others, by size, it turns into a win.

    ``result[i][k]`` counts coalitions ``S`` of the other players with ``|S| = k``,
    ``v(S) < quota <= v(S) + v[i]``. Exact: integer counts from a truncated generating-function
    table and deconvolution (see the module docstring).
    """
    n = len(v)
    if n == 0:
        return []
    total = sum(v)
    direct = quota - 1 <= total - quota
    top = quota - 1 if direct else total - quota  # largest coalition weight counted
    width = top + 1
    dtype = _count_dtype(n)
    full = np.zeros((n + 1, width), dtype=dtype)
    full[0, 0] = 1
    for m, w in enumerate(v):
        if w > top:
            continue  # cannot appear in a coalition of weight <= top
        # Add player m: sizes in decreasing order so each player is used at most once.
        for k in range(m, -1, -1):
            full[k + 1, w:] += full[k, : width - w]
    acc = object if dtype is object else np.int64  # row sums never overflow
    result: dict[int, list[int]] = {}
    for w in sorted(set(v)):
        # Rows of the table without one player of weight w, one size at a time: the row of
        # size k is full[k] minus the previous row shifted by w (exact integer deconvolution).
        lo = max(0, quota - w) if direct else max(0, total - quota - w + 1)
        row = full[0].copy()
        in_window = [int(row[lo:].sum(dtype=acc))]
        for k in range(1, n):
            previous, row = row, full[k].copy()
            if w <= top:
                row[w:] -= previous[: width - w]
            in_window.append(int(row[lo:].sum(dtype=acc)))
        # Complement window: a complement of size m among the n - 1 others is a coalition of
        # size n - 1 - m.
        result[w] = in_window if direct else in_window[::-1]
    return [list(result[w]) for w in v]


@lru_cache(maxsize=256)
def _voting_power_cached(
    names: tuple[str, ...],
    constituencies: tuple[str, ...],
    weight_units: tuple[int, ...],
    voting: tuple[bool, ...],
    rule: str,
    casting_vote: bool,
    chair: int,
) -> VotingPower:
    players = [i for i, on in enumerate(voting) if on]
    n = len(players)
    chair_player = players.index(chair) if chair >= 0 and voting[chair] else -1
    casting = casting_vote and rule in _MAJORITY_RULES and chair_player >= 0
    ss_exact = [Fraction(0)] * len(names)
    swings = [0] * len(names)
    if n:
        v, quota = weighted_game(
            [weight_units[i] for i in players], rule, casting, chair_player if casting else -1
        )
        counts = pivot_counts(v, quota)
        n_fact = math.factorial(n)
        # k! (n - 1 - k)!: orderings in which a given coalition of size k precedes the player.
        orders = [math.factorial(k) * math.factorial(n - 1 - k) for k in range(n)]
        for p, i in enumerate(players):
            swings[i] = sum(counts[p])
            ss_exact[i] = Fraction(
                sum(c * o for c, o in zip(counts[p], orders, strict=True)), n_fact
            )
    total_swings = sum(swings)
    return VotingPower(
        names=names,
        constituencies=constituencies,
        voting=voting,
        rule=rule,
        casting_vote=casting,
        chair=chair,
        shapley_shubik=_frozen([float(x) for x in ss_exact]),
        banzhaf_normalised=_frozen(
            [s / total_swings if total_swings else 0.0 for s in swings]  # int / int rounds once
        ),
        banzhaf_absolute=_frozen([s / 2 ** (n - 1) if n else 0.0 for s in swings]),
        shapley_shubik_exact=tuple(ss_exact),
        swings=tuple(swings),
        n_voting=n,
    )


def _count_dtype(n: int) -> type[np.integer[Any]] | type[object]:
    """Smallest exact dtype for coalition counts among ``n`` players (at most C(n, n // 2))."""
    largest = math.comb(n, n // 2)
    if largest < 2**31:
        return np.int32
    if largest < 2**63:
        return np.int64
    return object


def _frozen(values: Sequence[float]) -> Floats:
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out

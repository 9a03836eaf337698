"""Exact voting power: games derived by hand, brute-force cross-checks and properties."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.power import (
    RULES,
    VotingPower,
    board_power,
    format_power,
    pivot_counts,
    voting_power,
    weighted_game,
)
from sim.scenario.loader import load_scenario

F = Fraction


def power(
    weights: Sequence[int],
    rule: str = "simple_majority",
    casting_vote: bool = False,
    chair: int = -1,
    voting: Sequence[bool] | None = None,
    constituencies: Sequence[str] | None = None,
) -> VotingPower:
    n = len(weights)
    return voting_power(
        [f"m{i}" for i in range(n)],
        list(constituencies) if constituencies is not None else [f"c{i}" for i in range(n)],
        list(weights),
        list(voting) if voting is not None else [True] * n,
        rule,
        casting_vote,
        chair,
    )


def exact(ss: Sequence[Fraction | int]) -> list[Fraction]:
    return [F(x) for x in ss]


# --- brute force, from the rule definitions in sim/model/board.py (not the weighted game) ---


def wins(
    coalition: Sequence[int],
    weights: Sequence[int],
    voters: Sequence[int],
    rule: str,
    casting_vote: bool,
    chair: int,
) -> bool:
    """Whether a coalition (member indices) carries a vote of all voting members."""
    w = sum(weights[i] for i in coalition)
    total = sum(weights[i] for i in voters)
    if rule in ("simple_majority", "consensus_then_majority"):
        chair_votes = casting_vote and chair >= 0 and chair in voters
        return 2 * w > total or (chair_votes and 2 * w == total and chair in coalition)
    if rule == "two_thirds":
        return 3 * w >= 2 * total
    return w == total


def brute_banzhaf(
    weights: Sequence[int], voting: Sequence[bool], rule: str, casting_vote: bool, chair: int
) -> tuple[list[int], list[Fraction]]:
    """Swings by enumerating every coalition, and Shapley-Shubik from the coalition formula."""
    voters = [i for i, v in enumerate(voting) if v]
    n = len(voters)
    swings = [0] * len(weights)
    ss = [F(0)] * len(weights)
    for i in voters:
        others = [j for j in voters if j != i]
        for size in range(n):
            for s in itertools.combinations(others, size):
                if not wins(s, weights, voters, rule, casting_vote, chair) and wins(
                    (*s, i), weights, voters, rule, casting_vote, chair
                ):
                    swings[i] += 1
                    ss[i] += F(
                        math.factorial(size) * math.factorial(n - size - 1), math.factorial(n)
                    )
    return swings, ss


def brute_shapley_by_orderings(
    weights: Sequence[int], voting: Sequence[bool], rule: str, casting_vote: bool, chair: int
) -> list[Fraction]:
    """Shapley-Shubik by walking every ordering of the voters to its pivot."""
    voters = [i for i, v in enumerate(voting) if v]
    pivots = [0] * len(weights)
    orderings = 0
    for order in itertools.permutations(voters):
        orderings += 1
        for k in range(len(order)):
            if wins(order[: k + 1], weights, voters, rule, casting_vote, chair):
                pivots[order[k]] += 1
                break
    return [F(p, orderings) if orderings else F(0) for p in pivots]


# --- games derived by hand ---


def test_three_equal_members() -> None:
    # Any two of three win. In each of the 3! orderings the second member is pivotal, and each
    # member is second in 2 of 6: SS 1/3. Member i swings {j} and {k} (not {} or {j, k}):
    # 2 swings of 2**2 coalitions, absolute Banzhaf 1/2.
    vp = power([1, 1, 1])
    assert exact(vp.shapley_shubik_exact) == [F(1, 3)] * 3
    assert vp.swings == (2, 2, 2)
    assert exact(vp.banzhaf_absolute_exact) == [F(1, 2)] * 3
    np.testing.assert_allclose(vp.banzhaf_absolute, 0.5)


def test_two_one_one() -> None:
    # W = 4, win iff w > 2: {A,B}, {A,C}, {A,B,C}; {B,C} = 2 is a tie and loses. A is pivotal
    # in 2nd or 3rd place (4 of 6 orderings): 2/3; B and C split the other 2 orderings (A first,
    # then B or C second): 1/6 each. Swings: A {B},{C},{B,C} = 3; B {A} = 1; C {A} = 1; so the
    # normalised Banzhaf index is 3/5, 1/5, 1/5.
    vp = power([2, 1, 1])
    assert exact(vp.shapley_shubik_exact) == [F(2, 3), F(1, 6), F(1, 6)]
    assert exact(vp.banzhaf_normalised_exact) == [F(3, 5), F(1, 5), F(1, 5)]
    assert exact(vp.banzhaf_absolute_exact) == [F(3, 4), F(1, 4), F(1, 4)]


def test_dictator() -> None:
    # W = 5, win iff w >= 3: A (weight 3) wins alone and nothing wins without A. A is pivotal
    # in every ordering and swings all 4 coalitions of {B, C}; B and C never matter.
    vp = power([3, 1, 1])
    assert exact(vp.shapley_shubik_exact) == [1, 0, 0]
    assert vp.swings == (4, 0, 0)
    assert exact(vp.banzhaf_absolute_exact) == [1, 0, 0]


def test_fifty_forty_nine_one() -> None:
    # W = 100, win iff w > 50. {A,B} = 99 and {A,C} = 51 win but {B,C} = 50 is a tie and
    # loses, and A = 50 alone is a tie too: A is a veto player and the game is the same as
    # (2, 1, 1): 2/3, 1/6, 1/6 (not 1/3 each; "any two win" needs a quota of 50).
    assert exact(power([50, 49, 1]).shapley_shubik_exact) == [F(2, 3), F(1, 6), F(1, 6)]
    # Weights (49, 49, 2): every pair has more than 50, no single member does: 1/3 each.
    assert exact(power([49, 49, 2]).shapley_shubik_exact) == [F(1, 3)] * 3
    # With A in the chair and a casting vote, A's tie of 50 alone wins: A is a dictator.
    assert exact(power([50, 49, 1], casting_vote=True, chair=0).shapley_shubik_exact) == [1, 0, 0]
    # With B in the chair, {B,C} wins its tie, so any two win: 1/3 each.
    vp = power([50, 49, 1], casting_vote=True, chair=1)
    assert exact(vp.shapley_shubik_exact) == [F(1, 3)] * 3


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_unanimity(n: int) -> None:
    # Only the grand coalition wins, so the last member of every ordering is pivotal (1/n each)
    # and each member swings exactly one coalition (all the others) of 2**(n-1).
    vp = power([1000 * (i + 1) for i in range(n)], rule="unanimity")
    assert exact(vp.shapley_shubik_exact) == [F(1, n)] * n
    assert vp.swings == (1,) * n
    assert exact(vp.banzhaf_absolute_exact) == [F(1, 2 ** (n - 1))] * n


def test_two_thirds_of_four() -> None:
    # W = 4, win iff 3w >= 8, i.e. w >= 8/3, so 3 of 4 are needed: by symmetry SS 1/4 each.
    # A member swings the 3 pairs of the others: absolute Banzhaf 3/8.
    vp = power([1, 1, 1, 1], rule="two_thirds")
    assert exact(vp.shapley_shubik_exact) == [F(1, 4)] * 4
    assert vp.swings == (3, 3, 3, 3)
    assert exact(vp.banzhaf_absolute_exact) == [F(3, 8)] * 4


def test_four_equal_members_with_the_chairs_casting_vote() -> None:
    # Chair C and A, B, D, one vote each; W = 4: three votes win, and a 2-2 tie goes to the
    # chair's side. Orderings: with C in place 1 the 2nd member completes a winning pair; in
    # place 2 or 3 C is pivotal ({X,C} wins the tie; {X,Y} lost and {X,Y,C} wins); in place 4
    # the 3rd member is pivotal. So SS_C = 2/4 = 1/2 and the others share 1/2: 1/6 each.
    # Swings of C: {X} (3 of them, tie won with C) and {X,Y} (3, tie lost without C) = 6.
    # Swings of A: {C} ({A,C} wins the tie) and {B,D} ({A,B,D} = 3) = 2; likewise B and D.
    # Normalised Banzhaf: 6/12 = 1/2 and 2/12 = 1/6; absolute 6/8 = 3/4 and 2/8 = 1/4.
    vp = power([1, 1, 1, 1], casting_vote=True, chair=0)
    assert exact(vp.shapley_shubik_exact) == [F(1, 2), F(1, 6), F(1, 6), F(1, 6)]
    assert vp.swings == (6, 2, 2, 2)
    assert exact(vp.banzhaf_normalised_exact) == [F(1, 2), F(1, 6), F(1, 6), F(1, 6)]
    assert exact(vp.banzhaf_absolute_exact) == [F(3, 4), F(1, 4), F(1, 4), F(1, 4)]
    # The same board under consensus-then-majority counts votes the same way.
    same = power([1, 1, 1, 1], rule="consensus_then_majority", casting_vote=True, chair=0)
    assert same.shapley_shubik_exact == vp.shapley_shubik_exact
    # The casting vote does nothing under two-thirds or unanimity, or without a chair.
    assert exact(power([1] * 4, "two_thirds", True, 0).shapley_shubik_exact) == [F(1, 4)] * 4
    assert exact(power([1] * 4, "unanimity", True, 0).shapley_shubik_exact) == [F(1, 4)] * 4
    assert exact(power([1] * 4, casting_vote=True, chair=-1).shapley_shubik_exact) == [F(1, 4)] * 4


def test_odd_board_casting_vote_changes_nothing() -> None:
    # With 5 equal votes there is never a tie, so the chair's casting vote is never used.
    assert exact(power([1] * 5, casting_vote=True, chair=2).shapley_shubik_exact) == [F(1, 5)] * 5


def test_a_dummy_that_is_not_a_zero_weight() -> None:
    # Weights (2, 2, 2, 1), W = 7, win iff w >= 4. The others' coalitions weigh 0, 2, 4 or 6,
    # never 3, so D never turns a loss into a win: a dummy. A, B, C win in any pair: 1/3 each.
    # A's swings: {B}, {C}, {B,D}, {C,D} = 4 of 8, absolute 1/2.
    vp = power([2, 2, 2, 1])
    assert exact(vp.shapley_shubik_exact) == [F(1, 3)] * 3 + [0]
    assert vp.swings == (4, 4, 4, 0)


def test_non_voting_member_has_no_power_and_changes_nothing() -> None:
    with_participant = power([2, 5, 1, 1], voting=[True, False, True, True])
    without = power([2, 1, 1])
    assert with_participant.shapley_shubik_exact[1] == 0
    assert with_participant.swings[1] == 0
    assert with_participant.banzhaf_absolute[1] == 0.0
    kept = [0, 2, 3]
    assert [with_participant.shapley_shubik_exact[i] for i in kept] == list(
        without.shapley_shubik_exact
    )
    assert [with_participant.swings[i] for i in kept] == list(without.swings)
    np.testing.assert_array_equal(with_participant.banzhaf_absolute[kept], without.banzhaf_absolute)
    assert with_participant.n_voting == 3
    # A non-voting chair has no casting vote.
    four = power(
        [1, 1, 1, 1, 1], casting_vote=True, chair=0, voting=[False, True, True, True, True]
    )
    assert not four.casting_vote
    assert exact(four.shapley_shubik_exact) == [0] + [F(1, 4)] * 4


def test_decimal_weights_are_exact() -> None:
    # Weights 0.1, 0.2, 0.3 are 100, 200, 300 thousandths; W = 600, win iff w > 300.
    # {0.1, 0.2} = 300 is an exact tie and loses (in floating point 0.1 + 0.2 > 0.3 and it
    # would wrongly win); {0.3} alone ties too. So 0.3 is a veto player: (1/6, 1/6, 2/3).
    vp = power([100, 200, 300])
    assert exact(vp.shapley_shubik_exact) == [F(1, 6), F(1, 6), F(2, 3)]
    assert exact(vp.banzhaf_normalised_exact) == [F(1, 5), F(1, 5), F(3, 5)]
    # Two-thirds needs 3w >= 1200, w >= 400: {0.1, 0.3} (exactly 400) and {0.2, 0.3} win.
    assert exact(power([100, 200, 300], "two_thirds").shapley_shubik_exact) == [
        F(1, 6),
        F(1, 6),
        F(2, 3),
    ]
    # With 0.1 in the chair, {0.1, 0.2} wins its tie: any two win, 1/3 each.
    chaired = power([100, 200, 300], casting_vote=True, chair=0)
    assert exact(chaired.shapley_shubik_exact) == [F(1, 3)] * 3


def test_weighted_game_reduction() -> None:
    # Equal weights in thousandths become one each; the quota is rounded up after dividing.
    assert weighted_game([1000] * 4, "simple_majority", False, -1) == ((1, 1, 1, 1), 3)
    assert weighted_game([1000] * 4, "two_thirds", False, -1) == ((1, 1, 1, 1), 3)
    assert weighted_game([1000] * 4, "unanimity", False, -1) == ((1, 1, 1, 1), 4)
    # Casting vote: weights doubled, one extra unit for the chair, quota W + 1.
    assert weighted_game([1000] * 4, "simple_majority", True, 0) == ((2001, 2000, 2000, 2000), 4001)
    assert weighted_game([1, 1, 1, 1], "simple_majority", True, 0) == ((3, 2, 2, 2), 5)


def test_large_boards_use_wider_integers_exactly() -> None:
    # n equal votes, simple majority, n even: a member is decisive when exactly n/2 of the
    # other n - 1 vote yes, C(n - 1, n/2) coalitions. 40 members need int64, 70 Python ints.
    for n in (40, 70):
        counts = pivot_counts([1] * n, n // 2 + 1)
        assert sum(counts[0]) == math.comb(n - 1, n // 2)
        assert counts[0][n // 2] == math.comb(n - 1, n // 2)


def test_twelve_members_with_casting_vote_by_hand() -> None:
    # Chair plus 11, one vote each: 7 win, a 6-6 tie goes to the chair's side. As for four
    # members, the chair is pivotal in places 6 and 7 of 12: SS 1/6; the others 5/66 each.
    # Chair's swings: 5 or 6 of the other 11, C(11,5) + C(11,6) = 924. Another member's:
    # the chair and 4 of the other 10 (C(10,4) = 210) or 6 of the 10 without the chair (210).
    vp = power([1000] * 12, rule="consensus_then_majority", casting_vote=True, chair=0)
    assert exact(vp.shapley_shubik_exact) == [F(1, 6)] + [F(5, 66)] * 11
    assert vp.swings == (924,) + (420,) * 11


# --- brute-force cross-checks and properties ---


Board = tuple[list[int], list[bool], str, bool, int]


@st.composite
def boards(
    draw: st.DrawFn,
    max_n: int = 8,
    max_weight: int = 6,
    scales: Sequence[int] = (1, 100, 250, 1000),
) -> Board:
    """A random board: weights (thousandths), voting flags, rule, casting vote, chair."""
    n = draw(st.integers(1, max_n))
    weights = draw(st.lists(st.integers(1, max_weight), min_size=n, max_size=n))
    scale = draw(st.sampled_from(list(scales)))
    voting = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    rule = draw(st.sampled_from(RULES))
    casting = draw(st.booleans())
    chair = draw(st.integers(-1, n - 1))
    return [w * scale for w in weights], voting, rule, casting, chair


@given(boards() | boards(max_n=10, max_weight=100_000, scales=(1,)))
def test_matches_enumeration_of_coalitions(
    board: Board,
) -> None:
    # Small boards at round scales, and boards of up to 10 members with weights up to 100
    # votes in thousandths: wide tables, no common divisor to divide out.
    weights, voting, rule, casting, chair = board
    vp = power(weights, rule, casting, chair, voting)
    swings, ss = brute_banzhaf(weights, voting, rule, casting, chair)
    assert list(vp.swings) == swings
    assert list(vp.shapley_shubik_exact) == ss


@given(boards(max_n=6))
def test_matches_enumeration_of_orderings(
    board: Board,
) -> None:
    weights, voting, rule, casting, chair = board
    vp = power(weights, rule, casting, chair, voting)
    assert list(vp.shapley_shubik_exact) == brute_shapley_by_orderings(
        weights, voting, rule, casting, chair
    )


@given(boards(max_n=12, max_weight=50))
def test_indices_sum_to_one(board: Board) -> None:
    weights, voting, rule, casting, chair = board
    vp = power(weights, rule, casting, chair, voting)
    if vp.n_voting == 0:
        assert not vp.shapley_shubik.any() and not vp.banzhaf_normalised.any()
        return
    assert sum(vp.shapley_shubik_exact) == 1
    assert sum(vp.banzhaf_normalised_exact) == 1
    assert vp.shapley_shubik.sum() == pytest.approx(1.0, abs=1e-12)
    assert vp.banzhaf_normalised.sum() == pytest.approx(1.0, abs=1e-12)
    assert ((vp.banzhaf_absolute >= 0) & (vp.banzhaf_absolute <= 1)).all()
    blocs = vp.by_bloc()
    assert blocs.shapley_shubik.sum() == pytest.approx(1.0, abs=1e-12)
    assert blocs.banzhaf_normalised.sum() == pytest.approx(1.0, abs=1e-12)
    assert blocs.banzhaf_absolute.sum() == pytest.approx(vp.banzhaf_absolute.sum(), abs=1e-12)


@given(st.integers(1, 32), st.sampled_from(RULES), st.sampled_from([1, 500, 1000, 2000]))
def test_one_member_one_vote_gives_everyone_one_nth(n: int, rule: str, weight: int) -> None:
    # Equal weights and no casting vote: the game is symmetric, so whatever the quota every
    # member has the same power, and the indices sum to 1: 1/n each.
    vp = power([weight] * n, rule)
    assert exact(vp.shapley_shubik_exact) == [F(1, n)] * n
    assert exact(vp.banzhaf_normalised_exact) == [F(1, n)] * n
    np.testing.assert_allclose(vp.shapley_shubik, 1 / n, rtol=1e-15)


@given(boards(max_n=10, max_weight=20), st.randoms(use_true_random=False))
def test_relabelling_permutes_the_indices(board: Board, rng: random.Random) -> None:
    weights, voting, rule, casting, chair = board
    n = len(weights)
    perm = list(range(n))
    rng.shuffle(perm)  # member perm[j] of the original sits in seat j of the relabelled board
    vp = power(weights, rule, casting, chair, voting)
    moved = power(
        [weights[p] for p in perm],
        rule,
        casting,
        perm.index(chair) if chair >= 0 else -1,
        [voting[p] for p in perm],
    )
    assert list(moved.shapley_shubik_exact) == [vp.shapley_shubik_exact[p] for p in perm]
    assert list(moved.swings) == [vp.swings[p] for p in perm]


def test_cached_and_read_only() -> None:
    a = power([3, 2, 2], "two_thirds")
    b = power([3, 2, 2], "two_thirds")
    assert a is b
    with pytest.raises(ValueError):
        a.shapley_shubik[0] = 0.5


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="rule"):
        power([1, 1], rule="plurality")
    with pytest.raises(ValueError, match="positive"):
        power([1, 0])
    with pytest.raises(ValueError, match="chair"):
        power([1, 1], casting_vote=True, chair=2)
    with pytest.raises(ValueError, match="length"):
        voting_power(["a"], ["b"], [1, 1], [True, True], "simple_majority", False, -1)
    # A zero-weight non-voting member is fine.
    assert power([1, 0], voting=[True, False]).swings == (1, 0)


def test_bloc_aggregation_sums_members() -> None:
    vp = power([2, 1, 1, 1], constituencies=["trust", "gp", "trust", "la"], voting=[True] * 4)
    blocs = vp.by_bloc()
    assert blocs.blocs == ("trust", "gp", "la")
    assert blocs.members == (2, 1, 1)
    for j, b in enumerate(blocs.blocs):
        mine = [i for i, c in enumerate(vp.constituencies) if c == b]
        assert blocs.shapley_shubik[j] == pytest.approx(vp.shapley_shubik[mine].sum())
        assert blocs.banzhaf_normalised[j] == pytest.approx(vp.banzhaf_normalised[mine].sum())
        assert blocs.banzhaf_absolute[j] == pytest.approx(vp.banzhaf_absolute[mine].sum())


def test_format_power() -> None:
    vp = power([1, 1, 1, 1], casting_vote=True, chair=0, constituencies=["chair", "a", "a", "b"])
    text = format_power(vp)
    lines = text.splitlines()
    assert "bloc" in lines[1] and "Shapley-Shubik" in lines[1] and "Banzhaf" in lines[1]
    assert set(lines[2]) == {"-"}
    assert lines[3].split() == ["chair", "1", "50.0%", "50.0%", "75.0%"]
    assert lines[4].split() == ["a", "2", "33.3%", "33.3%", "50.0%"]
    assert any(line.split()[:2] == ["m3", "b"] for line in lines)


# --- the baseline board ---


@dataclass(frozen=True)
class _Compiled:
    names: tuple[str, ...]
    constituencies: tuple[str, ...]
    weight_units: npt.NDArray[np.int64]
    voting: npt.NDArray[np.bool_]
    rule: str
    casting_vote: bool
    chair: int


def baseline_board(
    path: Path, rule: str | None = None, casting_vote: bool | None = None
) -> _Compiled:
    board = load_scenario(path).board
    members = board.members
    return _Compiled(
        names=tuple(m.name for m in members),
        constituencies=tuple(m.constituency for m in members),
        weight_units=np.array([round(m.weight * 1000) for m in members], dtype=np.int64),
        voting=np.array([m.voting for m in members]),
        rule=rule or board.rule,
        casting_vote=board.casting_vote if casting_vote is None else casting_vote,
        chair=next(i for i, m in enumerate(members) if m.constituency == "chair"),
    )


def test_baseline_board(baseline_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cb = baseline_board(baseline_path)
    assert len(cb.names) == 12 and cb.casting_vote
    vp = board_power(cb)
    assert sum(vp.shapley_shubik_exact) == 1
    assert sum(vp.banzhaf_normalised_exact) == 1
    others = [i for i in range(12) if i != cb.chair]
    # The chair's casting vote makes the chair stronger than any other member.
    assert all(vp.shapley_shubik[cb.chair] > vp.shapley_shubik[i] for i in others)
    assert all(vp.banzhaf_absolute[cb.chair] > vp.banzhaf_absolute[i] for i in others)
    assert vp.shapley_shubik_exact[cb.chair] == F(1, 6)
    blocs = vp.by_bloc()
    assert blocs.members[blocs.blocs.index("executive")] == 4
    assert blocs.shapley_shubik[blocs.blocs.index("executive")] == pytest.approx(4 * 5 / 66)
    assert blocs.shapley_shubik[blocs.blocs.index("primary_care")] == pytest.approx(5 / 66)
    for rule in RULES:
        for casting in (False, True):
            other = board_power(baseline_board(baseline_path, rule, casting))
            assert other.shapley_shubik.sum() == pytest.approx(1.0, abs=1e-12)
            if not (casting and rule in ("simple_majority", "consensus_then_majority")):
                assert exact(other.shapley_shubik_exact) == [F(1, 12)] * 12
    assert format_power(vp)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""

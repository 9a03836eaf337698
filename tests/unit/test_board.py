"""The quota-pivot decision: worked examples and properties a governance expert expects."""

from __future__ import annotations

from fractions import Fraction
from typing import get_args

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.model.board import compile_board
from sim.scenario.format import Board, Constituency, Member
from sim.units.calendar import Calendar

CAL = Calendar(2025, 5)
# Every constituency but the chair (a board has at most one).
CONSTITUENCIES = [c for c in get_args(Constituency) if c != "chair"]


def board(constituencies: list[str], rule: str = "simple_majority", **kw: object) -> Board:
    members = [Member(name=f"m{i}", constituency=c) for i, c in enumerate(constituencies)]  # type: ignore[arg-type]
    return Board(members=members, rule=rule, **kw)  # type: ignore[arg-type]


def cover(b: Board, present: list[bool] | None = None) -> float:
    cb = compile_board(b, CAL)
    pres = np.array([present if present is not None else [True] * cb.size])
    return float(cb.decide(pres).cover[0])


def test_baseline_like_board_moves_half_the_overspend() -> None:
    # Stances: trust 1.0 x2, executives 0.6 x4, chair 0.5, NEDs 0.4 x2, LA 0.2, MH 0.2, GP 0.
    # 7 of 12 (a majority) want at least 0.5: the chair is the pivot.
    b = board(
        ["chair"]
        + ["executive"] * 4
        + ["non_executive"] * 2
        + ["trust"] * 2
        + ["mental_health", "primary_care", "local_authority"]
    )
    assert cover(b) == 0.5
    assert cover(b.model_copy(update={"rule": "two_thirds"})) == 0.4  # 9 of 12 want >= 0.4
    assert cover(b.model_copy(update={"rule": "unanimity"})) == 0.0  # the GP partner wants 0


def test_casting_vote_breaks_a_tie() -> None:
    # Four members: chair 0.5, trust 1.0, GP 0, GP 0. At 0.5 support is 2 of 4: a tie.
    b = board(["chair", "trust", "primary_care", "primary_care"])
    assert cover(b) == 0.5
    assert cover(b.model_copy(update={"casting_vote": False})) == 0.0


def test_absent_members_and_quorum() -> None:
    b = board(["trust", "trust", "primary_care"], quorum=0.6)
    assert cover(b) == 1.0
    assert cover(b, [True, False, True]) == 0.0  # tie without a chair: nothing moves
    assert cover(b, [True, False, False]) == 0.0  # 1 of 3 present: not quorate


def test_non_voting_members_do_not_count() -> None:
    members = [
        Member(name="a", constituency="trust"),
        Member(name="b", constituency="primary_care"),
        Member(name="c", constituency="primary_care", voting=False),
    ]
    assert cover(Board(members=members, rule="simple_majority")) == 0.0  # 1 of 2: no majority
    members[2] = Member(name="c", constituency="trust", voting=False)
    assert cover(Board(members=members, rule="simple_majority")) == 0.0


def test_vote_weights() -> None:
    members = [
        Member(name="a", constituency="trust", weight=3.0),
        Member(name="b", constituency="primary_care"),
        Member(name="c", constituency="primary_care"),
    ]
    assert cover(Board(members=members, rule="simple_majority")) == 1.0


boards = st.lists(st.sampled_from(CONSTITUENCIES), min_size=1, max_size=15)


@given(boards, st.sampled_from(["simple_majority", "two_thirds", "unanimity"]))
def test_adding_a_more_willing_member_never_lowers_the_amount(cons: list[str], rule: str) -> None:
    b = board(cons, rule)
    before = cover(b)
    for c in CONSTITUENCIES:
        if compile_board(board([c]), CAL).stance[0] >= before:
            assert cover(board([*cons, c], rule)) >= before - 1e-12


@given(boards, st.lists(st.booleans(), min_size=15, max_size=15))
def test_supermajority_never_moves_more_than_simple_majority(
    cons: list[str], pres: list[bool]
) -> None:
    present = pres[: len(cons)]
    simple = cover(board(cons, "simple_majority", casting_vote=False), present)
    two_thirds = cover(board(cons, "two_thirds"), present)
    unanimity = cover(board(cons, "unanimity"), present)
    assert unanimity <= two_thirds <= simple


@given(boards)
def test_unanimity_with_one_dissenter_moves_nothing(cons: list[str]) -> None:
    assert cover(board([*cons, "primary_care"], "unanimity")) == 0.0


@given(boards, st.randoms())
def test_relabelling_members_changes_nothing(cons: list[str], rnd: object) -> None:
    shuffled = list(cons)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for rule in ("simple_majority", "two_thirds", "unanimity"):
        assert cover(board(cons, rule)) == cover(board(shuffled, rule))


def reference_cover(
    stances: list[float],
    weights: list[Fraction],
    present: list[bool],
    rule: str,
    quorum: Fraction,
    casting: bool,
    chair: int,
) -> float:
    """Brute force with exact fractions: the largest stance a qualified majority supports."""
    voters = [j for j in range(len(stances)) if present[j]]
    total = sum((weights[j] for j in voters), Fraction(0))
    if total == 0 or total < quorum * sum(weights, Fraction(0)):
        return 0.0
    for c in sorted({stances[j] for j in voters}, reverse=True):
        support = sum((weights[j] for j in voters if stances[j] >= c), Fraction(0))
        if rule == "simple_majority":
            ok = support > total / 2 or (
                casting and chair in voters and support == total / 2 and stances[chair] >= c
            )
        elif rule == "two_thirds":
            ok = support >= total * 2 / 3
        else:
            ok = support == total
        if ok:
            return c
    return 0.0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CONSTITUENCIES),
            st.sampled_from(["0.1", "0.2", "0.3", "0.5", "1", "1.5", "2.25"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
    st.sampled_from(["simple_majority", "two_thirds", "unanimity"]),
    st.sampled_from(["0", "0.5", "0.6", "1"]),
    st.booleans(),
)
def test_decision_matches_an_exact_reference(
    members: list[tuple[str, str, bool]], with_chair: bool, rule: str, quorum: str, casting: bool
) -> None:
    """Vote counting is exact for decimal weights, quorum, casting vote and absences."""
    if with_chair:
        members = [("chair", "1", True), *members]
    b = Board(
        members=[
            Member(name=f"m{i}", constituency=c, weight=float(w))
            for i, (c, w, _) in enumerate(members)
        ],  # type: ignore[arg-type]
        rule=rule,  # type: ignore[arg-type]
        quorum=float(quorum),
        casting_vote=casting,
    )
    cb = compile_board(b, CAL)
    present = [p for _, _, p in members]
    got = float(cb.decide(np.array([present])).cover[0])
    want = reference_cover(
        list(cb.stance),
        [Fraction(w) for _, w, _ in members],
        present,
        rule,
        Fraction(quorum),
        casting,
        0 if with_chair else -1,
    )
    assert got == want


def test_quorum_counts_only_seated_members() -> None:
    members = [Member(name=f"m{i}", constituency="trust") for i in range(8)]
    members += [
        Member.model_validate({"name": f"late{i}", "constituency": "trust", "from": "2027-04"})
        for i in range(4)
    ]
    cb = compile_board(Board(members=members, rule="simple_majority", quorum=0.75), CAL)
    present = np.array([cb.seated(0)])  # the 8 seated members all attend
    assert bool(cb.decide(present, cb.seated(0)).quorate[0])
    assert not bool(cb.decide(present).quorate[0])  # measured against all 12, 8 < 9

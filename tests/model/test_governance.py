"""Governance end to end (whole runs): composition, dated changes, delegation, pooled money.

In-year votes belong to the board-vote model (``recovery.model = "board_vote"``, the first
version's decision model, kept as an alternative); the tests of them use it. Under the
default recovery plan the board approves pauses beyond the director's delegated limit.

The pure parts have their own unit tests: tests/unit/test_board.py (the vote),
tests/unit/test_place.py (places' shares) and tests/unit/test_plan.py (the annual plan).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run
from sim.analysis.explain import explain as explain_meeting
from sim.engine.results import Results
from sim.scenario.format import Member, Place, Scenario
from sim.store.writer import decisions_table, transfers_table

REPS = range(12)


@pytest.fixture
def voting(baseline: Scenario) -> Scenario:
    """The baseline under the board-vote model of in-year transfers."""
    return baseline.model_copy(
        update={"recovery": baseline.recovery.model_copy(update={"model": "board_vote"})}
    )


def explained(res: Results, replication: int, meeting: int) -> str:
    """One meeting explained from a run held in memory, as ``sim explain`` does from disk."""
    return explain_meeting(
        res.scenario, decisions_table(res), transfers_table(res), replication, meeting
    )


def two_places(sc: Scenario, **place_kw: object) -> Scenario:
    places = [
        Place(name="North", population=900_000, need_index=1.2, **place_kw),  # type: ignore[arg-type]
        Place(name="South", population=800_000, need_index=0.8),
    ]
    return sc.model_copy(update={"places": places})


def moved_by_place(sc: Scenario) -> np.ndarray:
    res = run(sc, replications=REPS)
    return res.year_transfers_out.sum(axis=(1, 3))  # (R, P)


def test_relabelling_and_reordering_members_changes_nothing(baseline: Scenario) -> None:
    board = baseline.board.model_copy(update={"absence_probability": 0.2})
    sc = baseline.model_copy(update={"board": board})
    shuffled = [
        m.model_copy(update={"name": f"Member {i}"}) for i, m in enumerate(reversed(board.members))
    ]
    other = sc.model_copy(update={"board": board.model_copy(update={"members": shuffled})})
    a, b = run(sc, replications=REPS), run(other, replications=REPS)
    for k in a.series:
        np.testing.assert_array_equal(a.series[k], b.series[k], err_msg=k)


def test_a_member_joining_on_a_date(voting: Scenario) -> None:
    joiner = Member.model_validate(
        {"name": "New trust partner", "constituency": "trust", "from": "2027-04"}
    )
    board = voting.board.model_copy(update={"members": [*voting.board.members, joiner]})
    later = voting.model_copy(update={"board": board})
    res = run(later, replications=REPS)
    assert (24, "New trust partner", "joins") in res.policy_log
    assert [m for m, _ in res.compositions] == [0, 24]
    assert res.compositions[1][1].n_voting == 13
    before = run(voting, replications=REPS)
    # Until the member joins nothing differs; afterwards hospitals get at least as much
    # (planned and in-year: the new partner's weight in the plan gives them more planned
    # money, so less needs moving in-year).
    np.testing.assert_array_equal(res.year_transfers_out[:, :2], before.year_transfers_out[:, :2])
    acute = res.kind_mask("secondary")
    assert (
        res.year_end_budgets()[:, 2:][..., acute].sum(axis=(1, 2, 3))
        >= before.year_end_budgets()[:, 2:][..., acute].sum(axis=(1, 2, 3))
    ).all()


def test_a_delegated_place_decides_its_own_support(voting: Scenario) -> None:
    gp = Member(name="North GP lead", constituency="primary_care", place="North")
    sc = two_places(voting, delegated=True)
    sc = sc.model_copy(
        update={"board": sc.board.model_copy(update={"members": [*sc.board.members, gp]})}
    )
    moved = moved_by_place(sc)
    assert (moved[:, 0] == 0).all()  # North's only representative would move nothing
    assert (moved[:, 1] > 0).all()


def test_pooled_money_moves_only_with_council_consent(voting: Scenario) -> None:
    la = Member(name="North council", constituency="local_authority", place="North")
    members = [m for m in voting.board.members if m.constituency != "local_authority"] + [la]
    sc = two_places(voting, pooled_gbp_m=150.0)
    sc = sc.model_copy(update={"board": sc.board.model_copy(update={"members": members})})
    community = [i for i, s in enumerate(sc.sectors) if s.kind == "community"]
    res = run(sc, replications=REPS)
    held = res.year_transfers_out[:, :, 0][..., community].sum()
    other = res.year_transfers_out[:, :, 1][..., community].sum()
    stance = {**sc.board.stance, "local_authority": 1.0}
    willing = sc.model_copy(update={"board": sc.board.model_copy(update={"stance": stance})})
    freed = run(willing, replications=REPS).year_transfers_out[:, :, 0][..., community].sum()
    assert other > 0
    assert freed > held  # with consent more of North's community money moves


def dated(sc: Scenario, name: str, **dates: str) -> Scenario:
    members = [
        m.model_copy(update={"start" if k == "from" else k: v for k, v in dates.items()})
        if m.name == name
        else m
        for m in sc.board.members
    ]
    return sc.model_copy(update={"board": sc.board.model_copy(update={"members": members})})


@pytest.mark.parametrize("model", ["recovery_plan", "board_vote"])
def test_a_board_with_nobody_seated_yet_still_plans(baseline: Scenario, model: str) -> None:
    """Without a board nothing is voted or approved; under the recovery plan the director of
    finance still pauses within the delegated limit."""
    members = [m.model_copy(update={"start": "2027-01"}) for m in baseline.board.members]
    sc = baseline.model_copy(
        update={
            "board": baseline.board.model_copy(update={"members": members}),
            "recovery": baseline.recovery.model_copy(update={"model": model}),
        }
    )
    res = run(sc, replications=range(3))
    assert res.compositions[0][1].n_voting == 0
    first_year = res.year_transfers_out[:, :1].sum(axis=(1, 2, 3))
    if model == "board_vote":
        assert (first_year == 0).all()  # no board, no in-year transfers
    else:
        limit = np.floor(sc.recovery.delegated_limit * res.system_series["allocated"][:, 0])
        assert (first_year <= limit).all()
    assert res.plans[:, 2:].sum() > 0


def test_meeting_records_show_who_was_seated_then(voting: Scenario) -> None:
    sc = dated(voting, "Acute trust partner 2", until="2026-12")
    res = run(sc, replications=range(2))
    first = res.meetings.month == res.meetings.month.min()
    last = res.meetings.month == res.meetings.month.max()
    member = [m.name for m in sc.board.all_members()].index("Acute trust partner 2")
    assert res.meetings.present[first, member].all()
    assert not res.meetings.present[last, member].any()
    assert "absent" not in explained(res, 0, 1)


def test_reordering_dated_members_with_absences_changes_nothing(voting: Scenario) -> None:
    board = voting.board.model_copy(update={"absence_probability": 0.3})
    sc = dated(
        voting.model_copy(update={"board": board}), "Acute trust partner 2", **{"from": "2027-04"}
    )
    swapped = list(reversed(sc.board.members))
    other = sc.model_copy(update={"board": sc.board.model_copy(update={"members": swapped})})
    a, b = run(sc, replications=REPS), run(other, replications=REPS)
    np.testing.assert_array_equal(a.year_transfers_out, b.year_transfers_out)
    np.testing.assert_array_equal(a.plans, b.plans)


@pytest.mark.parametrize("constituency", ["executive", "trust", "non_executive"])
def test_a_more_willing_member_never_lowers_the_support_with_absences(
    baseline: Scenario, constituency: str
) -> None:
    """Same seeds, members absent at random: adding a member (as a new last entry) keeps every
    other member's attendance draws, and one who wants the most (a trust partner) never lowers
    the money acute care receives, planned and in-year. (Without quorum: a larger board needs
    more members present. The in-year part alone can fall: the trust partner's power in the
    annual plan gives hospitals more planned money, so less has to be moved in-year.)"""
    board = baseline.board.model_copy(update={"absence_probability": 0.3, "quorum": 0.0})
    sc = baseline.model_copy(update={"board": board})
    extra = Member(name="Extra", constituency=constituency)  # type: ignore[arg-type]
    more = sc.model_copy(
        update={"board": board.model_copy(update={"members": [*board.members, extra]})}
    )
    a, b = run(sc, replications=REPS), run(more, replications=REPS)
    first_a, first_b = a.meetings.month == 1, b.meetings.month == 1
    np.testing.assert_array_equal(a.meetings.present[first_a], b.meetings.present[first_b][:, :-1])
    if constituency == "trust":
        acute = a.kind_mask("secondary")
        funded_a = a.year_end_budgets()[..., acute].sum(axis=(1, 2, 3))
        funded_b = b.year_end_budgets()[..., acute].sum(axis=(1, 2, 3))
        assert (funded_b >= funded_a).all()


def test_only_a_quorate_board_approves_pauses_beyond_the_delegated_limit(
    baseline: Scenario,
) -> None:
    board = baseline.board.model_copy(update={"absence_probability": 0.3, "quorum": 0.75})
    res = run(baseline.model_copy(update={"board": board}), replications=REPS)
    m = res.meetings
    assert (~m.quorate[:, 0]).any() and (m.moved[:, 0] > 0).any()
    assert (m.moved[~m.quorate[:, 0]] == 0).all()
    text = explained(res, int(m.replication[~m.quorate[:, 0]][0]), 1)
    assert "Replication" in text
    asked = (~m.quorate[:, 0]) & (m.proposal[:, 0] > 0)
    if asked.any():
        i = int(np.flatnonzero(asked)[0])
        story = explained(res, int(m.replication[i]), int(m.number()[i]))
        assert "not quorate, so the board could not approve" in story

"""Effects a finance lead, a GP board member or a health economist would recognise, on the
baseline (same seeds, so differences are the policy's, not chance's)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from sim import run
from sim.analysis.measures import headline_measures
from sim.engine.results import Results
from sim.engine.simulation import Engine
from sim.model.spill_over import reference_unmet
from sim.model.system import compile_system
from sim.scenario.format import Member, RingFence, Scenario

REPS = range(24)


def measure(res: Results, name: str, detail: str | None = None) -> np.ndarray:
    for m in headline_measures(res):
        if m.name == name and (detail is None or m.detail == detail):
            return m.values
    raise KeyError(name)


def edit(sc: Scenario, **tables: dict[str, Any]) -> Scenario:
    """The scenario with fields of some of its tables changed."""
    update = {k: getattr(sc, k).model_copy(update=v) for k, v in tables.items()}
    return sc.model_copy(update=update)


def with_gp_seats(sc: Scenario, seats: int) -> Scenario:
    """The baseline board (one primary-care partner) with ``seats - 1`` more GP partners."""
    extra = [Member(name=f"GP {i}", constituency="primary_care") for i in range(seats - 1)]
    return sc.model_copy(
        update={"board": sc.board.model_copy(update={"members": [*sc.board.members, *extra]})}
    )


def planned_primary_share(res: Results) -> np.ndarray:
    """Primary care's share of each year's plan, per replication, shape (R, Y)."""
    plans = res.plans.sum(axis=2)
    out: np.ndarray = (plans * res.kind_mask("primary")).sum(axis=2) / plans.sum(axis=2)
    return out


def test_more_gp_seats_never_lower_primary_cares_share_and_always_change_it(
    baseline: Scenario,
) -> None:
    """Each GP seat moves the plan's compromise towards general practice: from the second
    year every replication's planned primary share rises with every seat, and the mean
    year-end share (after any recovery pauses) never falls."""
    runs = [run(with_gp_seats(baseline, k), replications=REPS) for k in range(1, 7)]
    planned = [planned_primary_share(r) for r in runs]
    for fewer, more in pairwise(planned):
        assert (more[:, 1:] > fewer[:, 1:]).all()
    last = runs[0].calendar.financial_year(baseline.horizon_years - 1)
    means = [measure(r, "primary_care_share", last).mean() for r in runs]
    assert all(b > a for a, b in pairwise(means)), means
    # Money follows: GP seats cut primary care's unmet need.
    unmet = [measure(r, "unmet_primary_need").mean() for r in runs]
    assert all(b < a for a, b in pairwise(unmet)), unmet


def split_board(sc: Scenario) -> Scenario:
    """GP partners who want far more for primary care than the trust partners want for
    hospitals: positions too far apart for consensus."""
    tilt = {**sc.board.plan_tilt, "primary_care": {"primary": 2.0}}
    return edit(with_gp_seats(sc, 3), board={"plan_tilt": tilt})


def test_unanimity_gives_more_gridlock_than_simple_majority(baseline: Scenario) -> None:
    """On a split board, a unanimity rule lets the least willing member block the plan's
    move, where a majority carries it."""
    split = split_board(baseline)
    agreed = {
        rule: measure(run(edit(split, board={"rule": rule}), replications=REPS), "plan_agreement")
        for rule in ("simple_majority", "unanimity")
    }
    assert (agreed["unanimity"] <= agreed["simple_majority"] + 1e-12).all()
    assert agreed["unanimity"].mean() < agreed["simple_majority"].mean()


def test_a_board_that_agrees_decides_by_consensus(baseline: Scenario) -> None:
    res = run(baseline, replications=REPS)
    assert (measure(res, "plans_by_consensus") == baseline.horizon_years - 1).all()
    split = run(split_board(baseline), replications=REPS)
    assert (measure(split, "plans_by_consensus") == 0).all()


def test_a_primary_ring_fence_raises_unmet_need_elsewhere_unless_money_is_added(
    baseline: Scenario,
) -> None:
    fence = RingFence(name="Primary 13.5%", rule="min_share", kind="primary", min_share=0.135)
    fenced = baseline.model_copy(update={"ring_fences": [*baseline.ring_fences, fence]})
    base = run(baseline, replications=REPS)
    res = run(fenced, replications=REPS)
    assert measure(res, "unmet_primary_need").mean() < measure(base, "unmet_primary_need").mean()
    assert (
        measure(res, "unmet_need", "community").mean()
        > measure(base, "unmet_need", "community").mean()
    )
    # With more money (a richer settlement) the fence no longer pushes the cut elsewhere.
    richer = edit(fenced, allocation={"growth_rate": 0.08, "growth_by_year": {}})
    rich = run(richer, replications=REPS)
    assert (
        measure(rich, "unmet_need", "community").mean()
        <= measure(base, "unmet_need", "community").mean()
    )


def test_a_minimum_share_holds_at_every_month_end(baseline: Scenario) -> None:
    fence = RingFence(name="Primary 13%", rule="min_share", kind="primary", min_share=0.13)
    sc = baseline.model_copy(update={"ring_fences": [*baseline.ring_fences, fence]})
    res = run(sc, replications=REPS)
    budget = res.series["budget"].sum(axis=2)  # (R, M, S)
    money = np.repeat(res.plans.sum(axis=(2, 3)), 12, axis=1)  # (R, M)
    primary = (budget * res.kind_mask("primary")).sum(axis=2)
    assert (primary >= np.ceil(0.13 * money)).all()
    # The plan-only variant says so in its name: it lets the share fall in-year.
    plan_only = fence.model_copy(update={"rule": "min_share_at_plan"})
    loose = run(
        baseline.model_copy(update={"ring_fences": [*baseline.ring_fences, plan_only]}),
        replications=REPS,
    )
    budget = loose.series["budget"].sum(axis=2)
    primary = (budget * loose.kind_mask("primary")).sum(axis=2)
    money = np.repeat(loose.plans.sum(axis=(2, 3)), 12, axis=1)
    assert (primary < np.ceil(0.13 * money)).any()


def test_general_practice_money_is_mostly_immovable(baseline: Scenario) -> None:
    """Only local enhanced services and local schemes can move: never more than the
    recovery plan's share of them in a year, whatever the pressure."""
    hard = edit(baseline, pressure={"intensity": 4.0, "shock_frequency": 4.0})
    res = run(hard, replications=REPS)
    gp = list(res.sector_names).index("general practice")
    plan = res.plans[..., gp].astype(float)
    discretionary = plan - res.lines["committed"][..., gp] - res.lines["slippage"][..., gp]
    moved = res.year_transfers_out[..., gp]
    assert (moved <= np.floor(hard.recovery.max_pause * discretionary) + 1).all()
    assert (moved <= 0.1 * plan).all()


def test_pauses_are_non_recurrent(baseline: Scenario) -> None:
    """A year's recovery pauses do not lower the next year's plan: plans start from the
    planned budgets, not the paused ones (no spill-over, no reserve top-up and no deficit
    repayment, so that nothing else carries the pauses forward)."""
    quiet = edit(
        baseline,
        spill_over={"ae_per_appointment": 0.0, "admissions_per_appointment": 0.0},
        allocation={"contingency_share": 0.0},
        deficit={"regime": "none"},
    )
    paused = run(quiet, replications=REPS)
    unpaused = run(edit(quiet, recovery={"max_pause": 0.0}), replications=REPS)
    assert paused.finance["paused"].sum() > 0 and unpaused.finance["paused"].sum() == 0
    np.testing.assert_array_equal(paused.plans, unpaused.plans)


def test_repayments_add_up(baseline: Scenario) -> None:
    """Every year-end deficit is met exactly by support, repayments made, and instalments
    still to come after the horizon; what is still owed is exactly what is still due."""
    e = Engine(baseline, np.arange(12))
    res = e.run()
    fin = res.finance
    years = baseline.horizon_years
    due_later = e.repay_due[:, years:].sum(axis=1)
    np.testing.assert_array_equal(
        fin["in_year_deficit"].sum(axis=1),
        fin["support"].sum(axis=1) + fin["repaid"].sum(axis=1) + due_later,
    )
    np.testing.assert_array_equal(-res.system_series["deficit"][:, -1], due_later)


def test_a_deficit_is_not_free(baseline: Scenario) -> None:
    """Under individual break-even a deficit is repaid from later plans: less is owed at the
    end than under the first version's rule (never repaid), and the repayment costs money."""
    repaid = run(edit(baseline, deficit={"regime": "individual_breakeven"}), replications=REPS)
    free = run(edit(baseline, deficit={"regime": "none"}), replications=REPS)
    assert measure(repaid, "deficit_repaid").mean() > 0
    assert (measure(free, "deficit_repaid") == 0).all()
    assert measure(repaid, "system_deficit").mean() < measure(free, "system_deficit").mean()


def test_spill_over_stays_bounded_at_the_top_of_its_range(baseline: Scenario) -> None:
    """At the top of the documented ranges the response to a month is at most
    rate x the spill-from sectors' need (unmet need never exceeds need), so the loop cannot
    run away: each year's spill-over stays within that bound and does not explode."""
    top = edit(baseline, spill_over={"ae_per_appointment": 0.1, "admissions_per_appointment": 0.01})
    res = run(top, replications=REPS)
    system = compile_system(top)
    rate = top.spill_over.pounds_per_pound
    need = res.flows["need"] * system.spill_from  # spill-from sectors never receive spill-over
    bound = rate * need.sum(axis=(1, 2, 3))
    spill = res.spill_in().sum(axis=(1, 2, 3))
    assert (np.abs(spill) <= bound).all()
    by_year = res.spill_in().reshape(res.n, top.horizon_years, -1).sum(axis=2)
    # Bounded, not explosive: the last year is within a small multiple of the second.
    assert (by_year[:, -1] <= 3 * np.maximum(by_year[:, 1], 1) + bound / top.horizon_years).all()
    assert (reference_unmet(top, system) < 1).all()


def test_no_spill_over_means_no_spill_over_cost(baseline: Scenario) -> None:
    sc = edit(baseline, spill_over={"ae_per_appointment": 0.0, "admissions_per_appointment": 0.0})
    assert (measure(run(sc, replications=REPS), "spill_over_cost") == 0).all()


def test_recovery_acts_only_from_its_month(baseline: Scenario) -> None:
    res = run(edit(baseline, recovery={"from_month": 6}), replications=REPS)
    out = res.series["transfers_out"].reshape(res.n, baseline.horizon_years, 12, -1)
    assert (out[:, :, :5] == 0).all()
    assert out[:, :, 5:].sum() > 0


@pytest.mark.parametrize("model", ["recovery_plan", "board_vote"])
def test_a_deterministic_world_gives_identical_replications(baseline: Scenario, model: str) -> None:
    calm = edit(
        baseline,
        pressure={"intensity": 0.0, "shock_frequency": 0.0},
        allocation={"growth_sd": 0.0},
        planning={"cost_improvement_delivery_sd": 0.0},
        recovery={"model": model},
    )
    calm = calm.model_copy(
        update={"sectors": [s.model_copy(update={"slippage_sd": 0.0}) for s in calm.sectors]}
    )
    res = run(calm, replications=range(3))
    for k, v in res.series.items():
        assert (v == v[:1]).all(), k


def test_the_board_vote_model_remains_available(baseline: Scenario) -> None:
    """The first version's quota-pivot vote, as an alternative decision model: it moves
    primary-care money to hospitals in-year, and unanimity with a GP partner moves none."""
    vote = run(edit(baseline, recovery={"model": "board_vote"}), replications=REPS)
    assert measure(vote, "moved_primary_to_secondary").mean() > 0
    blocked = edit(baseline, recovery={"model": "board_vote"}, board={"rule": "unanimity"})
    assert (measure(run(blocked, replications=REPS), "moved_primary_to_secondary") == 0).all()


def test_published_allocation_growth_is_used_exactly(baseline: Scenario) -> None:
    res = run(baseline, replications=REPS)
    allocated = np.diff(res.system_series["allocated"][:, ::12], axis=1)
    first = res.system_series["allocated"][:, 0]
    # 2026/27 (year 1) grows by the published 2.72% for every replication.
    grown = np.rint(first * 1.0272)
    support = res.finance["support"][:, 0]
    np.testing.assert_array_equal(allocated[:, 0] - support, grown)

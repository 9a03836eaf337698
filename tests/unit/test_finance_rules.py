"""The in-year and planning rules as pure functions, without running the model:
the recovery plan (sim.model.recovery), deficit regimes (sim.model.deficit), spill-over
through activity (sim.model.spill_over), cost improvement (sim.model.cost_improvement) and
the planning round (sim.model.planning) and plan decision (sim.model.plan)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.board import compile_board
from sim.model.cost_improvement import PROFILE, efficiency, improvable
from sim.model.deficit import (
    INDIVIDUAL_BREAKEVEN,
    NO_REPAYMENT,
    SYSTEM_BREAKEVEN,
    rules_for_year,
    settle,
)
from sim.model.plan import ideal_shares, plan_decision
from sim.model.planning import Lines, first_lines, moved_plan, planning_round
from sim.model.recovery import forecast_deficit, pause_capacity, pause_order, pauses
from sim.model.spill_over import floor_spill, lagged, response, spill_in
from sim.model.system import compile_system
from sim.scenario.finance import Deficit, SpillOver
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar


# -- recovery plan ------------------------------------------------------------------------
def test_the_forecast_runs_this_months_need_on_and_counts_the_reserve() -> None:
    after = np.array([[[100, 50]]])  # demand-led 100 left, capped 50 left
    need = np.array([[[40, 30]]])
    capped = np.array([False, True])
    # 2 months after this one: demand-led ends at 100 - 80 = 20; capped at max(50-60, 0) = 0.
    d = forecast_deficit(after, need, 2, capped, np.array([0]), np.zeros((1, 1, 2), np.int64))
    assert d.tolist() == [0]
    need = np.array([[[90, 30]]])  # demand-led ends at 100 - 180 = -80
    d = forecast_deficit(after, need, 2, capped, np.array([30]), np.zeros((1, 1, 2), np.int64))
    assert d.tolist() == [50]
    # Slippage a capped budget will leave unspent also meets it.
    slip = np.array([[[0, 20]]])
    d = forecast_deficit(after, need, 2, capped, np.array([30]), slip)
    assert d.tolist() == [30]


def test_pauses_take_the_least_valued_lines_first_and_never_exceed_capacity() -> None:
    capacity = np.array([[[10, 20, 30]], [[10, 20, 30]]])
    rank = np.array([1, 0, 2])  # sector 1 first, then 0, then 2
    taken = pauses(np.array([25, 100]), capacity, rank)
    assert taken[0, 0].tolist() == [5, 20, 0]
    assert taken[1, 0].tolist() == [10, 20, 30]  # all capacity: the rest is an overspend
    assert (taken <= capacity).all()


@given(
    st.lists(st.integers(0, 10**9), min_size=3, max_size=3),
    st.integers(0, 4 * 10**9),
    st.permutations([0, 1, 2]),
)
def test_pauses_find_exactly_what_is_needed_or_all_there_is(
    caps: list[int], needed: int, order: list[int]
) -> None:
    capacity = np.array([[caps]], dtype=np.int64)
    taken = pauses(np.array([needed]), capacity, np.array(order))
    assert int(taken.sum()) == min(needed, sum(caps))
    assert (taken >= 0).all() and (taken <= capacity).all()


def test_pause_capacity_keeps_committed_lines_and_the_yearly_limit() -> None:
    after = np.array([[[100, 100]]])
    lines_to_come = np.array([[[60, 100]]])
    planned = np.array([[[200, 0]]])
    paused = np.array([[[15, 0]]])
    cap = pause_capacity(after, lines_to_come, planned, paused, 0.1, np.array([True, True]))
    # 10% of 200 is 20, of which 15 is already paused; the second budget is all committed.
    assert cap[0, 0].tolist() == [5, 0]


def test_the_pause_order_follows_the_boards_priorities() -> None:
    priority = np.array([1.2, 0.9, 1.0, 0.9])
    pausable = np.array([True, True, True, False])
    rank = pause_order(priority, pausable)
    assert rank[1] < rank[2] < rank[0] < rank[3]
    # A board that barely prefers one sector pauses both together.
    close = pause_order(np.array([0.9917, 0.9926, 1.05]), np.array([True, True, True]))
    assert close[0] == close[1] < close[2]


# -- deficit regimes ----------------------------------------------------------------------
def test_the_rules_in_force_change_in_2026_27() -> None:
    assert rules_for_year(Deficit(), 2025).name == SYSTEM_BREAKEVEN.name
    assert rules_for_year(Deficit(), 2026).name == INDIVIDUAL_BREAKEVEN.name
    assert rules_for_year(Deficit(regime="none"), 2030) is NO_REPAYMENT
    custom = rules_for_year(Deficit(repayment_years=5, penalty=0.1), 2027)
    assert (custom.repayment_years, custom.penalty, custom.support_share) == (5, 0.1, 0.0)


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=5), st.integers(1, 10))
def test_support_and_instalments_add_up_to_the_deficit(deficits: list[int], years: int) -> None:
    d = np.array(deficits, dtype=np.int64)
    for rules in (SYSTEM_BREAKEVEN, INDIVIDUAL_BREAKEVEN):
        rules = type(rules)(rules.name, rules.label, rules.support_share, years, 0.25)
        s = settle(d, rules)
        np.testing.assert_array_equal(s.support + s.instalments.sum(axis=1), d)
        assert (s.instalments.max(axis=1) - s.instalments.min(axis=1) <= 1).all()
        np.testing.assert_array_equal(s.penalty, np.floor(d * 0.25).astype(np.int64))
    never = settle(d, NO_REPAYMENT)
    assert never.instalments.shape[1] == 0 and (never.support == 0).all()


# -- spill-over through activity ----------------------------------------------------------
def test_the_activity_price_of_unmet_need() -> None:
    spill = SpillOver()
    # (0.033 A&E x £242 + 0.002 admissions x £2,000) per £42 appointment.
    assert spill.pounds_per_pound == pytest.approx((0.033 * 242 + 0.002 * 2000) / 42)
    assert 0.25 < spill.pounds_per_pound < 0.35


def test_only_changes_from_the_first_year_shortfall_spill_and_cuts_may_differ_from_increases(
    baseline: Scenario,
) -> None:
    system = compile_system(baseline)
    spill = SpillOver(investment_response=0.5)
    reference = np.where(system.spill_from, 0.1, 0.0)
    need = np.zeros((1, 1, system.sectors), np.int64)
    need[..., system.spill_from] = 1000
    at_reference = (reference * need).astype(np.int64)
    assert response(at_reference, need, reference, spill, system)[0, 0] == pytest.approx(0.0)
    worse = at_reference.copy()
    worse[..., system.spill_from] += 100
    better = at_reference.copy()
    better[..., system.spill_from] -= 100
    up = response(worse, need, reference, spill, system)[0, 0]
    down = response(better, need, reference, spill, system)[0, 0]
    k = int(system.spill_from.sum())
    assert up == pytest.approx(spill.pounds_per_pound * 100 * k)
    assert down == pytest.approx(-0.5 * spill.pounds_per_pound * 100 * k)


def test_a_distributed_lag_spreads_each_months_response() -> None:
    weights = np.array([0.5, 0.3, 0.2])
    history = np.zeros((1, 3, 1))
    history[0, 0, 0] = 100.0  # month 0's response, in slot 0
    got = [lagged(history, m, weights)[0, 0] for m in (1, 2, 3)]
    assert got == pytest.approx([50.0, 30.0, 20.0])
    assert lagged(history, 0, weights)[0, 0] == 0.0


def test_negative_spill_over_never_takes_need_below_zero() -> None:
    weights = np.array([0.7, 0.3, 0.0])
    need = np.array([[[10, 1000, 5]]])
    arriving = floor_spill(np.array([[-500.0]]), need, weights)
    assert (need + spill_in(arriving, weights) >= 0).all()


# -- cost improvement ---------------------------------------------------------------------
def test_savings_are_back_loaded() -> None:
    assert PROFILE.mean() == pytest.approx(1.0)
    assert PROFILE[:6].sum() / PROFILE.sum() == pytest.approx(0.2273, abs=1e-3)  # 77% in H2
    assert PROFILE[0] == 0.0


def test_delivered_savings_are_kept_and_the_first_year_has_none(baseline: Scenario) -> None:
    system = compile_system(baseline)
    delivery = np.array([[1.0, 1.0, 0.5, 1.0, 1.0]])
    cost = efficiency(baseline, system, delivery)
    assert (cost[0, :12] == 1.0).all()
    target = baseline.planning.cost_improvement
    f = improvable(system)
    # April of year 2 has kept all of year 1's saving, and year 2 starts from there.
    np.testing.assert_allclose(cost[0, 24], 1.0 - f * target)
    np.testing.assert_allclose(cost[0, 36], (1.0 - f * target) * (1.0 - f * target * 0.5))
    # Committed lines of capped sectors (national contracts) carry no target.
    gp = system.sector_names.index("general practice")
    assert f[gp] == pytest.approx(system.discretionary[gp])


# -- the planning round and the plan decision ---------------------------------------------
def test_the_plan_starts_from_outturn_and_funds_the_lines_first(baseline: Scenario) -> None:
    system = compile_system(baseline)
    plan = np.rint(1e10 * system.shares).astype(np.int64)[None, None, :]
    lines = first_lines(plan, system)
    outturn = plan.copy()
    acute = system.sector_names.index("acute")
    outturn[..., acute] += 10**9  # hospitals overspent last year
    r = planning_round(
        system,
        prev_budget=plan,
        prev_lines=lines,
        outturn=outturn,
        totals=np.array([[int(1.03e10)]]),
        uplift=0.025,
        cost_improvement=0.02,
    )
    capped = system.capped
    # Committed lines of capped sectors grow by the national uplift exactly.
    np.testing.assert_array_equal(
        r.lines.committed[..., capped], np.rint(lines.committed[..., capped] * 1.025)
    )
    # The demand-led forecast starts from outturn (growth, uplift and the efficiency
    # target), and its committed line is its committed share of that forecast.
    g = system.need_growth[acute]
    expected = outturn[0, 0, acute] * 1.025 * (1 + g) * 0.98
    assert r.lines.committed[0, 0, acute] == np.rint(expected * system.committed[acute])
    assert r.proposal.sum() == pytest.approx(1.03e10)
    assert (r.proposal >= r.lines.floor).all()


def test_contracts_that_exceed_the_money_are_scaled_to_it(baseline: Scenario) -> None:
    system = compile_system(baseline)
    plan = np.rint(1e10 * system.shares).astype(np.int64)[None, None, :]
    lines = Lines(plan.copy(), np.zeros_like(plan))  # everything committed
    r = planning_round(
        system,
        prev_budget=plan,
        prev_lines=lines,
        outturn=plan,
        totals=np.array([[int(0.5e10)]]),
        uplift=0.0,
        cost_improvement=0.0,
    )
    assert r.lines.floor.sum() == int(0.5e10)
    assert (r.pool <= 0).all()


def test_the_plan_moves_pace_times_agreed_towards_the_compromise(baseline: Scenario) -> None:
    system = compile_system(baseline)
    plan = np.rint(1e10 * system.shares).astype(np.int64)[None, None, :]
    r = planning_round(
        system,
        prev_budget=plan,
        prev_lines=first_lines(plan, system),
        outturn=plan,
        totals=np.array([[plan.sum()]]),
        uplift=0.0,
        cost_improvement=0.0,
    )
    tilted = system.shares * np.where(np.array(system.sector_kinds) == "primary", 2.0, 1.0)
    tilted /= tilted.sum()
    stay = moved_plan(r, np.array([[plan.sum()]]), tilted, 0.5, np.array([0.0]))
    half = moved_plan(r, np.array([[plan.sum()]]), tilted, 0.5, np.array([1.0]))
    np.testing.assert_allclose(stay, r.proposal)
    primary = np.array(system.sector_kinds) == "primary"
    assert half[..., primary].sum() > stay[..., primary].sum()
    assert half.sum() == pytest.approx(stay.sum())


def test_a_sectors_own_contract_uplift_replaces_the_national_one_for_its_lines(
    baseline: Scenario,
) -> None:
    system = compile_system(baseline)
    plan = np.rint(1e10 * system.shares).astype(np.int64)[None, None, :]
    lines = first_lines(plan, system)
    gp = system.sector_names.index("general practice")
    own = np.full(system.sectors, 0.025)
    own[gp] = -0.01  # the GP contract falls behind prices
    args = dict(
        prev_budget=plan,
        prev_lines=lines,
        outturn=plan,
        totals=np.array([[int(1.03e10)]]),
        uplift=0.025,
        cost_improvement=0.0,
    )
    national = planning_round(system, **args)  # type: ignore[arg-type]
    mine = planning_round(system, **args, line_uplift=own)  # type: ignore[arg-type]
    assert mine.lines.committed[0, 0, gp] == np.rint(lines.committed[0, 0, gp] * 0.99)
    assert mine.lines.slippage[0, 0, gp] == np.rint(lines.slippage[0, 0, gp] * 0.99)
    others = np.arange(system.sectors) != gp
    np.testing.assert_array_equal(
        mine.lines.committed[..., others], national.lines.committed[..., others]
    )
    # The lines' shortfall frees pool money: the discretionary pool is larger by it.
    assert mine.pool[0, 0] > national.pool[0, 0]


def test_a_budget_of_national_contracts_only_gets_none_of_the_plans_pool(
    baseline: Scenario,
) -> None:
    sectors = [s.model_dump(by_alias=True, exclude_none=True) for s in baseline.sectors]
    dental = next(s for s in sectors if s["name"] == "pharmacy, dental and optometry")
    dental["committed"], dental["slippage"] = 0.6, 0.4  # nothing discretionary
    sc = baseline.model_copy(update={"sectors": [type(baseline.sectors[0])(**s) for s in sectors]})
    system = compile_system(sc)
    d = system.sector_names.index("pharmacy, dental and optometry")
    plan = np.rint(1e10 * system.shares).astype(np.int64)[None, None, :]
    r = planning_round(
        system,
        prev_budget=plan,
        prev_lines=first_lines(plan, system),
        outturn=plan,
        totals=np.array([[int(1.05e10)]]),
        uplift=0.0,
        cost_improvement=0.0,
    )
    assert not r.movable[d] and r.movable[system.sector_names.index("community")]
    # However much the compromise would give it, the plan adds nothing to its lines.
    generous = system.shares.copy()
    generous[d] *= 3
    generous /= generous.sum()
    moved = moved_plan(r, np.array([[int(1.05e10)]]), generous, 1.0, np.array([1.0]))
    assert moved[0, 0, d] == pytest.approx(r.lines.floor[0, 0, d])


def test_a_priority_by_sector_name_moves_every_ideal_towards_that_sector(
    baseline: Scenario,
) -> None:
    system = compile_system(baseline)
    cal = Calendar(baseline.start_year, baseline.horizon_years)
    board = compile_board(baseline.board, cal)
    before = ideal_shares(board, baseline, system, 12)
    plan = baseline.plan.model_copy(update={"sectors": {"general practice": 0.5}})
    after = ideal_shares(board, baseline.model_copy(update={"plan": plan}), system, 12)
    gp = system.sector_names.index("general practice")
    dental = system.sector_names.index("pharmacy, dental and optometry")
    assert (after[:, gp] > before[:, gp]).all()
    # The other primary-care sector (same kind) does not gain: the priority is by name.
    assert (after[:, dental] < before[:, dental]).all()
    np.testing.assert_allclose(after.sum(axis=1), 1.0)


def test_a_close_board_agrees_by_consensus_and_a_split_one_votes(baseline: Scenario) -> None:
    system = compile_system(baseline)
    cal = Calendar(baseline.start_year, baseline.horizon_years)
    board = compile_board(baseline.board, cal)
    seated = board.seated(12)
    ideals = ideal_shares(board, baseline, system, 12)
    target = ideals[seated].mean(axis=0)
    quo = np.repeat(system.shares[None, :], 3, axis=0)
    close = plan_decision(board, seated, ideals, target, target[None, :].repeat(3, 0), quo, 0.15)
    assert close.consensus and (close.agreed == 1.0).all()
    split = plan_decision(board, seated, ideals, target, target[None, :].repeat(3, 0), quo, 0.01)
    assert not split.consensus
    unanimous = compile_board(baseline.board.model_copy(update={"rule": "unanimity"}), cal)
    blocked = plan_decision(
        unanimous, seated, ideals, target, target[None, :].repeat(3, 0), quo, 0.01
    )
    assert (blocked.agreed <= split.agreed).all()


# -- warnings -----------------------------------------------------------------------------
def test_first_version_board_fields_warn_when_the_recovery_plan_ignores_them(
    baseline: Scenario,
) -> None:
    from sim.scenario.plausibility import cautions

    assert cautions(baseline) == []
    data = baseline.model_dump(by_alias=True, exclude_unset=True)
    data["board"]["recurrent_share"] = 0.5
    old = Scenario.model_validate(data)
    (only,) = cautions(old)
    assert only.field == "board.recurrent_share" and "no effect" in only.reason
    data["recovery"] = {"model": "board_vote"}
    assert cautions(Scenario.model_validate(data)) == []
    # A file written out whole (defaults included, as the app downloads it) does not warn.
    whole = Scenario.model_validate(baseline.model_dump(by_alias=True))
    assert cautions(whole) == []

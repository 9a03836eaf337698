"""Effects a finance lead or health economist would recognise, on the baseline (same seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run
from sim.analysis.measures import headline_measures
from sim.engine.results import Results
from sim.scenario.format import Member, RingFence, Scenario

REPS = range(24)


def measure(res: Results, name: str, detail: str | None = None) -> np.ndarray:
    for m in headline_measures(res):
        if m.name == name and (detail is None or m.detail == detail):
            return m.values
    raise KeyError(name)


def with_members(sc: Scenario, extra: list[Member]) -> Scenario:
    board = sc.board.model_copy(update={"members": [*sc.board.members, *extra]})
    return sc.model_copy(update={"board": board})


def with_trust_seats(sc: Scenario, seats: int) -> Scenario:
    return with_members(
        sc, [Member(name=f"Extra trust {i}", constituency="trust") for i in range(seats)]
    )


def hospital_funding(res: Results) -> np.ndarray:
    """Each replication's money for secondary care over the horizon: planned and in-year."""
    return res.year_end_budgets()[..., res.kind_mask("secondary")].sum(axis=(1, 2, 3))


@pytest.mark.parametrize(("fewer", "more"), [(0, 1), (1, 2), (2, 4)])
def test_more_trust_seats_never_lower_the_money_for_hospitals(
    baseline: Scenario, fewer: int, more: int
) -> None:
    """Each further trust seat gives hospitals more money (planned plus in-year) in every
    replication. The in-year part alone, the money moved out of primary care, is not
    monotone: with hospitals' plans already larger, less has to be moved in-year once a
    second extra seat is added. It stays above the board without extra trust seats."""
    a = run(with_trust_seats(baseline, fewer), replications=REPS)
    b = run(with_trust_seats(baseline, more), replications=REPS)
    assert (hospital_funding(b) >= hospital_funding(a)).all()
    assert hospital_funding(b).mean() > hospital_funding(a).mean()
    before = measure(run(baseline, replications=REPS), "moved_primary_to_secondary")
    after = measure(b, "moved_primary_to_secondary")
    assert (after >= before - 1e-9).all()
    assert after.mean() > before.mean()


def test_more_gp_seats_never_raise_the_money_moved(baseline: Scenario) -> None:
    more = with_members(
        baseline, [Member(name=f"GP {i}", constituency="primary_care") for i in range(5)]
    )
    before = measure(run(baseline, replications=REPS), "moved_primary_to_secondary")
    after = measure(run(more, replications=REPS), "moved_primary_to_secondary")
    assert (after <= before + 1e-9).all()
    assert after.mean() < before.mean()


def test_protecting_primary_care_stops_the_drift(baseline: Scenario) -> None:
    fence = RingFence(name="GP protected", rule="no_transfers_out", kind="primary")
    protected = baseline.model_copy(update={"ring_fences": [*baseline.ring_fences, fence]})
    res = run(protected, replications=REPS)
    assert (measure(res, "moved_primary_to_secondary") == 0).all()
    base = run(baseline, replications=REPS)
    last = res.calendar.financial_year(baseline.horizon_years - 1)
    assert (
        measure(res, "primary_care_share", last)
        >= measure(base, "primary_care_share", last) - 1e-12
    ).all()


def test_no_spill_over_means_no_spill_over_cost(baseline: Scenario) -> None:
    sc = baseline.model_copy(
        update={"spill_over": baseline.spill_over.model_copy(update={"elasticity": 0.0})}
    )
    assert (measure(run(sc, replications=REPS), "spill_over_cost") == 0).all()


def test_unanimity_with_a_gp_partner_moves_nothing(baseline: Scenario) -> None:
    sc = baseline.model_copy(
        update={"board": baseline.board.model_copy(update={"rule": "unanimity"})}
    )
    assert (measure(run(sc, replications=REPS), "moved_primary_to_secondary") == 0).all()


def test_a_deterministic_world_gives_identical_replications(baseline: Scenario) -> None:
    calm = baseline.model_copy(
        update={
            "pressure": baseline.pressure.model_copy(
                update={"intensity": 0.0, "shock_frequency": 0.0}
            ),
            "allocation": baseline.allocation.model_copy(update={"growth_sd": 0.0}),
        }
    )
    res = run(calm, replications=range(3))
    for k, v in res.series.items():
        assert (v == v[:1]).all(), k


def test_a_minimum_primary_share_holds_in_every_plan(baseline: Scenario) -> None:
    fence = RingFence(name="Primary 13%", rule="min_share", kind="primary", min_share=0.13)
    sc = baseline.model_copy(update={"ring_fences": [*baseline.ring_fences, fence]})
    res = run(sc, replications=REPS)
    plans = res.plans.sum(axis=2)  # (R, Y, S)
    share = (plans * res.kind_mask("primary")).sum(axis=2) / plans.sum(axis=2)
    assert (share >= 0.13 - 1e-12).all()
    assert res.bindings[:, -1].sum() > 0

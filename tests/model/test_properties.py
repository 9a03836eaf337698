"""Property tests over generated scenarios: conservation, bounds, determinism, CRN."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim import run
from sim.engine.results import Results
from sim.scenario.format import Scenario
from tests.invariants import assert_conserved, assert_flows_sane, assert_ring_fences_hold
from tests.strategies import scenarios


def assert_same(a: Results, b: Results) -> None:
    """Two results are identical to the penny."""
    np.testing.assert_array_equal(a.replications, b.replications)
    for k in a.series:
        np.testing.assert_array_equal(a.series[k], b.series[k], err_msg=k)
    for k in a.system_series:
        np.testing.assert_array_equal(a.system_series[k], b.system_series[k], err_msg=k)
    np.testing.assert_array_equal(a.year_end_balance, b.year_end_balance)
    np.testing.assert_array_equal(a.bindings, b.bindings)
    np.testing.assert_array_equal(a.shortfalls, b.shortfalls)
    ta, tb = a.transfers(), b.transfers()
    for col in ("replication", "month", "source", "target", "amount", "recurrent"):
        np.testing.assert_array_equal(getattr(ta, col), getattr(tb, col), err_msg=col)
    assert [ta.reasons[i] for i in ta.reason] == [tb.reasons[i] for i in tb.reason]
    for col in ("replication", "month", "extraordinary", "proposal", "cover", "pivot", "moved"):
        np.testing.assert_array_equal(
            getattr(a.meetings, col), getattr(b.meetings, col), err_msg=col
        )


@given(scenarios())
def test_money_is_conserved_to_the_penny(sc: Scenario) -> None:
    res = run(sc)  # the engine also checks after every event and would raise
    assert_conserved(res)
    assert_flows_sane(res)


@given(scenarios())
def test_no_ring_fence_bound_is_broken(sc: Scenario) -> None:
    assert_ring_fences_hold(run(sc))


@given(scenarios(), st.integers(1, 4))
def test_batch_chunked_and_single_runs_agree(sc: Scenario, chunk: int) -> None:
    whole = run(sc)
    assert_same(whole, run(sc, chunk_size=chunk))
    singles = Results.concat([run(sc, replications=[i]) for i in range(sc.replications)])
    assert_same(whole, singles)


@given(scenarios())
def test_replication_is_the_same_in_any_batch(sc: Scenario) -> None:
    last = sc.replications - 1
    alone = run(sc, replications=[last])
    bigger = run(sc.model_copy(update={"replications": sc.replications + 3}))
    for k in alone.series:
        np.testing.assert_array_equal(alone.series[k][0], bigger.series[k][last], err_msg=k)


@given(scenarios())
def test_same_seed_same_results(sc: Scenario) -> None:
    assert_same(run(sc), run(sc))


@given(scenarios(), st.data())
def test_common_random_numbers_across_policies(sc: Scenario, data: st.DataObject) -> None:
    """Changing only the board and ring-fences leaves every replication's shocks alone."""
    board = sc.board.model_copy(
        update={
            "rule": data.draw(st.sampled_from(["simple_majority", "two_thirds", "unanimity"])),
            "absence_probability": data.draw(st.sampled_from([0.0, 0.3])),
        }
    )
    other = sc.model_copy(update={"board": board, "ring_fences": []})
    a, b = run(sc), run(other)
    np.testing.assert_array_equal(
        a.series["need"] - a.series["spill_in"], b.series["need"] - b.series["spill_in"]
    )
    np.testing.assert_array_equal(allocations(a), allocations(b))


def allocations(res: Results) -> np.ndarray:
    """Money allocated so far, without deficit support (which depends on policy)."""
    support = np.zeros_like(res.system_series["allocated"])
    support[:, 11::12] = res.finance["support"]
    out: np.ndarray = res.system_series["allocated"] - np.cumsum(support, axis=1)
    return out


def test_a_different_seed_changes_the_results(baseline: Scenario) -> None:
    a = run(baseline, replications=range(3))
    b = run(baseline.model_copy(update={"seed": baseline.seed + 1}), replications=range(3))
    assert not np.array_equal(a.series["need"], b.series["need"])


def test_horizon_extension_keeps_earlier_years(baseline: Scenario) -> None:
    short = run(baseline.model_copy(update={"horizon_years": 2}), replications=range(4))
    long = run(baseline.model_copy(update={"horizon_years": 3}), replications=range(4))
    np.testing.assert_array_equal(short.series["need"], long.series["need"][:, :24])


def test_any_subset_in_any_order_gives_the_same_replications(baseline: Scenario) -> None:
    whole = run(baseline, replications=range(6))
    part = run(baseline, replications=[4, 1, 3])
    np.testing.assert_array_equal(part.replications, [1, 3, 4])
    for k in whole.series:
        np.testing.assert_array_equal(part.series[k], whole.series[k][[1, 3, 4]], err_msg=k)
    t = part.transfers()
    assert set(np.unique(t.replication)) == {1, 3, 4}

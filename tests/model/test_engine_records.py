"""What the engine records as it goes is what the ledger's journal says happened.

The monthly digest and the time series take each month's transfers in and out of every
budget from the engine's own record of each event (:mod:`sim.engine.moves`), not from the
journal; these tests rebuild them from the journal, independently, and compare to the
penny. They also check that an engine's arrays are freed as soon as it is dropped.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import numpy.typing as npt
import pytest

from sim import run
from sim.analysis.monthly import Digest
from sim.engine.results import PAUSE_REASONS, Results
from sim.engine.simulation import Engine
from sim.model.ledger import BUDGET_BASE
from sim.scenario.format import Scenario

Pence = npt.NDArray[np.int64]


def _from_journal(res: Results) -> tuple[Pence, Pence]:
    """Money into and out of each budget by month, from the transfer records: transfers
    between budgets (both ways) and recovery-plan pauses (out), (R, M, P, S)."""
    t = res.transfers()
    r, m, p, s = res.flows["need"].shape
    first, last = BUDGET_BASE, BUDGET_BASE + p * s
    from_budget = (t.source >= first) & (t.source < last)
    between = from_budget & (t.target >= first) & (t.target < last)
    codes = [k for k, name in enumerate(t.reasons) if name in PAUSE_REASONS]
    paused = np.isin(t.reason, codes)
    rep = np.searchsorted(res.replications, t.replication)
    out = []
    for rows, column in ((between, t.target), (between | paused, t.source)):
        flow = np.zeros((r, m, p * s), dtype=np.int64)
        np.add.at(flow, (rep[rows], t.month[rows], column[rows] - first), t.amount[rows])
        out.append(flow.reshape(r, m, p, s))
    return out[0], out[1]


def _board_vote(sc: Scenario) -> Scenario:
    return sc.model_copy(
        update={"recovery": sc.recovery.model_copy(update={"model": "board_vote"})}
    )


@pytest.mark.parametrize("model", ["recovery_plan", "board_vote"])
def test_monthly_transfers_are_those_of_the_journal(baseline: Scenario, model: str) -> None:
    sc = baseline if model == "recovery_plan" else _board_vote(baseline)
    # In chunks, out of order: the records of each chunk map to the right rows.
    res = run(sc, replications=[7, 2, 30, 11, 5, 19], chunk_size=4)
    t_in, t_out = res.monthly_transfers()
    want_in, want_out = _from_journal(res)
    assert t_out.any(), "nothing moved: the comparison would prove nothing"
    np.testing.assert_array_equal(t_in, want_in)
    np.testing.assert_array_equal(t_out, want_out)
    by_sector = res.monthly_transfers(by_place=False)
    np.testing.assert_array_equal(by_sector[0], want_in.sum(axis=2))
    np.testing.assert_array_equal(by_sector[1], want_out.sum(axis=2))
    years = want_out.reshape(res.n, -1, 12, *want_out.shape[2:]).sum(axis=2)
    np.testing.assert_array_equal(res.year_transfers_out, years)


def test_the_digest_is_the_one_of_the_time_series(baseline: Scenario) -> None:
    res = run(baseline, replications=range(12))
    d = Digest.from_results(res)
    series = res.series
    primary = res.kind_mask("primary")
    np.testing.assert_array_equal(d.budget, series["budget"].sum(axis=2))
    np.testing.assert_array_equal(
        d.moved, (series["transfers_out"] * primary).sum(axis=(2, 3)).cumsum(axis=1)
    )
    np.testing.assert_array_equal(
        d.unmet, (series["unmet"] * primary).sum(axis=(2, 3)).cumsum(axis=1)
    )
    np.testing.assert_array_equal(d.spill, series["spill_in"].sum(axis=(2, 3)).cumsum(axis=1))
    np.testing.assert_array_equal(res.spill_in_by_place(), series["spill_in"].sum(axis=3))
    assert d.moved[:, -1].any() and d.spill[:, -1].any()


def test_an_engine_is_freed_as_soon_as_it_is_dropped(baseline: Scenario) -> None:
    # Without the cyclic garbage collector: a reference cycle between the engine and its
    # in-year model kept every chunk's arrays until the next collection, so a long run's
    # memory grew with its replications.
    sc = baseline.model_copy(update={"horizon_years": 2})
    for scenario in (sc, _board_vote(sc)):
        enabled = gc.isenabled()
        gc.disable()
        try:
            engine = Engine(scenario, np.arange(4))
            alive = weakref.ref(engine)
            results = engine.run()
            del engine
            assert alive() is None, "the engine outlived its last reference"
            assert results.n == 4
        finally:
            if enabled:
                gc.enable()

"""Memory the app holds between runs is bounded: a run keeps what the page draws and no cache
of its results (not after a view, not after a download), and the run cache keeps at most
:data:`sim.app.run_cache.KEEP_BYTES` in all, dropping the oldest but never the two newest."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sim import load_scenario, run
from sim.analysis.explain import explain
from sim.app import downloads
from sim.app.run_cache import KEEP_BYTES, Run, RunStore, get_run, one_replication, run_store
from sim.app.size import MAX_APP_CELLS
from sim.batch.chunks import cells_per_replication
from sim.engine.results import Results
from sim.scenario.format import Scenario
from sim.store.tables import decisions_table, transfers_table
from sim.store.writer import scenario_hash
from tests.app.test_app import _fresh_caches
from tests.paths import SCENARIOS

__all__ = ["_fresh_caches"]  # the app tests' fixture: no cached runs between tests

#: Bytes a run may hold per replication-month-place-sector once every view has drawn from
#: it and every download was built (measured about 67: the results themselves about 35,
#: the monthly digest 12, the measures and the meeting table the rest).
BYTES_PER_CELL = 75


class _Slot:
    """Stands for the page's progress placeholder."""

    def progress(self, *args: Any, **kwargs: Any) -> None:
        pass

    def empty(self) -> None:
        pass


def _held() -> int:
    """Bytes allocated now by Python and NumPy (traced) and by Arrow."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes()


def _run_and_draw(sc: Scenario) -> Run:
    """The scenario's run, after what every view draws from it and every download (each
    built on a copy of the results: nothing of them should stay)."""
    run = get_run(sc, "the test", _Slot())
    assert run.digest.deficit.shape[0] == sc.replications
    assert run.measures.num_rows and run.decisions.num_rows
    assert run.explanations(0)
    assert downloads.summary_csv_bytes(run.results)
    assert downloads.timeseries_parquet_bytes(run.results)
    assert downloads.outputs_zip_bytes(run.results)
    return run


def test_a_run_holds_what_the_page_draws_and_no_more() -> None:
    baseline = load_scenario(SCENARIOS / "baseline.toml")
    _run_and_draw(baseline.model_copy(update={"replications": 3}))  # imports done before
    sc = baseline.model_copy(update={"replications": 1500})
    cells = sc.replications * cells_per_replication(sc)
    tracemalloc.start()
    try:
        before = _held()
        run = _run_and_draw(sc)
        held = _held() - before
    finally:
        tracemalloc.stop()
    assert run_store().get(scenario_hash(sc)) is run, "the run measured is the one kept"
    assert held <= BYTES_PER_CELL * cells, f"{held / cells:.0f} bytes a cell"
    assert run.held_bytes() <= held


def test_two_runs_at_the_app_largest_size_fit_in_the_cache() -> None:
    """The bound the run cache keeps, beyond which it drops the oldest runs (never the two
    newest: a session's current run and its file's own)."""
    assert 2 * BYTES_PER_CELL * MAX_APP_CELLS <= KEEP_BYTES <= 700 * 2**20


def test_the_run_cache_drops_the_oldest_beyond_its_bytes() -> None:
    base = load_scenario(SCENARIOS / "baseline.toml").model_copy(
        update={"replications": 20, "horizon_years": 1}
    )
    runs = [get_run(base.model_copy(update={"seed": s}), "the test", _Slot()) for s in range(5)]
    one = max(r.held_bytes() for r in runs)
    store = RunStore(size=8, max_bytes=int(3.5 * one))
    for k, r in enumerate(runs):
        store.put(str(k), r)
    assert store.keys() == ["2", "3", "4"]
    assert store.held_bytes() <= 3.5 * one
    assert store.get("2") is runs[2]  # now the newest: "3" is the oldest
    store.put("5", runs[0])
    assert store.keys() == ["4", "2", "5"]
    tiny = RunStore(size=8, max_bytes=1)
    for k, r in enumerate(runs):
        tiny.put(str(k), r)
    assert tiny.keys() == ["3", "4"], "never the two newest"


@pytest.mark.parametrize("file", ["baseline.toml", "board_22_places.toml"])
def test_a_replications_explanations_read_its_transfers_alone(file: str) -> None:
    """The explanations of each replication, from its own transfers (one_replication), are
    those from the table of every transfer; the run here is two chunks, as a large one is."""
    sc = load_scenario(SCENARIOS / file).model_copy(update={"replications": 8})
    res = Results.concat([run(sc, range(0, 5)), run(sc, range(5, 8))])
    every = transfers_table(res)
    decisions = decisions_table(res)
    kept = Run(res, [])
    for r in range(8):
        d = decisions.filter(pc.equal(decisions["replication"], r))
        t = every.filter(pc.equal(every["replication"], r))
        assert _decoded(transfers_table(one_replication(res, r))).equals(_decoded(t)), r
        expected = {m: explain(sc, d, t, r, m) for m in sorted(set(d["meeting"].to_pylist()))}
        assert expected and kept.explanations(r) == expected, r
    with pytest.raises(KeyError):
        one_replication(res, 8)


def _decoded(table: pa.Table) -> pa.Table:
    """The table with its label columns as text (the dictionaries of a subset may differ)."""
    return pa.table(
        {
            c: table[c].cast(pa.string())
            if pa.types.is_dictionary(table.schema.field(c).type)
            else table[c]
            for c in table.column_names
        }
    )

"""The sizing rules of a run (sim.batch.sizing) and the chunks they plan: one place for
memory, disk and cells, used by the batch, the command line and the app."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import sim.app.size
import sim.batch.chunks
from sim.batch import sizing
from sim.batch.chunks import plan_batch, plan_chunks
from sim.scenario.format import Scenario


def test_the_app_and_the_planner_use_the_sizing_rules(baseline: Scenario) -> None:
    """The app's limit and the planner's names are the sizing module's own objects."""
    assert sim.app.size.MAX_APP_CELLS is sizing.APP_CELLS
    assert sim.batch.chunks.CHUNK_CELLS is sizing.CHUNK_CELLS
    assert sim.batch.chunks.MEMORY_PER_CELL is sizing.MEMORY_PER_CELL
    assert sizing.cells_per_replication(baseline) == 12 * baseline.horizon_years * 7
    assert sizing.memory_bytes(10, 840, 2) == 2 * 10 * 840 * sizing.MEMORY_PER_CELL


@given(
    n=st.integers(1, 5000),
    cells=st.integers(1, 10**6),
    workers=st.integers(1, 16),
)
def test_default_chunks_are_as_few_as_the_cap_and_the_workers_allow(
    n: int, cells: int, workers: int
) -> None:
    """Every chunk pays the engine's fixed cost, so a scenario that fits has one chunk a
    worker: the fewest that fit the memory cap, rounded up to a multiple of the workers."""
    chunks = plan_chunks(n, cells, workers)
    cap = sizing.chunk_cap(cells)
    fewest = -(-n // cap)
    assert len(chunks) == min(n, -(-fewest // workers) * workers)
    assert sum(len(c) for c in chunks) == n
    assert max(len(c) for c in chunks) <= cap


def test_a_batch_is_one_queue_of_every_scenarios_chunks(baseline: Scenario) -> None:
    small = baseline.model_copy(update={"replications": 3, "name": "small"})
    tasks = plan_batch([baseline, small], workers=2, chunk_size=None)
    assert [(t.scenario, t.index, len(t.chunk)) for t in tasks] == [
        (0, 0, 100),
        (0, 1, 100),
        (1, 0, 2),
        (1, 1, 1),
    ]

"""Chunks of replications: how big they are, how a scenario is cut into them, and the one
function every backend runs on a chunk (:func:`simulate_chunk`)."""

from __future__ import annotations

import itertools
import math
import time

from sim.engine.runner import run
from sim.engine.schedule import Progress
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.writer import ChunkOutput, encode_chunk

#: Bytes of memory a run needs per replication-month-place-sector while a chunk is
#: simulated and encoded (about 390 measured on the baseline, 10 years).
MEMORY_PER_CELL = 500
#: Bytes of disk the full outputs take per replication-month-place-sector (with a margin;
#: about 22 measured on the baseline, 10 years).
DISK_PER_CELL = 50
#: Bytes of disk the lean outputs take per cell (with a margin; about 1.2 measured).
LEAN_DISK_PER_CELL = 3
#: Largest chunk by default, in replication-months × places × sectors: about 2 GB of memory
#: per worker at :data:`MEMORY_PER_CELL`.
CHUNK_CELLS = 4_000_000


def cells_per_replication(scenario: Scenario) -> int:
    """Replication-months × places × sectors of one replication."""
    return 12 * scenario.horizon_years * len(scenario.places) * len(scenario.sectors)


def disk_bytes(scenario: Scenario, outputs: Outputs | None = None) -> int:
    """About how many bytes of disk a run of ``scenario`` writes at the output level."""
    outputs = outputs or Outputs()
    cells = cells_per_replication(scenario)
    full = len(outputs.full_tables_for(range(scenario.replications)))
    return scenario.replications * cells * LEAN_DISK_PER_CELL + full * cells * DISK_PER_CELL


def plan_chunks(
    replications: int, cells: int, workers: int = 1, chunk_size: int | None = None
) -> list[range]:
    """Contiguous chunks of replication indices ``0 .. replications - 1``.

    With ``chunk_size`` the chunks have that many replications (the last may have fewer).
    Otherwise chunks are as large as :data:`CHUNK_CELLS` allows (large chunks vectorise
    best), but at least two per worker when there are several, as equal in size as
    possible, and as many as a multiple of ``workers`` so that no worker idles at the end.
    """
    if replications < 1:
        raise ValueError("no replications to run")
    if chunk_size is not None:
        size = max(1, chunk_size)
        return [range(i, min(i + size, replications)) for i in range(0, replications, size)]
    cap = max(1, CHUNK_CELLS // max(cells, 1))
    count = math.ceil(replications / cap)
    if workers > 1:
        # At least two chunks a worker: side-by-side workers run smaller chunks faster
        # (they share the memory bandwidth), and the last chunks balance better.
        count = max(count, 2 * workers)
    count = min(replications, math.ceil(count / workers) * workers)
    small, extra = divmod(replications, count)
    bounds = [k * small + min(k, extra) for k in range(count + 1)]
    return [range(a, b) for a, b in itertools.pairwise(bounds)]


def simulate_chunk(
    scenario: Scenario,
    start: int,
    stop: int,
    index: int,
    check: bool = True,
    directory: str | None = None,
    progress: Progress | None = None,
    outputs: Outputs | None = None,
) -> ChunkOutput:
    """Simulate replications ``start .. stop - 1`` and encode them for disk: written to the
    run's temporary ``directory`` when the worker shares this machine's disk, else as bytes
    sent back; the tables of the output level ``outputs`` (default lean)."""
    began = time.perf_counter()
    res = run(scenario, range(start, stop), check=check, progress=progress)
    return encode_chunk(res, index, time.perf_counter() - began, directory, outputs)

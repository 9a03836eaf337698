"""Chunk planning: how a scenario, and a batch of scenarios, is cut into chunks of
replications, and the one function every backend runs on a chunk (:func:`simulate_chunk`).

The sizing rules (memory and disk per cell, the largest chunk) are
:mod:`sim.batch.sizing`'s; the few imported from there are also named here because the
command line's checks before a run (``sim.cli.run``) read them from this module.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sim.batch.sizing import (
    CHUNK_CELLS,
    MEMORY_PER_CELL,
    cells_per_replication,
    chunk_cap,
    disk_bytes,
)
from sim.engine.runner import run
from sim.engine.schedule import Progress
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.writer import ChunkOutput, encode_chunk, give_back_memory

__all__ = [
    "CHUNK_CELLS",
    "MEMORY_PER_CELL",
    "Task",
    "cells_per_replication",
    "disk_bytes",
    "plan_batch",
    "plan_chunks",
    "simulate_chunk",
]


def plan_chunks(
    replications: int, cells: int, workers: int = 1, chunk_size: int | None = None
) -> list[range]:
    """Contiguous chunks of replication indices ``0 .. replications - 1``.

    With ``chunk_size`` the chunks have that many replications (the last may have fewer).
    Otherwise chunks are as large as :data:`~sim.batch.sizing.CHUNK_CELLS` allows, as equal
    in size as possible, and as many as a multiple of ``workers`` (at least one a worker)
    so that no worker idles at the end. Fewer, larger chunks are cheaper: every chunk pays
    the engine's fixed cost of stepping its calendar (numpy's per-call overhead on each of
    its events, about 0.2 CPU s for 10 years whatever the chunk's size), so cutting a
    scenario into two chunks a worker rather than one costs CPU the batch does not win
    back; a batch of several scenarios shares one queue, which balances the workers.
    """
    if replications < 1:
        raise ValueError("no replications to run")
    if chunk_size is not None:
        size = max(1, chunk_size)
        return [range(i, min(i + size, replications)) for i in range(0, replications, size)]
    count = math.ceil(replications / chunk_cap(cells))
    count = min(replications, math.ceil(count / workers) * workers)
    small, extra = divmod(replications, count)
    bounds = [k * small + min(k, extra) for k in range(count + 1)]
    return [range(a, b) for a, b in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class Task:
    """One chunk to run: scenario ``scenario`` (its position in the batch), replications
    ``chunk``, and the chunk's position ``index`` in its scenario's replication order."""

    scenario: int
    chunk: range
    index: int


def plan_batch(
    scenarios: Sequence[Scenario], workers: int = 1, chunk_size: int | None = None
) -> list[Task]:
    """Every chunk of a batch, scenario after scenario, in one queue (so that workers go
    straight from one scenario's chunks to the next's)."""
    return [
        Task(k, chunk, i)
        for k, sc in enumerate(scenarios)
        for i, chunk in enumerate(
            plan_chunks(sc.replications, cells_per_replication(sc), workers, chunk_size)
        )
    ]


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
    out = encode_chunk(res, index, time.perf_counter() - began, directory, outputs)
    del res
    give_back_memory()  # in a pool's worker too, so its memory stays flat over chunks
    return out

"""The one run function: simulate a scenario over replication indices, optionally in chunks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.engine import Engine, Progress
from sim.results import Results
from sim.scenario import Scenario


def run(
    scenario: Scenario,
    replications: Iterable[int] | None = None,
    chunk_size: int | None = None,
    check: bool = True,
    progress: Progress | None = None,
) -> Results:
    """Simulate ``scenario`` and return its results.

    Args:
        scenario: a validated scenario (from :func:`sim.load_scenario`).
        replications: replication indices to run; ``range(scenario.replications)`` by default.
            Replication ``i`` gives the same numbers whichever other indices run with it.
        chunk_size: run at most this many replications at once (bounds memory); the
            results are identical for any chunk size.
        check: verify conservation of money after every event (on by default).
        progress: called as ``progress(months_done, months_total)`` during each chunk.
    """
    reps = np.asarray(
        list(range(scenario.replications)) if replications is None else list(replications),
        dtype=np.int64,
    )
    if reps.size == 0:
        raise ValueError("run: no replications requested")
    if np.unique(reps).size != reps.size or np.any(reps < 0):
        raise ValueError("run: replication indices must be distinct and non-negative")
    size = reps.size if chunk_size is None else max(1, chunk_size)
    parts = [
        Engine(scenario, reps[i : i + size], check, progress).run()
        for i in range(0, reps.size, size)
    ]
    return Results.concat(parts)

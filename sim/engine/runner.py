"""The one run function: simulate a scenario over replication indices, optionally in chunks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.engine.results import Results
from sim.engine.schedule import Progress
from sim.engine.simulation import Engine
from sim.scenario.format import Scenario


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
        progress: called as ``progress(done, total)`` in chunk-months as the run goes on.

    Results are ordered by replication index, however the indices were given.
    """
    reps = np.asarray(
        list(range(scenario.replications)) if replications is None else list(replications),
        dtype=np.int64,
    )
    if reps.size == 0:
        raise ValueError("run: no replications requested")
    if np.unique(reps).size != reps.size or np.any(reps < 0):
        raise ValueError("run: replication indices must be distinct and non-negative")
    reps = np.sort(reps)
    size = reps.size if chunk_size is None else max(1, chunk_size)
    starts = range(0, reps.size, size)
    months = 12 * scenario.horizon_years
    parts = []
    for k, i in enumerate(starts):
        # Report progress over the whole run, not chunk by chunk.
        chunk_progress = (
            None
            if progress is None
            else (lambda done, _t, k=k: progress(k * months + done, len(starts) * months))
        )
        parts.append(Engine(scenario, reps[i : i + size], check, chunk_progress).run())
    return Results.concat(parts)

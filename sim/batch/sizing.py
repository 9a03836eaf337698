"""Every sizing rule of a run in one place: memory and disk per cell, the largest chunk,
the largest run the app does, and what a run needs of each.

A *cell* is one replication-month of one place and sector (a replication has
``12 * horizon_years * places * sectors`` of them): the memory a chunk needs and the disk
a run writes both grow with it. The batch (:mod:`sim.batch.chunks`), the command line's
checks before a run (``sim.cli.run``) and the app (:mod:`sim.app.size`) import these
rules from here.
"""

from __future__ import annotations

from sim.scenario.format import Scenario
from sim.store.outputs import Outputs

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
#: Largest run the app does, in cells: the batch's largest chunk (about 2 GB of memory);
#: bigger runs belong to ``python -m sim run``.
APP_CELLS = CHUNK_CELLS


def cells_per_replication(scenario: Scenario) -> int:
    """Replication-months × places × sectors of one replication."""
    return 12 * scenario.horizon_years * len(scenario.places) * len(scenario.sectors)


def chunk_cap(cells: int) -> int:
    """Most replications of ``cells`` cells each in one default chunk (at least one)."""
    return max(1, CHUNK_CELLS // max(cells, 1))


def memory_bytes(replications: int, cells: int, in_flight: int = 1) -> int:
    """About how many bytes of memory ``in_flight`` chunks of ``replications`` replications
    of ``cells`` cells each need while they are simulated and encoded side by side."""
    return in_flight * replications * cells * MEMORY_PER_CELL


def disk_bytes(scenario: Scenario, outputs: Outputs | None = None) -> int:
    """About how many bytes of disk a run of ``scenario`` writes at the output level."""
    outputs = outputs or Outputs()
    cells = cells_per_replication(scenario)
    full = len(outputs.full_tables_for(range(scenario.replications)))
    return scenario.replications * cells * LEAN_DISK_PER_CELL + full * cells * DISK_PER_CELL

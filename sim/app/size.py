"""How big a run the app does: bigger runs belong to ``python -m sim run``."""

from __future__ import annotations

from sim.batch.chunks import CHUNK_CELLS, cells_per_replication
from sim.scenario.format import Scenario

#: Largest run the app does, in replication-months × places × sectors: the batch runner's
#: largest chunk (about 2 GB of memory); bigger runs belong to ``python -m sim run``.
MAX_APP_CELLS = CHUNK_CELLS


def check_size(sc: Scenario) -> str | None:
    """Why a run is too big for the app (one line), or None."""
    per_rep = cells_per_replication(sc)
    if sc.replications * per_rep <= MAX_APP_CELLS:
        return None
    fits = max(1, MAX_APP_CELLS // per_rep)
    return (
        f"{sc.name}: replications: {sc.replications:,} replications of {sc.horizon_years} years "
        f"are too many for the app (at most {fits:,} here); run bigger batches with "
        "python -m sim run"
    )

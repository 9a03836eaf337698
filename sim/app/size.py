"""How big a run the app does: bigger runs belong to ``python -m sim run``."""

from __future__ import annotations

from sim.batch.sizing import APP_CELLS as MAX_APP_CELLS
from sim.batch.sizing import cells_per_replication
from sim.scenario.format import Scenario


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

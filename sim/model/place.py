"""Places: fair-share targets, the pace of change towards them, council red lines, fairness.

Each place's fair share of the ICB's allocation is its weighted capitation: population times
need index, as a share of the total. Places start from their current share and close a
fraction ``pace_of_change`` of the distance to their fair share each year. A place whose
council holds a red line never sees its share fall: its cut is cancelled, and the places
that were to gain share only what the remaining cuts pay for (no other place loses more).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.scenario.format import Scenario

Floats = npt.NDArray[np.float64]


def fair_shares(scenario: Scenario) -> Floats:
    """Weighted-capitation target share of each place, shape (P,)."""
    w = np.array([p.population * p.need_index for p in scenario.places], dtype=np.float64)
    out: Floats = w / w.sum()
    return out


def place_shares(scenario: Scenario) -> Floats:
    """Share of the sector money each place receives in each year, shape (Y, P)."""
    target = fair_shares(scenario)
    current = np.array(
        [
            p.current_share if p.current_share is not None else target[i]
            for i, p in enumerate(scenario.places)
        ]
    )
    red = np.array([p.red_line for p in scenario.places])
    pace = scenario.allocation.pace_of_change
    out = np.empty((scenario.horizon_years, len(target)))
    share = current / current.sum()
    for y in range(scenario.horizon_years):
        if y:
            step = pace * (target - share)
            # A red-line place's council does not consent to a cut: its step is zero, and
            # the places that were to gain gain only what the other cuts pay for.
            step = np.where(red & (step < 0), 0.0, step)
            gains, cuts = step.clip(min=0).sum(), -step.clip(max=0).sum()
            if gains > cuts:
                step = np.where(step > 0, step * (cuts / gains), step)
            share = share + step
        out[y] = share
    return out


def distance_from_target(shares: Floats, scenario: Scenario) -> Floats:
    """Each place's distance from its fair share, (share / target - 1), same shape as shares."""
    out: Floats = shares / fair_shares(scenario) - 1.0
    return out

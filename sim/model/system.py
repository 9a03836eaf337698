"""The integrated care system compiled from a scenario into arrays the engine indexes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.model.place import place_shares
from sim.scenario.format import Scenario
from sim.units.calendar import Calendar
from sim.units.money import pounds_m_to_pence

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class System:
    """Dimensions (places x sectors), kinds and fixed parameters of one scenario."""

    calendar: Calendar
    place_names: tuple[str, ...]
    sector_names: tuple[str, ...]
    sector_kinds: tuple[str, ...]
    #: Fair-share weight of each place (population x need index), shape (P,).
    place_weights: Floats
    #: Share of the sector money each place receives each year (pace of change, red lines),
    #: shape (Y, P).
    place_shares: Floats
    #: First-year share of each sector, shape (S,).
    shares: Floats
    #: Capacity-capped sectors, shape (S,).
    capped: Bools
    #: Sectors that receive in-year transfers and spill-over (kind "secondary"), shape (S,).
    secondary: Bools
    #: Sectors whose unmet need spills over, shape (S,).
    spill_from: Bools
    #: Sectors that receive spill-over, shape (S,).
    spill_to: Bools
    #: First-year allocation in pence.
    initial_allocation: int
    #: Share of each sector's budget in committed lines (national contracts), shape (S,).
    committed: Floats
    #: Share of each sector's budget in slippage lines, shape (S,).
    slippage: Floats
    #: Real growth of need a year, shape (S,) (the plan's forecast of activity growth).
    need_growth: Floats

    @property
    def discretionary(self) -> Floats:
        """Share of each sector's budget in discretionary lines, shape (S,)."""
        out: Floats = np.maximum(0.0, 1.0 - self.committed - self.slippage)
        return out

    @property
    def places(self) -> int:
        """Number of places."""
        return len(self.place_names)

    @property
    def sectors(self) -> int:
        """Number of sectors."""
        return len(self.sector_names)


def compile_system(scenario: Scenario) -> System:
    """Arrays for the engine from a validated scenario."""
    kinds = tuple(s.kind for s in scenario.sectors)
    return System(
        calendar=Calendar(scenario.start_year, scenario.horizon_years),
        place_names=tuple(p.name for p in scenario.places),
        sector_names=tuple(s.name for s in scenario.sectors),
        sector_kinds=kinds,
        place_weights=np.array(
            [p.population * p.need_index for p in scenario.places], dtype=np.float64
        ),
        place_shares=place_shares(scenario),
        shares=np.array([s.share for s in scenario.sectors], dtype=np.float64),
        capped=np.array([s.spending == "capped" for s in scenario.sectors], dtype=bool),
        secondary=np.array([k == "secondary" for k in kinds], dtype=bool),
        spill_from=np.array([k in scenario.spill_over.from_kinds for k in kinds], dtype=bool),
        spill_to=np.array([k == scenario.spill_over.to_kind for k in kinds], dtype=bool),
        initial_allocation=pounds_m_to_pence(scenario.allocation.initial_gbp_m),
        committed=np.array([s.committed for s in scenario.sectors], dtype=np.float64),
        slippage=np.array([s.slippage for s in scenario.sectors], dtype=np.float64),
        need_growth=np.array([s.need_growth for s in scenario.sectors], dtype=np.float64),
    )

"""The months a run covers, for comparing results of two runs only where both cover them."""

from __future__ import annotations

import re

from sim.scenario.format import Scenario
from sim.units.calendar import financial_year_label

#: The detail of a summary row that belongs to one financial year (e.g. ``2029/30``); other
#: rows (cumulative, end of horizon, counts) cover the whole horizon.
YEAR_DETAIL = re.compile(r"\d{4}/\d{2}")


def same_period(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios cover the same months (start year and horizon)."""
    return (a.start_year, a.horizon_years) == (b.start_year, b.horizon_years)


def period(sc: Scenario) -> str:
    """``5 years from 2025/26``."""
    return f"{sc.horizon_years} years from {financial_year_label(sc.start_year)}"

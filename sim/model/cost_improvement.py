"""Cost improvement and slippage: the finance stream's draws and what they do to costs.

Each year's plan takes a cost-improvement target (a fraction of the improvable cost base:
all of a demand-led provider's costs, a capped sector's discretionary lines) out of the
budgets. Delivery is uncertain (a fraction ``d`` of the target, drawn per
replication and year) and back-loaded: the saving in month ``t`` of the year (0 = April) is
``target * d * PROFILE[t]``, rising from nothing in April to twice the average in March, so
77% of the year's saving falls in the second half (one ICB left 76% of its savings to the
second half, docs/model.md). What is delivered is kept: next year's costs start a fraction
``target * d`` lower. The first year's plan is the scenario's own, with no target.

Slippage lines underspend by chance: the fraction left unspent in a year is drawn per
replication, year, place and sector around the sector's ``slippage_rate``. Both draws come
from the environment stream (the first month of each year), so they are common random
numbers across policies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from sim.model.randomness import open_unit
from sim.model.system import System
from sim.scenario.format import Scenario

Floats = npt.NDArray[np.float64]

#: Share of a year's cost-improvement saving in each month (April first); averages 1.
PROFILE: Floats = 2.0 * np.arange(12, dtype=np.float64) / 11.0


@dataclass(frozen=True)
class FinanceDraws:
    """What the finance draws give each replication, independent of policy."""

    #: Fraction of each year's cost-improvement target delivered, shape (R, Y).
    delivery: Floats
    #: Fraction of each slippage line left unspent each year, shape (R, Y, P, S).
    slippage_rate: Floats


def finance_width(system: System) -> int:
    """Uniforms per year for the finance draws: delivery, then one per budget."""
    return 1 + system.places * system.sectors


def draw_finance(scenario: Scenario, system: System, uniforms: Floats) -> FinanceDraws:
    """Cost-improvement delivery and slippage rates from uniforms of shape
    ``(r, Y, finance_width)`` (each year's first month of the environment stream)."""
    years, p, s = scenario.horizon_years, system.places, system.sectors
    u = uniforms[:, :years]
    r = u.shape[0]
    z = np.clip(ndtri(open_unit(u)), -3.0, 3.0)
    pl = scenario.planning
    delivery = np.clip(
        pl.cost_improvement_delivery + pl.cost_improvement_delivery_sd * z[:, :, 0], 0.0, 1.0
    )
    mean = np.array([x.slippage_rate for x in scenario.sectors])
    sd = np.array([x.slippage_sd for x in scenario.sectors])
    rate = np.clip(mean + sd * z[:, :, 1:].reshape(r, years, p, s), 0.0, 1.0)
    return FinanceDraws(delivery=delivery, slippage_rate=rate)


def improvable(system: System) -> Floats:
    """Share of each sector's costs that carries the cost-improvement target, shape (S,).

    Demand-led sectors (provider trusts paid under the payment scheme, whose prices carry
    the efficiency factor) carry it on all their costs; capped sectors only on their
    discretionary lines (national contracts such as the GP contract carry none).
    """
    out: Floats = np.where(system.capped, system.discretionary, 1.0)
    return out


def efficiency(scenario: Scenario, system: System, delivery: Floats) -> Floats:
    """Cost of need relative to no cost improvement, shape (R, M, S).

    Year 0 has no target; from year 1, month ``t`` of year ``y`` costs
    ``E_y * (1 - f_s * target * d_y * PROFILE[t])`` with ``f_s`` the improvable share of
    sector ``s`` (:func:`improvable`) and ``E_y`` the savings kept from earlier years.
    """
    r, years = delivery.shape
    target = scenario.planning.cost_improvement
    movable = improvable(system)
    saving = target * delivery.copy()
    saving[:, 0] = 0.0
    per_year = saving[:, :, None] * movable[None, None, :]  # (R, Y, S)
    kept = np.cumprod(1.0 - per_year, axis=1)
    before = np.concatenate([np.ones((r, 1, system.sectors)), kept[:, :-1]], axis=1)
    month = 1.0 - per_year[:, :, None, :] * PROFILE[None, None, :, None]  # (R, Y, 12, S)
    out: Floats = (before[:, :, None, :] * month).reshape(r, 12 * years, system.sectors)
    return out

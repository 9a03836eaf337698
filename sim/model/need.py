"""Monthly need per replication, place and sector: trend, seasonality, noise and shocks.

Need is the cost (in pence) of what patients need in a month, before any spill-over. For
sector ``s`` in place ``p`` in month ``m`` (month 0 = April of the first year)::

    need = base[p, s] * trend[m, s] * season[m, s] * exp(e[m] - sigma**2 / 2) * (1 + shock[m])

with ``base = need_ratio * share * first-year allocation * place share / 12``,
``trend = ((1 + need_growth) * (1 + inflation)) ** (m / 12)``,
``season = 1 + seasonality * cos(2 * pi * (m - 9) / 12)`` (peak in January, mean 1 over a year),
``e`` an AR(1) process with stationary standard deviation ``sigma = noise_sd * intensity``,
and ``shock`` a decaying sum of exponential surges arriving with monthly probability
``shock_probability * shock_frequency``. Need is capped at ``NEED_CAP`` times its trend, a
guard that keeps money within 64-bit pence whatever the draws; the shock state is capped
at ``SHOCK_CAP`` where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter
from scipy.special import ndtri

from sim.model.cost_improvement import FinanceDraws, draw_finance, efficiency, finance_width
from sim.model.randomness import ENVIRONMENT, open_unit, uniform_block
from sim.model.system import System
from sim.scenario.format import Scenario
from sim.units.calendar import financial_year_label

#: Largest multiple of its trend that a month's need may reach.
NEED_CAP = 20.0
#: Largest shock state (extra need as a fraction of trend).
SHOCK_CAP = 5.0


def finance_columns(system: System) -> int:
    """Columns per month for the finance draws: a year's twelve months hold its draws."""
    return -(-finance_width(system) // 12)


def environment_width(system: System) -> int:
    """Uniforms per month in the environment stream: noise, shock arrival and shock size per
    budget, allocation growth, then the finance draws (cost-improvement delivery and a
    slippage rate per budget, spread over the twelve months of each year)."""
    return 3 * system.places * system.sectors + 1 + finance_columns(system)


def growth_column(system: System) -> int:
    """Column of the environment stream that drives allocation growth."""
    return 3 * system.places * system.sectors


def need_trend(scenario: Scenario, system: System) -> npt.NDArray[np.float64]:
    """Deterministic need in pence per month, shape ``(M, P, S)`` (no noise, no shocks)."""
    months = np.arange(system.calendar.months, dtype=np.float64)
    infl = 1.0 + scenario.allocation.inflation
    growth = np.array([(1.0 + s.need_growth) * infl for s in scenario.sectors])
    amp = np.array([s.seasonality for s in scenario.sectors])
    ratio = np.array([s.need_ratio for s in scenario.sectors])
    trend = growth[None, :] ** (months[:, None] / 12.0)
    season = 1.0 + amp[None, :] * np.cos(2.0 * np.pi * (months[:, None] - 9.0) / 12.0)
    # Need is set against the whole first-year allocation, so financial policy (such as the
    # contingency share) never changes what patients need.
    sector_money = float(system.initial_allocation)
    place_frac = system.place_weights / system.place_weights.sum()
    base = sector_money * place_frac[:, None] * (system.shares * ratio)[None, :] / 12.0
    out: npt.NDArray[np.float64] = (trend * season)[:, None, :] * base[None, :, :]
    return out


#: Uniform draws buffered at once (float64 values), so memory stays small for big batches.
BUFFER_VALUES = 1 << 16


@dataclass(frozen=True)
class Environment:
    """What the environment stream gives each replication, independent of policy."""

    #: Need before spill-over, integer pence, shape (M, R, P, S) (month-major).
    need: npt.NDArray[np.int64]
    #: Allocation growth factor per year, shape (R, Y); year 0 is 1.
    growth: npt.NDArray[np.float64]
    #: Cost-improvement delivery and slippage rates (the finance stream).
    finance: FinanceDraws


def simulate_environment(
    scenario: Scenario, system: System, replications: npt.NDArray[np.int64]
) -> Environment:
    """Need and allocation growth of each replication, drawn from its environment stream.

    Replications are drawn in small chunks so memory stays bounded; every computation is
    element-wise per replication, so the chunking never changes a number.
    """
    months = system.calendar.months
    width = environment_width(system)
    r = len(replications)
    need = np.empty((months, r, system.places, system.sectors), dtype=np.int64)
    growth = np.empty((r, scenario.horizon_years), dtype=np.float64)
    trend = need_trend(scenario, system)
    years, p, s = scenario.horizon_years, system.places, system.sectors
    delivery = np.empty((r, years), dtype=np.float64)
    slippage = np.empty((r, years, p, s), dtype=np.float64)
    first = growth_column(system) + 1
    chunk = max(1, BUFFER_VALUES // (months * width))
    for lo in range(0, r, chunk):
        reps = replications[lo : lo + chunk]
        u = uniform_block(scenario.seed, reps, ENVIRONMENT, (months, width))
        per_year = u[:, :, first:].reshape(len(reps), years, -1)[:, :, : finance_width(system)]
        drawn = draw_finance(scenario, system, per_year)
        delivery[lo : lo + len(reps)] = drawn.delivery
        slippage[lo : lo + len(reps)] = drawn.slippage_rate
        cost = efficiency(scenario, system, drawn.delivery)
        need[:, lo : lo + len(reps)] = _need(scenario, system, trend, u, cost)
        growth[lo : lo + len(reps)] = allocation_growth(scenario, u, growth_column(system))
    return Environment(
        need=need, growth=growth, finance=FinanceDraws(delivery=delivery, slippage_rate=slippage)
    )


def _need(
    scenario: Scenario,
    system: System,
    trend: npt.NDArray[np.float64],
    uniforms: npt.NDArray[np.float64],
    cost: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Need in pence, shape ``(M, r, P, S)``, from uniforms of shape ``(r, M, width)`` and
    the cost-improvement factor of shape ``(r, M, S)``."""
    r, m = uniforms.shape[:2]
    p, s = system.places, system.sectors
    block = uniforms[:, :, : 3 * p * s].reshape(r, m, 3, p, s)
    intensity = scenario.pressure.intensity
    sigma = np.array([x.noise_sd for x in scenario.sectors]) * intensity
    rho = np.array([x.noise_autocorrelation for x in scenario.sectors])
    prob = np.minimum(
        1.0,
        np.array([x.shock_probability for x in scenario.sectors])
        * scenario.pressure.shock_frequency,
    )
    size = np.array([x.shock_size for x in scenario.sectors]) * intensity
    persist = np.array([x.shock_persistence for x in scenario.sectors])
    innov = np.sqrt(1.0 - rho**2)
    # AR(1) noise started from its stationary distribution, and the decaying shock state,
    # both as linear recursions along the month axis (one filter per sector).
    # Normal scores in single precision (twice as fast); uniforms are kept below 1 - 2**-24,
    # so scores lie within about -8.3 and +5.3.
    u32 = np.minimum(open_unit(block[:, :, 0]).astype(np.float32), np.float32(1.0 - 2.0**-24))
    x = innov * sigma * ndtri(u32).astype(np.float64)
    x[:, 0] *= np.divide(1.0, innov, out=np.ones_like(innov), where=innov > 0)
    arrived = block[:, :, 1] < prob
    surge = np.zeros_like(x)
    surge[arrived] = -np.broadcast_to(size, arrived.shape)[arrived] * np.log1p(
        -block[:, :, 2][arrived]
    )
    e = np.empty_like(x)
    shock = np.zeros_like(surge)
    for j in range(s):
        e[..., j] = lfilter([1.0], [1.0, -rho[j]], x[..., j], axis=1)
        if prob[j] > 0 and size[j] > 0:
            shock[..., j] = lfilter([1.0], [1.0, -persist[j]], surge[..., j], axis=1)
    mult = np.minimum(NEED_CAP, np.exp(e - 0.5 * sigma**2) * (1.0 + np.minimum(SHOCK_CAP, shock)))
    mult *= cost[:, :, None, :]
    need: npt.NDArray[np.int64] = np.rint(trend[None] * mult).astype(np.int64).transpose(1, 0, 2, 3)
    return need


def allocation_growth(
    scenario: Scenario, uniforms: npt.NDArray[np.float64], column: int
) -> npt.NDArray[np.float64]:
    """Allocation growth factor for each year, shape ``(R, Y)``; year 0 is 1.

    Growth in year ``y`` is ``growth_rate + growth_sd * z`` with ``z`` standard normal clipped
    to +-3, drawn from the growth column of the year's first month; a year with a published
    figure (``growth_by_year``) takes it exactly.
    """
    a = scenario.allocation
    years = scenario.horizon_years
    u = uniforms[:, ::12, column][:, :years]
    z = np.clip(ndtri(open_unit(u)), -3.0, 3.0)
    g = 1.0 + a.growth_rate + a.growth_sd * z
    for y in range(1, years):
        published = a.growth_by_year.get(financial_year_label(scenario.start_year + y))
        if published is not None:
            g[:, y] = 1.0 + published
    g[:, 0] = 1.0
    out: npt.NDArray[np.float64] = g
    return out

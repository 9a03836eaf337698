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
from scipy.special import ndtri

from sim.model.cost_improvement import FinanceDraws, draw_finance, efficiency, finance_width
from sim.model.randomness import ENVIRONMENT, initial_states, open_unit, uniform_block
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
#: Replications whose noise and shock recursions run together. The recursions step month by
#: month over a block (one numpy pass per month), which beats a filter call per sector and
#: per small buffer chunk; a block's arrays stay a few megabytes.
FILTER_BLOCK = 256


@dataclass(frozen=True)
class Environment:
    """What the environment stream gives each replication, independent of policy."""

    #: Need before spill-over, integer pence, shape (M, R, P, S) (month-major).
    need: npt.NDArray[np.int64]
    #: Allocation growth factor per year, shape (R, Y); year 0 is 1.
    growth: npt.NDArray[np.float64]
    #: Cost-improvement delivery and slippage rates (the finance stream).
    finance: FinanceDraws


@dataclass(frozen=True)
class _Noise:
    """Per-sector parameters of the noise and shock processes, shape (S,) each."""

    sigma: npt.NDArray[np.float64]
    rho: npt.NDArray[np.float64]
    innov: npt.NDArray[np.float64]
    prob: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]
    persist: npt.NDArray[np.float64]


def _noise(scenario: Scenario) -> _Noise:
    intensity = scenario.pressure.intensity
    rho = np.array([x.noise_autocorrelation for x in scenario.sectors])
    prob = np.minimum(
        1.0,
        np.array([x.shock_probability for x in scenario.sectors])
        * scenario.pressure.shock_frequency,
    )
    return _Noise(
        sigma=np.array([x.noise_sd for x in scenario.sectors]) * intensity,
        rho=rho,
        innov=np.sqrt(1.0 - rho**2),
        prob=prob,
        size=np.array([x.shock_size for x in scenario.sectors]) * intensity,
        persist=np.array([x.shock_persistence for x in scenario.sectors]),
    )


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
    years, p, s = scenario.horizon_years, system.places, system.sectors
    need = np.empty((months, r, p, s), dtype=np.int64)
    growth = np.empty((r, years), dtype=np.float64)
    trend = need_trend(scenario, system)
    noise = _noise(scenario)
    delivery = np.empty((r, years), dtype=np.float64)
    slippage = np.empty((r, years, p, s), dtype=np.float64)
    first = growth_column(system) + 1
    chunk = max(1, BUFFER_VALUES // (months * width))
    block = max(chunk, FILTER_BLOCK // chunk * chunk)
    states = initial_states(scenario.seed, replications, ENVIRONMENT)
    # Month-major innovations and surges of a block, (M, n, P, S), reused block after block
    # (fresh memory is dear on the reference machine).
    x_buf = np.empty((months, min(r, block), p, s), dtype=np.float64)
    surge_buf = np.empty_like(x_buf)
    for b_lo in range(0, r, block):
        b_hi = min(r, b_lo + block)
        x, surge = x_buf[:, : b_hi - b_lo], surge_buf[:, : b_hi - b_lo]
        for lo in range(b_lo, b_hi, chunk):
            hi = min(b_hi, lo + chunk)
            u = uniform_block(
                scenario.seed,
                replications[lo:hi],
                ENVIRONMENT,
                (months, width),
                None if states is None else states[lo:hi],
            )
            per_year = u[:, :, first:].reshape(hi - lo, years, -1)[:, :, : finance_width(system)]
            drawn = draw_finance(scenario, system, per_year)
            delivery[lo:hi] = drawn.delivery
            slippage[lo:hi] = drawn.slippage_rate
            xs, ss = _innovations(noise, u, p, s)
            x[:, lo - b_lo : hi - b_lo] = xs.swapaxes(0, 1)
            surge[:, lo - b_lo : hi - b_lo] = ss.swapaxes(0, 1)
            growth[lo:hi] = allocation_growth(scenario, u, growth_column(system))
        # The cost factor of a replication depends on its own delivery draws only.
        cost = efficiency(scenario, system, delivery[b_lo:b_hi]).swapaxes(0, 1)
        need[:, b_lo:b_hi] = _need(noise, trend, x, surge, cost)
    return Environment(
        need=need, growth=growth, finance=FinanceDraws(delivery=delivery, slippage_rate=slippage)
    )


def _innovations(
    noise: _Noise, uniforms: npt.NDArray[np.float64], p: int, s: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Noise innovations and shock surges, shape ``(r, M, P, S)`` each, from uniforms of
    shape ``(r, M, width)``."""
    r, m = uniforms.shape[:2]
    block = uniforms[:, :, : 3 * p * s].reshape(r, m, 3, p, s)
    innov = noise.innov
    # The AR(1) noise starts from its stationary distribution: its first innovation is
    # scaled up by 1 / innov.
    # Normal scores in single precision (twice as fast); uniforms are kept below 1 - 2**-24,
    # so scores lie within about -8.3 and +5.3.
    u32 = open_unit(block[:, :, 0]).astype(np.float32)
    np.minimum(u32, np.float32(1.0 - 2.0**-24), out=u32)
    x = ndtri(u32).astype(np.float64)
    x *= innov * noise.sigma  # in place: the same product as (innov * sigma) * score
    x[:, 0] *= np.divide(1.0, innov, out=np.ones_like(innov), where=innov > 0)
    arrived = block[:, :, 1] < noise.prob
    surge = np.zeros_like(x)
    surge[arrived] = -np.broadcast_to(noise.size, arrived.shape)[arrived] * np.log1p(
        -block[:, :, 2][arrived]
    )
    return x, surge


def _recursion(x: npt.NDArray[np.float64], coef: npt.NDArray[np.float64]) -> None:
    """``x[m] += coef * x[m - 1]`` along the first (month) axis, in place: the first-order
    filter ``y[m] = x[m] + coef * y[m - 1]`` with ``y[0] = x[0]``, rounded exactly as
    ``scipy.signal.lfilter([1], [1, -coef])`` rounds it (one product, one sum)."""
    step = np.empty_like(x[0])
    for m in range(1, x.shape[0]):
        np.multiply(coef, x[m - 1], out=step)
        x[m] += step


def _need(
    noise: _Noise,
    trend: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    surge: npt.NDArray[np.float64],
    cost: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Need in pence, shape ``(M, n, P, S)``, from month-major innovations and surges of
    shape ``(M, n, P, S)`` and the cost-improvement factor of shape ``(M, n, S)``; ``x``
    and ``surge`` are overwritten."""
    # AR(1) noise and the decaying shock state, as linear recursions along the months.
    _recursion(x, noise.rho)
    if np.any((noise.prob > 0) & (noise.size > 0)):
        # Sectors without shocks have zero surges, which the recursion keeps at zero.
        _recursion(surge, noise.persist)
    # min(NEED_CAP, exp(e - sigma**2 / 2) * (1 + min(SHOCK_CAP, shock))) * cost * trend,
    # in place: each step is the same single rounding as with fresh arrays.
    x -= 0.5 * noise.sigma**2
    np.exp(x, out=x)
    np.minimum(surge, SHOCK_CAP, out=surge)
    surge += 1.0
    x *= surge
    np.minimum(x, NEED_CAP, out=x)
    x *= cost[:, :, None, :]
    x *= trend[:, None]
    need: npt.NDArray[np.int64] = np.rint(x, out=x).astype(np.int64)
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

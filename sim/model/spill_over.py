"""Spill-over through activity: unmet primary and community care returning as hospital cost.

Unmet need in the spill-from sectors is counted in appointments (pence / cost of an
appointment). Its change from the first-year level (the shortfall the sectors' need ratios
build in, already part of today's hospital activity) becomes extra A&E attendances and
emergency admissions, priced at their unit costs: per pound of extra unmet need,

    rate = (ae_per_appointment x ae_cost + admissions_per_appointment x admission_cost)
           / appointment_cost

and, for unmet need *below* its first-year level (better access), ``investment_response x
rate`` pounds fewer. The response arrives over the following months by the lag weights.

The loop is bounded by construction: the response to a month is at most ``rate`` times the
spill-from sectors' own need (unmet need never exceeds need), those sectors never receive
spill-over (validation), and their need does not depend on hospital spending. So spill-over
can never feed itself (docs/model.md, section 5.4).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.model.system import System
from sim.scenario.finance import SpillOver
from sim.scenario.format import Scenario
from sim.units.money import Pence

Floats = npt.NDArray[np.float64]


def spill_weights(system: System) -> Floats:
    """How a place's spill-over divides between sectors, shape (S,); zero if none receive it."""
    w = system.shares * system.spill_to
    out: Floats = w / w.sum() if w.sum() > 0 else w
    return out


def spill_in(total: Floats, weights: Floats) -> Pence:
    """Spill-over arriving in each sector, pence, from place totals of shape (..., P)."""
    out: Pence = np.rint(total[..., None] * weights).astype(np.int64)
    return out


def reference_unmet(scenario: Scenario, system: System) -> Floats:
    """The first-year shortfall built into each spill-from sector, as a fraction of its need.

    A capped sector whose need ratio is ``k > 1`` starts with ``1 - 1/k`` of its need unmet;
    that shortfall is already in today's hospital activity, so only changes from it spill.
    """
    ratio = np.array([max(1.0, s.need_ratio) for s in scenario.sectors])
    out: Floats = np.where(system.capped & system.spill_from, 1.0 - 1.0 / ratio, 0.0)
    return out


def response(
    unmet: Pence, need: Pence, reference: Floats, spill: SpillOver, system: System
) -> Floats:
    """Hospital cost a month's unmet need will bring, pence (real), per place, shape (R, P).

    Args:
        unmet, need: this month's unmet need and need, (R, P, S).
        reference: first-year unmet share of need per sector, (S,).
    """
    source = np.flatnonzero(system.spill_from)
    change = (unmet[..., source] - reference[source] * need[..., source]).sum(axis=2)
    rate = spill.pounds_per_pound
    out: Floats = rate * np.maximum(change, 0.0) - rate * spill.investment_response * np.maximum(
        -change, 0.0
    )
    return out


def lagged(history: Floats, month: int, weights: Floats) -> Floats:
    """Spill-over arriving in ``month`` from the responses of earlier months, (R, P).

    ``history[:, k]`` holds the response of the latest month ``m' < month`` with
    ``m' mod L == k`` (``L`` lags); months before the start contributed nothing.
    """
    lags = weights.size
    out = np.zeros(history.shape[::2], dtype=np.float64)
    for lag in range(1, min(lags, month) + 1):
        out += weights[lag - 1] * history[:, (month - lag) % lags]
    return out


def floor_spill(arriving: Floats, need: Pence, weights: Floats) -> Floats:
    """Spill-over arriving, never lowering a receiving sector's need below nothing.

    Better access can bring *negative* spill-over (fewer attendances); the place total is
    raised where needed so that ``rint(total x weight_s) >= -need_s`` in every receiving
    sector (``rint`` is monotone), keeping need >= 0 exactly.
    """
    receiving = weights > 0
    if not receiving.any() or arriving.min(initial=0.0) >= 0:
        return arriving
    lowest = (-need[:, :, receiving] / weights[receiving]).max(axis=2)
    out: Floats = np.maximum(arriving, lowest)
    return out

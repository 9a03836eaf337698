"""Deficit regimes: what a year-end deficit costs in later years.

Two named and dated rule sets, as NHS England's business rules have them (docs/model.md):

- **System break-even with deficit support** (to 2025/26): systems plan to break even with
  deficit support funding; part of a year-end deficit is met by support, the rest repaid
  from later plans.
- **Individual break-even** (from 2026/27): each ICB must break even as a body; deficit
  support is removed and a deficit is repaid from the next plans.

A third, ``none``, is the first version's rule (a deficit is never repaid), for comparison.
A repayment is taken from the allocation before the plan divides it; a penalty is paid to
NHS England with the first instalment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.finance import Deficit
from sim.units.calendar import financial_year_label
from sim.units.money import Pence, split


@dataclass(frozen=True)
class RuleSet:
    """One named deficit regime."""

    name: str
    label: str
    #: Share of a year-end deficit met by deficit support funding.
    support_share: float
    #: Years over which the rest is repaid (0: never repaid).
    repayment_years: int
    #: Extra paid to NHS England, as a share of the deficit.
    penalty: float


#: ASSUMPTION (docs/model.md): half of a deficit met by support, the rest over three years.
SYSTEM_BREAKEVEN = RuleSet(
    "system_breakeven", "System break-even with deficit support (to 2025/26)", 0.5, 3, 0.0
)
#: ASSUMPTION (docs/model.md): no support; repaid over the next two plans.
INDIVIDUAL_BREAKEVEN = RuleSet(
    "individual_breakeven",
    "Individual break-even with deficit repayment (from 2026/27)",
    0.0,
    2,
    0.0,
)
NO_REPAYMENT = RuleSet("none", "No repayment (the first version's rule)", 0.0, 0, 0.0)
#: The first financial year (its starting calendar year) of individual break-even.
INDIVIDUAL_FROM = 2026
RULE_SETS = {r.name: r for r in (SYSTEM_BREAKEVEN, INDIVIDUAL_BREAKEVEN, NO_REPAYMENT)}


def rules_for_year(deficit: Deficit, first_year: int) -> RuleSet:
    """The rule set for the financial year starting in April of ``first_year``, with the
    scenario's overrides."""
    if deficit.regime == "in_force":
        base = INDIVIDUAL_BREAKEVEN if first_year >= INDIVIDUAL_FROM else SYSTEM_BREAKEVEN
    else:
        base = RULE_SETS[deficit.regime]
    if base is NO_REPAYMENT:
        return base
    return RuleSet(
        base.name,
        base.label,
        base.support_share if deficit.support_share is None else deficit.support_share,
        base.repayment_years if deficit.repayment_years is None else deficit.repayment_years,
        base.penalty if deficit.penalty is None else deficit.penalty,
    )


def regime_labels(deficit: Deficit, start_year: int, years: int) -> list[tuple[str, str]]:
    """(financial year, rule set label) for every year of a horizon."""
    return [
        (financial_year_label(start_year + y), rules_for_year(deficit, start_year + y).label)
        for y in range(years)
    ]


@dataclass(frozen=True)
class Settlement:
    """What becomes of one year's deficit, pence, per replication."""

    #: Met at once by deficit support funding, (R,).
    support: Pence
    #: Instalments taken from the next plans, (R, repayment_years).
    instalments: Pence
    #: Paid to NHS England with the first instalment, (R,).
    penalty: Pence


def settle(deficit: Pence, rules: RuleSet) -> Settlement:
    """Split a year-end deficit (pence, (R,), non-negative) into support, instalments and a
    penalty. Support plus instalments equal the deficit exactly (none repaid under ``none``).
    """
    d = np.asarray(deficit, dtype=np.int64)
    if rules.repayment_years == 0:
        zero = np.zeros_like(d)
        return Settlement(zero, np.zeros((d.size, 0), dtype=np.int64), zero)
    support = np.floor(d * rules.support_share).astype(np.int64)
    rest = d - support
    weights = np.ones((d.size, rules.repayment_years))
    instalments = split(rest, weights)
    penalty = np.floor(d * rules.penalty).astype(np.int64)
    return Settlement(support, instalments, penalty)

"""The finance tables of a scenario: the annual planning round, in-year recovery, the deficit
regime and spill-over through hospital activity.

Each default carries its source or is marked ASSUMPTION in ``docs/model.md``; the ranges
are the documented ranges that calibration and sensitivity analysis explore.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from sim.scenario.fields import Between, Fraction, SectorKind, Strict
from sim.units.calendar import YEAR_PATTERN

#: How in-year pressure is handled: the recovery plan (the default) or the first version's
#: quota-pivot vote on transfers to secondary care (an alternative decision model).
InYearModel = Literal["recovery_plan", "board_vote"]
#: Named deficit regimes; "in_force" applies each year's rules by date.
DeficitRegime = Literal["in_force", "system_breakeven", "individual_breakeven", "none"]


def _year(v: str) -> str:
    m = YEAR_PATTERN.match(v)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise PydanticCustomError(
            "year", "must be a financial year like '2026/27', got {got}", {"got": repr(v)}
        )
    return v


#: A financial year label, ``2026/27``.
Year = Annotated[str, AfterValidator(_year)]
Rate = Annotated[float, Between(-0.5, 0.5)]


class Planning(Strict):
    """The annual planning round: uplifts, cost improvement and how far the plan moves."""

    committed_uplift: Annotated[float, Between(-0.2, 0.5)] = Field(
        0.025,
        description="National uplift of committed lines a year (fraction): the nationally "
        "set contract uplift that committed lines (GP core contract, QOF, DES) receive.",
    )
    committed_uplift_by_year: dict[Year, Rate] = Field(
        default_factory=dict,
        description="Published uplifts of committed lines by financial year (e.g. "
        "{'2026/27' = 0.028}); other years use committed_uplift.",
    )
    cost_improvement: Annotated[float, Between(0.0, 0.2)] = Field(
        0.02,
        description="Cost-improvement target each year (fraction of the non-committed cost "
        "base), taken out of the plan's budgets.",
    )
    cost_improvement_delivery: Fraction = Field(
        0.8, description="Mean fraction of the cost-improvement target delivered in a year."
    )
    cost_improvement_delivery_sd: Annotated[float, Between(0.0, 0.5)] = Field(
        0.15,
        description="Standard deviation of the fraction delivered (clipped to 0 and 1).",
    )
    pace: Fraction = Field(
        0.5,
        description="Fraction of the gap between last year's division of discretionary money "
        "and the board's agreed division that each plan closes.",
    )
    consensus_tolerance: Fraction = Field(
        0.15,
        description="Largest distance (total variation) between two voting members' ideal "
        "divisions of the money at which the board agrees the plan by consensus; beyond it "
        "the voting rule decides how far the plan moves.",
    )


class Recovery(Strict):
    """In-year financial management: the monthly forecast and the recovery plan."""

    model: InYearModel = Field(
        "recovery_plan",
        description="'recovery_plan': a forecast deficit is met by the reserve, slippage and "
        "non-recurrent pauses of discretionary lines; 'board_vote': the first version's "
        "quota-pivot vote on in-year transfers to secondary care (an alternative model).",
    )
    from_month: Annotated[int, Between(1, 12)] = Field(
        4,
        description="Month of the financial year (1 = April) from which a recovery plan may act.",
    )
    threshold: Annotated[float, Between(0.0, 0.1)] = Field(
        0.002,
        description="Forecast year-end deficit (fraction of the allocation) above which the "
        "recovery plan acts.",
    )
    max_pause: Fraction = Field(
        0.1,
        description="Most of a discretionary line's planned money that pauses may take in a "
        "year (fraction).",
    )
    delegated_limit: Annotated[float, Between(0.0, 0.1)] = Field(
        0.0025,
        description="Pauses the director of finance may make in a year without the board "
        "(fraction of the allocation); more waits for the board's approval at a meeting.",
    )


class Deficit(Strict):
    """What a year-end deficit costs: support, repayment from later plans, penalties."""

    regime: DeficitRegime = Field(
        "in_force",
        description="'in_force': each year under the rules of its date (system break-even "
        "with deficit support to 2025/26, individual break-even from 2026/27); or one named "
        "rule set for every year; 'none' never repays (the first version).",
    )
    repayment_years: Annotated[int, Between(1, 10)] | None = Field(
        None,
        description="Years over which a deficit is repaid from later plans (default: the "
        "regime's).",
    )
    support_share: Fraction | None = Field(
        None,
        description="Share of a year-end deficit met by deficit support funding (default: the "
        "regime's).",
    )
    penalty: Fraction | None = Field(
        None,
        description="Extra paid back to NHS England as a share of the deficit, with the first "
        "repayment (default: the regime's, none).",
    )


def _default_lags() -> list[float]:
    return list(DEFAULT_LAG_WEIGHTS)


#: Spill-over arriving 1, 2, 3, ... months after the unmet need (ASSUMPTION, docs/model.md).
DEFAULT_LAG_WEIGHTS = (0.2, 0.3, 0.25, 0.15, 0.1)
_SPILL_FROM: tuple[SectorKind, ...] = ("primary", "community")


class SpillOver(Strict):
    """Unmet primary and community care returning as A&E attendances and admissions."""

    appointment_cost_gbp: Annotated[float, Between(1.0, 1000.0)] = Field(
        42.0, description="Cost of one primary or community appointment (£)."
    )
    ae_per_appointment: Annotated[float, Between(0.0, 1.0)] = Field(
        0.033, description="Extra A&E attendances per appointment of unmet need."
    )
    admissions_per_appointment: Annotated[float, Between(0.0, 1.0)] = Field(
        0.002, description="Extra emergency admissions per appointment of unmet need."
    )
    ae_cost_gbp: Annotated[float, Between(0.0, 10_000.0)] = Field(
        242.0, description="Cost of one A&E attendance (£)."
    )
    admission_cost_gbp: Annotated[float, Between(0.0, 100_000.0)] = Field(
        2000.0, description="Cost of one emergency admission (£)."
    )
    investment_response: Annotated[float, Between(0.0, 2.0)] = Field(
        1.0,
        description="Response to unmet need falling below its first-year level, relative to "
        "the response to it rising (1 = symmetric).",
    )
    lag_weights: Annotated[
        list[Annotated[float, Between(0.0, 1.0)]], Field(min_length=1, max_length=24)
    ] = Field(
        default_factory=_default_lags,
        description="Share of the response arriving 1, 2, 3, ... months later; sums to 1.",
    )
    from_kinds: list[SectorKind] = Field(
        default_factory=lambda: list(_SPILL_FROM),
        description="Sector kinds whose unmet need spills over.",
    )
    to_kind: SectorKind = Field(
        "secondary", description="Sector kind that receives the spill-over."
    )

    @property
    def pounds_per_pound(self) -> float:
        """Hospital cost per pound of unmet need (the implied elasticity)."""
        per_appointment = (
            self.ae_per_appointment * self.ae_cost_gbp
            + self.admissions_per_appointment * self.admission_cost_gbp
        )
        return per_appointment / self.appointment_cost_gbp

    @property
    def active(self) -> bool:
        """Whether any unmet need returns as hospital cost."""
        return self.pounds_per_pound > 0


#: Fields of the first version that have gone, with what to write instead (shown by validate).
REMOVED_FIELDS: dict[str, str] = {
    "spill_over.elasticity": "removed in the second model; spill-over is priced through "
    "activity: set spill_over.ae_per_appointment (0.033 is about the old 0.3)",
    "spill_over.lag_months": "removed in the second model; write spill_over.lag_weights "
    "(e.g. [0, 0, 1] for a single three-month lag)",
}

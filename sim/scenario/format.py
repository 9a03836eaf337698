"""The scenario format: pydantic models of a scenario file (units in field names and docs).

Field-level checks live here; checks that relate several fields (shares summing to one,
names that must exist, dates inside the horizon, ring-fence feasibility) are in
:mod:`sim.scenario.consistency` so that every error can name the exact field it concerns.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from sim.scenario.fields import Between, Fraction, Month, Name, SectorKind, Strict, _thousandths
from sim.scenario.finance import Deficit, Planning, Rate, Recovery, SpillOver, Year

Spending = Literal["capped", "demand_led"]
Constituency = Literal[
    "chair",
    "executive",
    "non_executive",
    "trust",
    "primary_care",
    "local_authority",
    "mental_health",
    "place",
    "other",
]
VotingRule = Literal["consensus_then_majority", "simple_majority", "two_thirds", "unanimity"]
RingFenceRule = Literal[
    "min_share",
    "min_share_at_plan",
    "min_growth",
    "no_transfers_out",
    "cap_transfers_out",
    "real_terms_floor",
]

#: Largest board the engine supports (absence draws use a fixed block of this size).
MAX_MEMBERS = 32


class Allocation(Strict):
    """The money the ICB receives from NHS England."""

    initial_gbp_m: Annotated[
        float, Field(gt=0, le=10_000_000, description="First-year allocation, £ million.")
    ]
    growth_rate: Annotated[float, Between(-0.5, 0.5)] = Field(
        0.04, description="Mean nominal growth of the allocation per year (fraction)."
    )
    growth_by_year: dict[Year, Rate] = Field(
        default_factory=dict,
        description="Published allocation growth by financial year (e.g. {'2026/27' = "
        "0.0272}); these years take it exactly, the others growth_rate with growth_sd.",
    )
    growth_sd: Annotated[float, Between(0.0, 0.1)] = Field(
        0.0,
        description="Standard deviation of annual allocation growth (fraction); draws are "
        "clipped at 3 standard deviations.",
    )
    inflation: Annotated[float, Between(-0.2, 0.5)] = Field(
        0.025,
        description="Annual price inflation of NHS costs (fraction); drives need and "
        "real-terms floors.",
    )
    pace_of_change: Annotated[float, Between(0.0, 1.0)] = Field(
        1.0,
        description="Fraction of each place's distance from its fair share closed each year; "
        "the first year starts at current_share (1 = at fair share from the second year).",
    )
    contingency_share: Annotated[float, Between(0.0, 0.2)] = Field(
        0.005,
        description="Contingency reserve the ICB holds back each year (fraction of the "
        "allocation); the reserve is topped up to this level at each year start.",
    )


class Sector(Strict):
    """A sector budget (per place) with its need and spending behaviour."""

    name: Name = Field(description="Sector name, unique in the scenario.")
    kind: SectorKind = Field(
        description="Kind, used for reporting (e.g. primary-care share) and rules."
    )
    share: Fraction = Field(
        description="Share of the first-year sector allocation (fraction); shares sum to 1."
    )
    spending: Spending = Field(
        description="'capped': spend at most the budget, the rest is unmet need; 'demand_led': "
        "spend the need, the excess is an overspend."
    )
    committed: Fraction = Field(
        0.0,
        description="Share of the budget in committed lines: national contracts the ICB "
        "cannot move (GP core contract, QOF, DES), grown by the national uplift.",
    )
    committed_uplift: Annotated[float, Between(-0.2, 0.5)] | None = Field(
        None,
        description="This sector's own contract uplift a year (fraction) for its committed "
        "and slippage lines, e.g. the GP or the dental contract; planning.committed_uplift "
        "(the national uplift) where not given.",
    )
    slippage: Fraction = Field(
        0.0,
        description="Share of the budget in lines that underspend by chance (unfilled "
        "reimbursed roles, dental under-delivery); the unspent money returns to the reserve.",
    )
    slippage_rate: Fraction = Field(
        0.0, description="Mean fraction of the slippage lines left unspent in a year."
    )
    slippage_sd: Annotated[float, Between(0.0, 0.5)] = Field(
        0.0, description="Standard deviation of that fraction between years (clipped to 0-1)."
    )
    need_ratio: Annotated[float, Between(0.0, 5.0)] = Field(
        1.0,
        description="First-year need as a multiple of the sector's share of the first-year "
        "allocation (before the contingency reserve is held back).",
    )
    need_growth: Annotated[float, Between(-0.5, 0.5)] = Field(
        0.02, description="Real growth of need per year (fraction), on top of inflation."
    )
    seasonality: Annotated[float, Between(0.0, 0.5)] = Field(
        0.0, description="Amplitude of the winter peak (fraction of monthly need; peak in January)."
    )
    noise_sd: Annotated[float, Between(0.0, 1.0)] = Field(
        0.02, description="Standard deviation of the autocorrelated log-noise in monthly need."
    )
    noise_autocorrelation: Annotated[float, Between(0.0, 0.99)] = Field(
        0.5, description="Month-to-month autocorrelation of the need noise (AR(1) coefficient)."
    )
    shock_probability: Fraction = Field(
        0.0, description="Probability of a shock (surge, epidemic wave, backlog) in a month."
    )
    shock_size: Annotated[float, Between(0.0, 5.0)] = Field(
        0.1,
        description="Mean size of a shock, fraction of monthly need (exponentially distributed).",
    )
    shock_persistence: Annotated[float, Between(0.0, 0.99)] = Field(
        0.5, description="Fraction of a shock's extra need that carries into the next month."
    )


class Place(Strict):
    """A place (usually a local-authority footprint) with its own sector budgets."""

    name: Name = Field(description="Place name, unique in the scenario.")
    population: Annotated[
        int, Field(gt=0, le=100_000_000, description="Registered population (people).")
    ]
    need_index: Annotated[float, Between(0.1, 10.0)] = Field(
        1.0, description="Relative need per head (1 = ICB average); weights the place's fair share."
    )
    current_share: Annotated[float, Between(0.0, 1.0)] | None = Field(
        None,
        description="The place's share of the ICB's allocation today (fraction); the split moves "
        "from it towards the fair share at allocation.pace_of_change. Default: the fair share.",
    )
    delegated: bool = Field(
        False,
        description="The place's budgets are delegated: its in-year support is decided by the "
        "members who represent the place (member.place), not the whole board.",
    )
    pooled_gbp_m: Annotated[float, Between(0.0, 100_000.0)] = Field(
        0.0,
        description="Money pooled with the council each year (Better Care Fund, section 75), "
        "£ million, held in the place's community budget; it moves in-year only with the "
        "consent of the place's local-authority partner.",
    )
    red_line: bool = Field(
        False,
        description="Council red line: the place's share of the allocation may not fall "
        "without its local-authority partner's consent (which it does not give).",
    )


class Pressure(Strict):
    """Scales of in-year pressure and the trigger for extraordinary board meetings."""

    intensity: Annotated[float, Between(0.0, 10.0)] = Field(
        1.0, description="Multiplies every sector's noise and shock sizes (0 = deterministic need)."
    )
    shock_frequency: Annotated[float, Between(0.0, 10.0)] = Field(
        1.0, description="Multiplies every sector's shock probability (capped at 1)."
    )
    extraordinary_threshold: Fraction = Field(
        0.02,
        description="Underlying forecast secondary-care overspend (before this year's in-year "
        "support), as a fraction of its planned budget, above which an extraordinary board "
        "meeting is called in a month without a scheduled one.",
    )


class Member(Strict):
    """A board member."""

    name: Name = Field(description="Member name or title, unique on the board.")
    constituency: Constituency = Field(description="Whom the member comes from; sets their stance.")
    weight: Annotated[
        float,
        Field(gt=0, le=100, description="Vote weight (counted in thousandths of a vote)."),
        AfterValidator(_thousandths),
    ] = 1.0
    voting: bool = Field(True, description="Whether the member votes (false: participant only).")
    role: str = Field("", max_length=120, description="Role or title, for reports (free text).")
    place: Name | None = Field(
        None,
        description="The place the member represents (place members, local-authority "
        "partners); they decide in-year support in that place if its budget is delegated.",
    )
    start: Month | None = Field(
        None, alias="from", description="First month the member sits on the board (YYYY-MM)."
    )
    until: Month | None = Field(
        None, description="Last month the member sits on the board (YYYY-MM)."
    )


#: Default tilts of each constituency's ideal plan shares (ASSUMPTION, docs/governance.md).
DEFAULT_PLAN_TILT: dict[Constituency, dict[SectorKind, float]] = {
    "trust": {"secondary": 0.5},
    "primary_care": {"primary": 0.5},
    "local_authority": {"community": 0.5},
    "mental_health": {"mental_health": 0.5},
    "place": {"community": 0.25, "primary": 0.25},
}

DEFAULT_STANCE: dict[Constituency, float] = {
    "chair": 0.5,
    "executive": 0.6,
    "non_executive": 0.4,
    "trust": 1.0,
    "primary_care": 0.0,
    "local_authority": 0.2,
    "mental_health": 0.2,
    "place": 0.3,
    "other": 0.3,
}


class Board(Strict):
    """The ICB board that decides in-year transfers by vote."""

    members: Annotated[list[Member], Field(max_length=MAX_MEMBERS)] = Field(
        default_factory=list, description="Board members (voting and non-voting)."
    )
    seats: dict[Constituency, Annotated[int, Field(ge=0, le=MAX_MEMBERS)]] = Field(
        default_factory=dict,
        description="Compact composition: voting seats per constituency, added to `members` "
        "as members named after their constituency (e.g. 'trust 2').",
    )
    rule: VotingRule = Field("consensus_then_majority", description="Voting rule for transfers.")
    quorum: Fraction = Field(
        0.5,
        description="Voting weight that must be present for a decision (fraction of all voting weight).",
    )
    casting_vote: bool = Field(
        True, description="The chair breaks an exact tie under majority rules."
    )
    absence_probability: Fraction = Field(
        0.0, description="Probability that each member misses a given meeting."
    )
    meeting_interval_months: Annotated[int, Between(1, 12)] = Field(
        2, description="Months between scheduled meetings (first at the end of this many months)."
    )
    recurrent_share: Fraction = Field(
        0.0,
        description="recovery.model = 'board_vote' only: fraction of each in-year transfer "
        "that is recurrent (carried into next year's plan); the rest lapses at year end.",
    )
    stance: dict[Constituency, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(DEFAULT_STANCE),
        description="Ideal in-year support per constituency, as a fraction of secondary care's "
        "underlying forecast overspend (0 = move nothing, 1 = cover it all). Missing "
        "constituencies take the defaults.",
    )
    plan_tilt: dict[Constituency, dict[SectorKind, Annotated[float, Field(ge=-0.9, le=5)]]] = Field(
        default_factory=lambda: {c: dict(t) for c, t in DEFAULT_PLAN_TILT.items()},
        description="How each constituency would tilt the annual plan's growth money: its "
        "ideal share for a sector is the sector's first-year share times (1 + tilt for the "
        "sector's kind), renormalised. Missing constituencies take the defaults.",
    )

    def all_members(self) -> list[Member]:
        """The members, with the compact `seats` expanded into named members (``primary care
        1``, ``local authority 2``: the constituency in words, as reports show the names)."""
        out = list(self.members)
        for constituency, count in self.seats.items():
            words = constituency.replace("_", " ")
            out += [
                Member(name=f"{words} {i + 1}", constituency=constituency) for i in range(count)
            ]
        return out


class Priorities(Strict):
    """ICB priorities for the annual plan, applied on top of every member's own tilt."""

    priorities: dict[SectorKind, Annotated[float, Field(ge=-0.9, le=5)]] = Field(
        default_factory=dict,
        description="Tilt of every member's ideal share by sector kind (e.g. a 'left shift': "
        "community = 1.0 doubles every member's ideal community share of growth money).",
    )
    sectors: dict[Name, Annotated[float, Field(ge=-0.9, le=5)]] = Field(
        default_factory=dict,
        description="Tilt by sector name, added to its kind's (e.g. dental access, where "
        "the kind 'primary' also holds general practice).",
    )
    start: Month | None = Field(
        None, alias="from", description="First month the priorities apply (YYYY-MM)."
    )


class RingFence(Strict):
    """A ring-fencing rule: a bound on a sector budget (or its transfers) in a scope and period."""

    name: Name = Field(description="Rule name, unique in the scenario; shown when it binds.")
    rule: RingFenceRule = Field(description="What the rule requires.")
    sector: Name | None = Field(None, description="Sector the rule protects (give sector or kind).")
    kind: SectorKind | None = Field(
        None, description="Sector kind the rule protects (give sector or kind)."
    )
    place: Name = Field("all", description="Place the rule applies in, or 'all'.")
    min_share: Fraction | None = Field(
        None,
        description="min_share, min_share_at_plan: minimum share of the place's money for "
        "sector budgets (fraction); min_share holds at every month-end, min_share_at_plan "
        "only in the annual plan.",
    )
    growth: Annotated[float, Field(ge=-0.5, le=0.5)] | Literal["overall"] | None = Field(
        None,
        description="min_growth: minimum annual growth of the planned budget, a fraction or "
        "'overall' (at least the growth of the place's total, as the Mental Health Investment "
        "Standard).",
    )
    cap: Fraction | None = Field(
        None,
        description="cap_transfers_out: most that may be moved out in-year (fraction of the annual budget).",
    )
    start: Month | None = Field(
        None, alias="from", description="First month the rule applies (YYYY-MM)."
    )
    until: Month | None = Field(None, description="Last month the rule applies (YYYY-MM).")


class Scenario(Strict):
    """A complete scenario: the ICB's money, sectors, places, board and ring-fences."""

    name: Annotated[
        str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    ] = Field(
        "scenario",
        description="Scenario name; names the output directory (defaults to the file name).",
    )
    description: str = Field("", description="What the scenario is for.")
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(0, description="Root random seed.")
    replications: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        200, description="Number of stochastic replications."
    )
    start_year: Annotated[int, Field(ge=2000, le=2100)] = Field(
        2025, description="Calendar year in which the first financial year starts (April)."
    )
    horizon_years: Annotated[int, Field(ge=1, le=50)] = Field(
        5, description="Whole financial years simulated."
    )
    allocation: Allocation = Field(description="The money the ICB receives.")
    sectors: Annotated[list[Sector], Field(min_length=1, max_length=20)] = Field(
        description="Sectors; every place has a budget for each."
    )
    places: Annotated[list[Place], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [Place(name="ICB", population=1_000_000)],
        description="Places; one place (the whole ICB) by default.",
    )
    spill_over: SpillOver = Field(
        default_factory=SpillOver, description="Spill-over of unmet need."
    )
    pressure: Pressure = Field(
        default_factory=Pressure, description="Pressure scales and triggers."
    )
    board: Board = Field(description="The board deciding in-year transfers and the annual plan.")
    plan: Priorities = Field(
        default_factory=Priorities, description="ICB priorities for the annual plan."
    )
    ring_fences: list[RingFence] = Field(
        default_factory=list, max_length=50, description="Ring-fencing rules, in priority order."
    )
    planning: Planning = Field(default_factory=Planning, description="The annual planning round.")
    recovery: Recovery = Field(
        default_factory=Recovery, description="In-year financial management."
    )
    deficit: Deficit = Field(default_factory=Deficit, description="What a year-end deficit costs.")

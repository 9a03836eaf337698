"""The app's controls as scenario changes: each control's value read from a scenario, and
control values turned back into a validated scenario.

The Streamlit app shows one control per field of :class:`Settings` (:mod:`sim.app.controls`);
everything it does with their values is here, so that it can be tested without a browser:

* :func:`settings_of` reads each control's starting value from a scenario;
* :func:`apply_settings` turns control values into a scenario, validated by the same
  :func:`sim.scenario.loader.parse_scenario` as every file (so errors are the CLI's one-line
  messages).

The differences between two scenarios are in :mod:`sim.app.changes`, the hand-off file and
uploads in :mod:`sim.app.handoff`, the app's size limit in :mod:`sim.app.size`.

Seats. A board may list members by name (``[[board.members]]``), count them per
constituency (``[board.seats]``), or both. The app shows one "voting seats" control per
constituency: the voting members of that constituency, named or counted. Adding seats adds
counted seats (members named ``primary care 1``, ...); removing seats removes counted seats
first, then named voting members of that constituency from the end of the list. Non-voting
members are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from sim.app.bounds import int_bounds
from sim.scenario.consistency import RULE_PARAMETERS
from sim.scenario.format import Constituency, RingFence, Scenario
from sim.scenario.loader import parse_scenario
from sim.store.writer import scenario_document
from sim.units.calendar import Calendar, financial_year_label

#: Every constituency, in the order the app shows them.
CONSTITUENCIES: tuple[Constituency, ...] = get_args(Constituency)
#: Suffix of the name of a scenario changed in the app, so its outputs do not overwrite
#: those of the file it started from.
EDITED_SUFFIX = "_edited"


@dataclass(frozen=True)
class Fence:
    """A ring-fence the app offers: one of the file's rules, or one it proposes to add."""

    rule: RingFence
    in_file: bool

    @property
    def level_field(self) -> str | None:
        """The rule's parameter (``min_share``, ``growth`` or ``cap``), or None.

        The scenario format's own table of the parameter each rule takes
        (:data:`sim.scenario.consistency.RULE_PARAMETERS`).
        """
        return RULE_PARAMETERS[self.rule.rule]

    def describe(self) -> str:
        """What the rule protects, e.g. ``min_share on kind primary``."""
        target = f"sector {self.rule.sector}" if self.rule.sector else f"kind {self.rule.kind}"
        where = "" if self.rule.place == "all" else f" in {self.rule.place}"
        return f"{self.rule.rule} on {target}{where}"


@dataclass(frozen=True)
class FenceSetting:
    """The controls of one ring-fence: on or off, its level and its last month."""

    on: bool
    #: The rule's parameter: a fraction, ``"overall"`` (min_growth only), or None.
    level: float | str | None = None
    #: Last month the rule applies (``YYYY-MM``), or None for no expiry.
    until: str | None = None


@dataclass(frozen=True)
class Settings:
    """The value of every control of the app."""

    #: Voting seats per constituency (named and counted members).
    seats: Mapping[str, int]
    rule: str
    quorum: float
    casting_vote: bool
    #: One per :func:`fence_choices` item, in the same order.
    fences: tuple[FenceSetting, ...]
    intensity: float
    shock_frequency: float
    #: Extra A&E attendances per appointment of unmet need (``spill_over.ae_per_appointment``).
    ae_per_appointment: float
    growth_rate: float
    horizon_years: int
    replications: int
    #: An integer, or the text typed (reported by the validator as not a whole number).
    seed: int | str


# -- controls ---------------------------------------------------------------------------


def voting_seats(sc: Scenario) -> dict[str, int]:
    """Voting members per constituency, named or counted (every constituency, maybe 0)."""
    out: dict[str, int] = dict.fromkeys(CONSTITUENCIES, 0)
    for m in sc.board.all_members():
        if m.voting:
            out[m.constituency] += 1
    return out


def primary_share(sc: Scenario) -> float:
    """The first-year share of the sectors of kind ``primary`` (rounded to 4 decimals)."""
    return round(sum(s.share for s in sc.sectors if s.kind == "primary"), 4)


def _protects_primary(sc: Scenario, rf: RingFence) -> bool:
    kinds = {s.name: s.kind for s in sc.sectors}
    return rf.kind == "primary" or (rf.sector is not None and kinds.get(rf.sector) == "primary")


def fence_choices(sc: Scenario) -> list[Fence]:
    """The file's ring-fences, then the primary-care ring-fences it lacks (offered, off).

    Offered: a minimum share for primary care at its first-year share, and no in-year
    transfers out of primary care, each unless the file already has that rule for primary
    care (by kind or by a primary sector).
    """
    out = [Fence(rf, True) for rf in sc.ring_fences]
    if not any(s.kind == "primary" for s in sc.sectors):
        return out
    names = {rf.name for rf in sc.ring_fences}
    offers = [
        ("Primary care minimum share", "min_share", {"min_share": primary_share(sc)}),
        ("Primary care in-year protection", "no_transfers_out", {}),
    ]
    for name, rule, params in offers:
        if any(rf.rule == rule and _protects_primary(sc, rf) for rf in sc.ring_fences):
            continue
        while name in names:
            name += " (app)"
        rf = RingFence.model_validate({"name": name, "rule": rule, "kind": "primary", **params})
        out.append(Fence(rf, False))
    return out


def settings_of(sc: Scenario) -> Settings:
    """Every control at the scenario's value (offered ring-fences off, at their defaults)."""
    fences = []
    for f in fence_choices(sc):
        level = getattr(f.rule, f.level_field) if f.level_field else None
        fences.append(FenceSetting(on=f.in_file, level=level, until=f.rule.until))
    return Settings(
        seats=voting_seats(sc),
        rule=sc.board.rule,
        quorum=sc.board.quorum,
        casting_vote=sc.board.casting_vote,
        fences=tuple(fences),
        intensity=sc.pressure.intensity,
        shock_frequency=sc.pressure.shock_frequency,
        ae_per_appointment=sc.spill_over.ae_per_appointment,
        growth_rate=sc.allocation.growth_rate,
        horizon_years=sc.horizon_years,
        replications=sc.replications,
        seed=sc.seed,
    )


def expiry_options(sc: Scenario, current: str | None = None) -> list[str | None]:
    """Choices for a ring-fence's last month: none, or the end (March) of a financial year.

    Years run from the scenario's first to the longest horizon allowed (``horizon_years``
    in the scenario format: 50 years); a ``current`` month that is not a March is included
    where it falls.
    """
    _, years = int_bounds(Scenario, "horizon_years")
    cal = Calendar(sc.start_year, years)
    months: list[str] = [cal.label(12 * y + 11) for y in range(years)]
    if current is not None and current not in months:
        months = sorted([*months, current])
    return [None, *months]


def describe_expiry(month: str | None) -> str:
    """``2027-03`` as ``end of 2026/27 (2027-03)``; None as ``no expiry``."""
    if month is None:
        return "no expiry"
    year, mm = int(month[:4]), int(month[5:7])
    if mm == 3:
        return f"end of {financial_year_label(year - 1)} ({month})"
    return month


def parse_seed(text: str) -> int | str:
    """The seed typed in a text box: an integer, or the text itself for the validator."""
    t = text.strip().replace(",", "").replace("_", "")
    try:
        return int(t)
    except ValueError:
        return text


def _tidy(new: Any, old: Any) -> Any:
    """A control's float as entered: unchanged values kept exactly, others to 6 decimals.

    Sliders step in binary floating point (0.35000000000000003); the scenario records 0.35.
    """
    if isinstance(new, float) and not (isinstance(old, float | int) and new == old):
        return round(new, 6)
    return new


def set_seats(board: dict[str, Any], target: Mapping[str, int]) -> dict[str, Any]:
    """A board document (``board`` table) with the voting seats of each constituency set.

    See the module docstring: counted seats are added or removed first, then named voting
    members of the constituency from the end of the list. A constituency the file's
    ``seats`` table names keeps its entry, even at 0 seats (so an unchanged board is
    written as the file wrote it).
    """
    out = dict(board)
    members: list[dict[str, Any]] = [dict(m) for m in board.get("members", [])]
    in_file: dict[str, int] = dict(board.get("seats", {}))
    seats = dict(in_file)
    for c in CONSTITUENCIES:
        named = [
            i for i, m in enumerate(members) if m["constituency"] == c and m.get("voting", True)
        ]
        counted = seats.get(c, 0)
        want = target.get(c, len(named) + counted)
        if want >= len(named):
            counted = want - len(named)
        else:
            counted = 0
            drop = set(named[want:])
            members = [m for i, m in enumerate(members) if i not in drop]
        if counted or c in in_file:
            seats[c] = counted
        else:
            seats.pop(c, None)
    out["members"] = members
    out["seats"] = seats
    return out


def apply_settings(original: Scenario, s: Settings, source: str) -> Scenario:
    """The scenario with every control's value, validated like a file.

    A scenario that differs from ``original`` is renamed ``<name>_edited`` so that its
    outputs do not overwrite the original's.

    Raises:
        ScenarioError: one line per problem (e.g. ring-fences that cannot all hold).
    """
    doc = scenario_document(original)
    board = set_seats(doc["board"], s.seats)
    board["rule"] = s.rule
    board["quorum"] = _tidy(s.quorum, original.board.quorum)
    board["casting_vote"] = s.casting_vote
    doc["board"] = board
    fences = []
    for choice, setting in zip(fence_choices(original), s.fences, strict=True):
        if not setting.on:
            continue
        item = choice.rule.model_dump(mode="json", by_alias=True, exclude_none=True)
        if choice.level_field:
            old = getattr(choice.rule, choice.level_field)
            item[choice.level_field] = _tidy(setting.level, old)
        if setting.until is None:
            item.pop("until", None)
        else:
            item["until"] = setting.until
        fences.append(item)
    doc["ring_fences"] = fences
    pressure = original.pressure
    doc["pressure"]["intensity"] = _tidy(s.intensity, pressure.intensity)
    doc["pressure"]["shock_frequency"] = _tidy(s.shock_frequency, pressure.shock_frequency)
    doc["spill_over"]["ae_per_appointment"] = _tidy(
        s.ae_per_appointment, original.spill_over.ae_per_appointment
    )
    doc["allocation"]["growth_rate"] = _tidy(s.growth_rate, original.allocation.growth_rate)
    doc["horizon_years"] = s.horizon_years
    doc["replications"] = s.replications
    doc["seed"] = s.seed
    if _without_name(doc) != _without_name(scenario_document(original)):
        doc["name"] = edited_name(original.name)
    return parse_scenario(doc, source)


def edited_name(name: str) -> str:
    """The name of a scenario changed in the app (at most 80 characters)."""
    if name.endswith(EDITED_SUFFIX):
        return name
    return name[: 80 - len(EDITED_SUFFIX)] + EDITED_SUFFIX


def _without_name(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "name"}

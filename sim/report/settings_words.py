"""A scenario's settings, and the differences between two scenarios, in a finance lead's words.

The app's "what you changed", its compare view and the board pack say what a scenario is
and how B differs from A through this module: ``Primary care (GP) partners: 1 → 3 voting
seats``, ``Primary care minimum share: added (at least 13.0% of sector money)``. The
hand-off file keeps the modeller's form, field by field (:meth:`Change.line`,
``board.quorum: 0.5 -> 0.6``), since it is read beside the TOML.

Fields the app's controls set have their own words (:data:`FIELD_WORDS`); any other field
is named by its path with the items' names and spaces for underscores, so no code name is
shown, and fractions of the format read as percentages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sim.scenario.format import RingFence, Scenario
from sim.scenario.toml_text import inline
from sim.store.writer import scenario_document
from sim.units import display
from sim.units.calendar import financial_year_label

CONSTITUENCY_LABELS = {
    "chair": "Chair",
    "executive": "Executives",
    "non_executive": "Non-executives",
    "trust": "Trust partners",
    "primary_care": "Primary care (GP) partners",
    "local_authority": "Local authority partners",
    "mental_health": "Mental health partners",
    "place": "Place members",
    "other": "Other members",
}
#: A voting member of each constituency, one and many, for sentences.
MEMBER_NOUNS = {
    "chair": ("chair", "chairs"),
    "executive": ("executive", "executives"),
    "non_executive": ("non-executive", "non-executives"),
    "trust": ("trust partner", "trust partners"),
    "primary_care": ("primary care (GP) partner", "primary care (GP) partners"),
    "local_authority": ("local authority partner", "local authority partners"),
    "mental_health": ("mental health partner", "mental health partners"),
    "place": ("place member", "place members"),
    "other": ("other member", "other members"),
}
RULE_LABELS = {
    "consensus_then_majority": "Consensus, then simple majority",
    "simple_majority": "Simple majority",
    "two_thirds": "Two-thirds majority",
    "unanimity": "Unanimity",
}
#: Words for the fields the app's controls set: a label, and how its value reads.
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "seed": ("Random seed", "number"),
    "replications": ("Simulated futures (replications)", "count"),
    "horizon_years": ("Years simulated", "years"),
    "start_year": ("First financial year", "year"),
    "allocation.growth_rate": ("Allocation growth a year", "percent"),
    "allocation.initial_gbp_m": ("Allocation in the first year", "money"),
    "description": ("What the scenario is for", ""),
    "allocation.inflation": ("Price inflation a year", "percent"),
    "pressure.intensity": ("Size of demand surprises (1 = as usual)", "times"),
    "pressure.shock_frequency": ("How often demand shocks come (1 = as usual)", "times"),
    "spill_over.ae_per_appointment": ("Extra A&E visits per unmet GP appointment", "number"),
    "board.rule": ("Voting rule", "rule"),
    "board.quorum": ("Quorum (share of votes present)", "percent"),
    "board.casting_vote": ("Chair's casting vote", "yes/no"),
}
#: What each ring-fence rule requires, in words (``{level}``: its parameter).
RULE_WORDS = {
    "min_share": "at least {level} of sector money, checked at every month-end",
    "min_share_at_plan": "at least {level} of sector money when the plan is set",
    "min_growth": "a budget that grows at least {level} a year",
    "cap_transfers_out": "at most {level} of its budget moved out in a year",
    "no_transfers_out": "no money moved out in-year",
    "real_terms_floor": "a budget that never falls in real terms",
}
#: Fields of the format that hold a fraction (shown as a percentage) wherever they are.
PERCENT_FIELDS = re.compile(
    r"(share|rate|growth|inflation|quorum|probability|cap|slippage|committed|uplift|"
    r"contingency|pace|threshold|noise_sd|seasonality)$"
)

Kind = Literal["changed", "added", "removed", "reordered"]


@dataclass(frozen=True)
class Change:
    """One difference between two scenarios' documents."""

    #: The TOML path (``ring_fences[2].min_share``), for the modeller's form.
    path: str
    #: The same path with list items named (``ring_fences``, ``Primary care minimum share``,
    #: ``min_share``), for words.
    names: tuple[str, ...]
    kind: Kind
    old: Any = None
    new: Any = None

    def line(self) -> str:
        """``board.quorum: 0.5 -> 0.6``: the modeller's form, as in the hand-off file."""
        if self.kind == "added":
            rest = {k: v for k, v in self.new.items() if k != "name"}
            return f"{self.path}: added {inline(self.new['name'])} {inline(rest)}"
        if self.kind == "removed":
            return f"{self.path}: removed {inline(self.old['name'])}"
        if self.kind == "reordered":
            return f"{self.path}: order changed to {inline(self.new)}"
        return f"{self.path}: {inline(self.old)} -> {inline(self.new)}"

    def words(self) -> str:
        """The change in plain words (:func:`change_words`)."""
        return change_words(self)


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def diff_documents(old: Any, new: Any, path: str = "", names: tuple[str, ...] = ()) -> list[Change]:
    """The differences between two scenario documents, field by field.

    Tables are compared key by key (a missing table counts as empty); lists of named tables
    (sectors, places, members, ring-fences) item by item by name, with added and removed
    items named; other values as a whole. The top-level ``name`` is left out.
    """
    if isinstance(old, dict) or isinstance(new, dict):
        o = old if isinstance(old, dict) else {}
        n = new if isinstance(new, dict) else {}
        out: list[Change] = []
        for key in [*o, *(k for k in n if k not in o)]:
            if not path and key == "name":
                continue
            sub = f"{path}.{key}" if path else str(key)
            out += diff_documents(o.get(key), n.get(key), sub, (*names, str(key)))
        return out
    if _named(old) and _named(new) and (old or new):
        return _diff_named(old, new, path, names)
    if old == new and type(old) is type(new):
        return []
    return [Change(path, names, "changed", old, new)]


def _diff_named(
    old: list[dict[str, Any]], new: list[dict[str, Any]], path: str, names: tuple[str, ...]
) -> list[Change]:
    by_name = {i["name"]: i for i in old}
    new_names = [i["name"] for i in new]
    out: list[Change] = []
    for i, item in enumerate(new):
        at = (*names, str(item["name"]))
        if item["name"] in by_name:
            out += diff_documents(by_name[item["name"]], item, f"{path}[{i}]", at)
        else:
            out.append(Change(f"{path}[{i}]", at, "added", None, item))
    out += [
        Change(path, (*names, str(i["name"])), "removed", i, None)
        for i in old
        if i["name"] not in new_names
    ]
    kept_old = [i["name"] for i in old if i["name"] in new_names]
    kept_new = [n for n in new_names if n in by_name]
    if kept_old != kept_new:
        out.append(Change(path, names, "reordered", kept_old, kept_new))
    return out


def scenario_changes(original: Scenario, scenario: Scenario) -> list[Change]:
    """Every difference of ``scenario`` from ``original`` (see :func:`diff_documents`)."""
    return diff_documents(scenario_document(original), scenario_document(scenario))


def _value(x: Any, how: str) -> str:
    """A field's value in words: ``3.0%``, ``yes``, ``Two-thirds majority``, ``not set``."""
    if x is None:
        return "no expiry" if how == "until" else "not set"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if how == "rule":
        return RULE_LABELS.get(str(x), str(x).replace("_", " "))
    if how == "percent" and isinstance(x, int | float):
        # As written: 13.0%, or 2.72% for a published growth to the hundredth of a point.
        exact = abs(float(x) * 1000 - round(float(x) * 1000)) < 1e-9
        return display.percent(float(x), 1 if exact else 2)
    if how == "money" and isinstance(x, int | float):
        return display.pounds_m(float(x))
    if how == "until" and not x:
        return "no expiry"
    if x == "":
        return "not set"
    if how == "year" and isinstance(x, int):
        return financial_year_label(x)
    if how == "count" and isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value(v, how)}" for k, v in x.items())
    return str(x).replace("_", " ")


def fence_words(rule: dict[str, Any] | RingFence) -> str:
    """What a ring-fence protects and requires: ``primary care: at least 13.0% of sector
    money, checked at every month-end, until 2027-03``."""
    target, requires = fence_parts(rule)
    return f"{target}: {requires}"


def fence_parts(rule: dict[str, Any] | RingFence) -> tuple[str, str]:
    """What a ring-fence protects (``primary care``) and what it requires (``at least 13.0%
    of sector money, checked at every month-end, until 2027-03``)."""
    rf = rule if isinstance(rule, RingFence) else RingFence.model_validate(rule)
    target = rf.sector or f"{(rf.kind or '').replace('_', ' ')} care"
    level = rf.min_share if rf.min_share is not None else rf.cap
    shown = (
        "the overall allocation's growth"
        if rf.growth == "overall"
        else display.percent(rf.growth, 1)
        if rf.growth is not None
        else display.percent(level, 1)
        if level is not None
        else ""
    )
    text = RULE_WORDS[rf.rule].format(level=shown)
    if rf.growth == "overall":  # the Mental Health Investment Standard's form
        text = "a budget that grows at least as fast as the overall allocation"
    if rf.place != "all":
        text += f", in {rf.place}"
    if rf.start:
        text += f", from {rf.start}"
    return target, text + (f", until {rf.until}" if rf.until else ", with no expiry")


def _humane(names: tuple[str, ...]) -> str:
    """A path in words: ``sectors › community › need growth``."""
    return " › ".join(n.replace("_", " ") for n in names)


def _upper_first(text: str) -> str:
    """The first letter upper case, the rest as written (names keep their capitals)."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Difference:
    """One setting that differs, in words: its label and its value in A and in B."""

    label: str
    a: str
    b: str

    def words(self) -> str:
        """``Quorum (share of votes present): 50.0% → 60.0%``."""
        return f"{self.label}: {self.a} → {self.b}"


#: A ring-fence's value where a scenario does not have it.
NO_FENCE = "none"


def difference(c: Change) -> Difference:
    """One change as a :class:`Difference` in plain words."""
    names = c.names
    if names[:1] == ("ring_fences",) and len(names) >= 2 and c.kind in ("added", "removed"):
        rule = c.new if c.kind == "added" else c.old
        words = fence_parts(rule)[1]
        a, b = (NO_FENCE, words) if c.kind == "added" else (words, NO_FENCE)
        return Difference(f"Ring-fence {names[1]}", a, b)
    if c.kind in ("added", "removed"):
        a, b = ("none", "added") if c.kind == "added" else ("present", "removed")
        return Difference(_upper_first(_humane(names)), a, b)
    if c.kind == "reordered":
        return Difference(
            f"Order of {_humane(names)}", ", ".join(map(str, c.old)), ", ".join(map(str, c.new))
        )
    label, how = FIELD_WORDS.get(c.path, (None, ""))
    if label is None:
        label = _upper_first(_humane(names))
        # A fraction field, or a table of them by year (``allocation.growth_by_year``).
        fraction = PERCENT_FIELDS.search(names[-1]) or "growth_by_year" in names
        how = "percent" if fraction else ""
        if names[-1] in ("until", "from", "start"):
            how = "until" if names[-1] == "until" else ""
    return Difference(label, _value(c.old, how), _value(c.new, how))


def change_words(c: Change) -> str:
    """One change in plain words: ``Quorum (share of votes present): 50.0% → 60.0%``."""
    return difference(c).words()


def voting_seats(sc: Scenario) -> dict[str, int]:
    """Voting members per constituency, named or counted, in the order they first appear."""
    counts: dict[str, int] = {}
    for m in sc.board.all_members():
        if m.voting:
            counts[m.constituency] = counts.get(m.constituency, 0) + 1
    return counts


def members(n: int, constituency: str) -> str:
    """``1 chair``, ``3 primary care (GP) partners``."""
    one, many = MEMBER_NOUNS[constituency]
    return f"{n} {one if n == 1 else many}"


def board_words(sc: Scenario) -> str:
    """``12 voting members: 1 chair, 4 executives, ...; consensus, then simple majority``."""
    counts = voting_seats(sc)
    parts = [members(n, c) for c, n in counts.items() if n]
    total = sum(counts.values())
    rule = RULE_LABELS[sc.board.rule].lower()
    return (
        f"{total} voting members ({', '.join(parts)}); decisions by {rule}, quorum "
        f"{display.percent(sc.board.quorum, 0)}"
        + (", the chair has a casting vote" if sc.board.casting_vote else "")
    )


def _seat_change(c: Change) -> bool:
    """Whether a change is to who sits on the board (said by :func:`difference_words` as
    seats per constituency instead)."""
    return c.names[:2] == ("board", "seats") or (
        c.names[:2] == ("board", "members") and c.kind in ("added", "removed", "reordered")
    )


def differences(a: Scenario, b: Scenario) -> list[Difference]:
    """How B differs from A: voting seats per constituency (``Primary care (GP) partners``,
    ``1 voting seat``, ``3 voting seats``), then every other change (:func:`difference`)."""
    seats_a, seats_b = voting_seats(a), voting_seats(b)

    def seats(n: int) -> str:
        return f"{n} voting seat{'' if n == 1 else 's'}"

    out = [
        Difference(CONSTITUENCY_LABELS[k], seats(seats_a.get(k, 0)), seats(seats_b.get(k, 0)))
        for k in CONSTITUENCY_LABELS
        if seats_a.get(k, 0) != seats_b.get(k, 0)
    ]
    return out + [difference(c) for c in scenario_changes(a, b) if not _seat_change(c)]


def difference_words(a: Scenario, b: Scenario) -> list[str]:
    """How B differs from A, one plain line each (:func:`differences`)."""
    return [d.words() for d in differences(a, b)]


def _short(d: Difference, value: str) -> str:
    """A difference's value for a legend: a ring-fence is only on or off there."""
    if d.label.startswith("Ring-fence "):
        return f"{d.label[len('Ring-fence ') :]} {'off' if value == NO_FENCE else 'on'}"
    return f"{d.label[0].lower()}{d.label[1:]} {value}"


def legend_names(a: Scenario, b: Scenario, most: int = 2) -> tuple[str, str]:
    """Names for A and B in a chart's legend, by what differs between them: ``A: primary
    care (GP) partners 1 voting seat``, ``B: primary care (GP) partners 3 voting seats``;
    at most ``most`` settings, then ``and 2 more``."""
    # What a scenario is for, or its name, says nothing about the lines on a chart.
    found = [d for d in differences(a, b) if d.label != FIELD_WORDS["description"][0]]
    if not found:
        return "A (same settings as B)", "B (same settings as A)"
    more = f" and {len(found) - most} more" if len(found) > most else ""
    shown = found[:most]
    name_a = "A: " + "; ".join(_short(d, d.a) for d in shown) + more
    name_b = "B: " + "; ".join(_short(d, d.b) for d in shown) + more
    return name_a, name_b


def settings_words(sc: Scenario) -> list[str]:
    """The scenario's main settings, one plain line each (the board pack's settings)."""
    a = sc.allocation
    first = financial_year_label(sc.start_year)
    last = financial_year_label(sc.start_year + sc.horizon_years - 1)
    lines = [
        f"Years: {first} to {last} ({sc.horizon_years} years), {sc.replications:,} simulated "
        f"futures from seed {sc.seed}",
        f"Money: £{a.initial_gbp_m:,.1f}m in {first}, growing "
        f"{display.percent(a.growth_rate, 1)} a year"
        + (
            " (published years: "
            + ", ".join(f"{y} {display.percent(g, 2)}" for y, g in sorted(a.growth_by_year.items()))
            + ")"
            if a.growth_by_year
            else ""
        ),
        f"Board: {board_words(sc)}",
    ]
    if sc.ring_fences:
        for rf in sc.ring_fences:
            target, requires = fence_parts(rf)
            lines.append(f"Ring-fence {rf.name} (for {target}): {requires}")
    else:
        lines.append("Ring-fences: none")
    return lines

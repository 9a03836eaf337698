"""Checks that relate several fields of a scenario, each naming the field it concerns."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.model.need import NEED_CAP
from sim.scenario.errors import Problem
from sim.scenario.format import MAX_MEMBERS, Scenario
from sim.units.calendar import Calendar
from sim.units.money import MAX_PENCE, pounds_m_to_pence

#: Largest standard deviation of the log-noise in need (noise_sd x intensity): beyond it the
#: cap on need (20 times trend) would pull average need visibly below its trend.
MAX_NOISE = 1.0
#: Tolerance on sector shares summing to one.
SHARE_TOLERANCE = 1e-6
RULE_PARAMETERS = {
    "min_share": "min_share",
    "min_share_at_plan": "min_share",
    "min_growth": "growth",
    "cap_transfers_out": "cap",
    "no_transfers_out": None,
    "real_terms_floor": None,
}


def _duplicates(items: Iterable[str], path: str, what: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, name in enumerate(items):
        if name in seen:
            out.append(Problem(f"{path}[{i}].name", f"duplicate {what} name {name!r}"))
        seen.add(name)
    return out


def check_consistency(sc: Scenario) -> list[Problem]:
    """Every cross-field problem; an empty list means the scenario can run."""
    problems: list[Problem] = []
    total = sum(s.share for s in sc.sectors)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append(Problem("sectors", f"shares must sum to 1, got {total:.6g}"))
    problems += _duplicates((s.name for s in sc.sectors), "sectors", "sector")
    problems += _duplicates((p.name for p in sc.places), "places", "place")
    problems += [
        Problem(f"places[{i}].name", "'all' is reserved (ring-fences use it for every place)")
        for i, p in enumerate(sc.places)
        if p.name == "all"
    ]
    problems += _duplicates((r.name for r in sc.ring_fences), "ring_fences", "ring-fence")
    problems += _check_board_and_places(sc)
    kinds: set[str] = {s.kind for s in sc.sectors}
    if sc.spill_over.to_kind in sc.spill_over.from_kinds:
        problems.append(
            Problem(
                "spill_over.to_kind",
                f"{sc.spill_over.to_kind!r} is also in from_kinds (unmet need would spill onto itself)",
            )
        )
    for i, sector in enumerate(sc.sectors):
        sigma = sector.noise_sd * sc.pressure.intensity
        if sigma > MAX_NOISE:
            problems.append(
                Problem(
                    f"sectors[{i}].noise_sd",
                    f"noise_sd x pressure.intensity must be at most {MAX_NOISE:g}, got {sigma:g} "
                    "(larger noise would make the capped need fall on average)",
                )
            )
    if sc.spill_over.active and sc.spill_over.to_kind not in kinds:
        problems.append(
            Problem("spill_over.to_kind", f"no sector of kind {sc.spill_over.to_kind!r}")
        )
    lag_total = sum(sc.spill_over.lag_weights)
    if abs(lag_total - 1.0) > SHARE_TOLERANCE:
        problems.append(Problem("spill_over.lag_weights", f"must sum to 1, got {lag_total:.6g}"))
    problems += _check_lines(sc)
    problems += _check_rules(sc, kinds)
    problems += _check_overflow(sc)
    if not problems:
        from sim.model.ring_fence import check_feasibility

        problems += check_feasibility(sc)
    return problems


def _check_lines(sc: Scenario) -> list[Problem]:
    """Committed and slippage lines fit in each sector; only capped sectors slip."""
    out: list[Problem] = []
    for i, sector in enumerate(sc.sectors):
        at = f"sectors[{i}]"
        if sector.committed + sector.slippage > 1.0 + SHARE_TOLERANCE:
            out.append(
                Problem(
                    f"{at}.slippage",
                    f"committed + slippage must be at most 1, got "
                    f"{sector.committed + sector.slippage:.6g}",
                )
            )
        if sector.spending == "demand_led" and sector.slippage > 0:
            out.append(
                Problem(
                    f"{at}.slippage",
                    "a demand-led sector spends its need, so it cannot slip; set it to 0 "
                    "or make the sector capped",
                )
            )
        if sector.spending == "demand_led" and sector.committed_uplift is not None:
            out.append(
                Problem(
                    f"{at}.committed_uplift",
                    "a demand-led sector's plan follows its activity, not a contract uplift; "
                    "remove it or make the sector capped",
                )
            )
    names = {s.name for s in sc.sectors}
    out += [
        Problem(f"plan.sectors.{name}", f"no sector named {name!r}")
        for name in sc.plan.sectors
        if name not in names
    ]
    out += [
        Problem(f"sectors[{i}].name", f"{s.name!r} is reserved (the total of real growth)")
        for i, s in enumerate(sc.sectors)
        if s.name == "all spending"
    ]
    return out


def _check_rules(sc: Scenario, kinds: set[str]) -> list[Problem]:
    cal = Calendar(sc.start_year, sc.horizon_years)
    sectors = {s.name for s in sc.sectors}
    places = {p.name for p in sc.places}
    out: list[Problem] = []
    for i, rf in enumerate(sc.ring_fences):
        at = f"ring_fences[{i}]"
        if (rf.sector is None) == (rf.kind is None):
            out.append(Problem(at, "give exactly one of 'sector' or 'kind'"))
        elif rf.sector is not None and rf.sector not in sectors:
            out.append(Problem(f"{at}.sector", f"no sector named {rf.sector!r}"))
        elif rf.kind is not None and rf.kind not in kinds:
            out.append(Problem(f"{at}.kind", f"no sector of kind {rf.kind!r}"))
        if rf.place != "all" and rf.place not in places:
            out.append(Problem(f"{at}.place", f"no place named {rf.place!r}"))
        needed = RULE_PARAMETERS[rf.rule]
        for param in ("min_share", "growth", "cap"):
            given = getattr(rf, param) is not None
            if param == needed and not given:
                out.append(Problem(f"{at}.{param}", f"required for rule {rf.rule!r}"))
            elif param != needed and given:
                out.append(Problem(f"{at}.{param}", f"not used by rule {rf.rule!r}"))
        out += _check_dates(cal, at, rf.start, rf.until)
    return out


def _check_dates(cal: Calendar, at: str, start: str | None, until: str | None) -> list[Problem]:
    """``from``/``until`` months inside the horizon and in order."""
    out = []
    months = {}
    for param, text in (("from", start), ("until", until)):
        if text is None:
            continue
        m = cal.month_index(text)
        months[param] = m
        if not 0 <= m < cal.months:
            out.append(
                Problem(
                    f"{at}.{param}",
                    f"{text} is outside the horizon ({cal.label(0)} to {cal.last_month_label})",
                )
            )
    if len(months) == 2 and months["from"] > months["until"]:
        out.append(Problem(f"{at}.until", f"{until} is before 'from' ({start})"))
    return out


def _check_board_and_places(sc: Scenario) -> list[Problem]:
    """Members (with seats expanded), their places and dates; place shares and consent."""
    cal = Calendar(sc.start_year, sc.horizon_years)
    members = sc.board.all_members()
    out: list[Problem] = []
    if len(members) > MAX_MEMBERS:
        out.append(
            Problem(
                "board", f"at most {MAX_MEMBERS} members with seats included, got {len(members)}"
            )
        )
    out += _duplicates((m.name for m in members), "board.members", "member")
    if not any(m.voting for m in members):
        out.append(Problem("board.members", "at least one member must vote"))
    chairs = [i for i, m in enumerate(members) if m.constituency == "chair"]
    if len(chairs) > 1:
        out.append(
            Problem(f"board.members[{chairs[1]}].constituency", "a board has only one chair")
        )
    places = {p.name for p in sc.places}
    for i, m in enumerate(sc.board.members):
        if m.place is not None and m.place not in places:
            out.append(Problem(f"board.members[{i}].place", f"no place named {m.place!r}"))
        out += _check_dates(cal, f"board.members[{i}]", m.start, m.until)
    out += _check_dates(cal, "plan", sc.plan.start, None)
    given = [p.current_share is not None for p in sc.places]
    if any(given) and not all(given):
        out.append(Problem("places", "give current_share for every place or for none"))
    elif all(given):
        total = sum(p.current_share or 0.0 for p in sc.places)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            out.append(Problem("places", f"current_share must sum to 1, got {total:.6g}"))
    community = sum(s.share for s in sc.sectors if s.kind == "community")
    weights = [p.population * p.need_index for p in sc.places]
    for i, p in enumerate(sc.places):
        if p.delegated and not any(m.place == p.name and m.voting for m in members):
            out.append(
                Problem(
                    f"places[{i}].delegated",
                    f"no voting member represents {p.name!r} (member.place)",
                )
            )
        if p.pooled_gbp_m > 0:
            share = p.current_share if p.current_share is not None else weights[i] / sum(weights)
            budget = (
                sc.allocation.initial_gbp_m
                * (1 - sc.allocation.contingency_share)
                * share
                * community
            )
            if community == 0:
                out.append(
                    Problem(f"places[{i}].pooled_gbp_m", "no sector of kind 'community' to hold it")
                )
            elif p.pooled_gbp_m > budget:
                out.append(
                    Problem(
                        f"places[{i}].pooled_gbp_m",
                        f"more than the place's first-year community budget (£{budget:,.1f}m), "
                        f"got {p.pooled_gbp_m:g}",
                    )
                )
    return out


def _check_overflow(sc: Scenario) -> list[Problem]:
    """Refuse inputs whose sums over the horizon could overflow 64-bit pence."""
    a = sc.allocation
    if not math.isfinite(a.initial_gbp_m):
        return [
            Problem("allocation.initial_gbp_m", f"must be a finite number, got {a.initial_gbp_m}")
        ]
    yearly = pounds_m_to_pence(a.initial_gbp_m)
    if yearly < 1:
        return [
            Problem(
                "allocation.initial_gbp_m",
                f"must be at least one penny (0.00000001), got {a.initial_gbp_m:g}",
            )
        ]
    growth = max(
        1.0, 1.0 + a.growth_rate + 3.0 * a.growth_sd, *(1.0 + g for g in a.growth_by_year.values())
    )
    need_growth = max((1.0 + s.need_growth) for s in sc.sectors) * max(1.0, 1.0 + a.inflation)
    ratio = max(s.need_ratio for s in sc.sectors) * (1.0 + max(s.seasonality for s in sc.sectors))
    allocated = 0.0
    for y in range(sc.horizon_years):
        # Allocations received plus the most that could be spent (need at its cap, with
        # spill-over at most doubling it) must stay within the engine's limit.
        allocated += yearly * growth**y
        allocated += yearly * ratio * NEED_CAP * 2.0 * need_growth ** (y + 1)
    if allocated > MAX_PENCE:
        # The sums are proportional to the allocation: name the largest one that fits, since
        # the engine's limit applies to sums over the horizon, not to this field itself.
        largest_m = a.initial_gbp_m * MAX_PENCE / allocated
        largest = f"£{largest_m:,.0f}m" if largest_m >= 1 else f"£{largest_m:.3g}m"
        return [
            Problem(
                "allocation.initial_gbp_m",
                f"must be at most about {largest} with this growth, need and horizon "
                f"(larger sums could overflow the engine's pence), got {a.initial_gbp_m:g}",
            )
        ]
    return []

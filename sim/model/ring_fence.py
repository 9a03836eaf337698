"""Ring-fencing rules turned into bounds on sector budgets, and the annual plan under them.

Plan-time rules (minimum share, minimum growth, real-terms floor) become lower bounds on
each budget in the annual plan; in-year rules (no transfers out, a cap on transfers out,
and the minimum share, which holds at every month-end) limit what may leave a budget
between plans (recovery-plan pauses or board transfers). ``min_share_at_plan`` is the
plan-only minimum share. When stochastic allocation
growth makes plan-time rules impossible to meet together, rules listed earlier take
priority: later rules are relaxed just enough and the shortfall is counted, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.model.projection import allocate
from sim.model.system import System, compile_system
from sim.scenario.errors import Problem
from sim.scenario.format import RingFence, Scenario
from sim.units.money import Pence, split

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

PLAN_RULES = ("min_share", "min_share_at_plan", "min_growth", "real_terms_floor")
TRANSFER_RULES = ("no_transfers_out", "cap_transfers_out", "min_share")
SHARE_RULES = ("min_share", "min_share_at_plan")


@dataclass(frozen=True)
class Rule:
    """A ring-fence compiled against a system's places and sectors."""

    name: str
    rule: str
    #: Budgets in scope, shape (P, S).
    scope: Bools
    #: First and last month (inclusive) in which the rule applies.
    start: int
    until: int
    min_share: float | None
    growth: float | None
    overall_growth: bool
    cap: float | None

    def active(self, month: int) -> bool:
        """Whether the rule applies in a month."""
        return self.start <= month <= self.until


def compile_rule(rf: RingFence, system: System) -> Rule:
    """Compile one validated ring-fence."""
    cal = system.calendar
    if rf.sector is not None:
        sectors = np.array([n == rf.sector for n in system.sector_names])
    else:
        sectors = np.array([k == rf.kind for k in system.sector_kinds])
    places = np.array([rf.place in ("all", n) for n in system.place_names])
    return Rule(
        name=rf.name,
        rule=rf.rule,
        scope=places[:, None] & sectors[None, :],
        start=cal.month_index(rf.start) if rf.start else 0,
        until=cal.month_index(rf.until) if rf.until else cal.months - 1,
        min_share=rf.min_share,
        growth=rf.growth if isinstance(rf.growth, float) else None,
        overall_growth=rf.growth == "overall",
        cap=rf.cap,
    )


def compile_rules(scenario: Scenario, system: System) -> list[Rule]:
    """All of a scenario's ring-fences, in priority (file) order."""
    return [compile_rule(rf, system) for rf in scenario.ring_fences]


@dataclass(frozen=True)
class PlanHistory:
    """What plan-time rules compare against: last year's plan and each place's share of
    last year's allocation (``prev_total``), and the first plan."""

    prev_plan: Pence | None
    prev_total: Pence | None
    base_plan: Pence | None
    #: Price index of this year relative to the first (1 in the first year).
    price_index: float


@dataclass(frozen=True)
class AnnualPlan:
    """An annual plan: budgets, the lower bounds they met, and which rules bound or fell short."""

    budgets: Pence
    #: Each rule forced money into a budget in scope, per replication, shape (R, n_rules).
    bound: Bools
    #: Each rule had to be relaxed because earlier rules left too little, shape (R, n_rules).
    shortfall: Bools
    #: Each rule's own lower bounds after relaxation, shape (n_rules, R, P, S).
    rule_lower: Pence


def _rule_lower(
    rule: Rule, proposal: Floats, total: Pence, hist: PlanHistory, gross: Pence
) -> Pence | None:
    """A plan-time rule's lower bound on each budget in scope, pence, shape (R, P, S)."""
    scope = rule.scope[None, :, :]
    if rule.rule in SHARE_RULES and rule.min_share is not None:
        group_min = np.ceil(rule.min_share * total.astype(np.float64)).astype(np.int64)
        weights = np.where(scope, np.maximum(proposal, 0.0) + 1e-9, 0.0)
        return np.where(scope, split(group_min, weights), 0)
    if rule.rule == "min_growth" and hist.prev_plan is not None and hist.prev_total is not None:
        if rule.overall_growth:
            # "At least the overall growth" is the growth of the allocation (the Mental
            # Health Investment Standard), not of what is left after repayments.
            factor = gross.astype(np.float64) / np.maximum(hist.prev_total, 1).astype(np.float64)
            lo = np.ceil(hist.prev_plan * factor[:, :, None])
        else:
            lo = np.ceil(hist.prev_plan * (1.0 + (rule.growth or 0.0)))
        return np.where(scope, lo.astype(np.int64), 0)
    if rule.rule == "real_terms_floor" and hist.base_plan is not None:
        lo = np.ceil(hist.base_plan * hist.price_index).astype(np.int64)
        return np.where(scope, lo, 0)
    return None


def annual_plan(
    rules: list[Rule],
    active: Sequence[bool],
    proposal: Floats,
    total: Pence,
    hist: PlanHistory,
    floor: Pence | None = None,
    gross: Pence | None = None,
) -> AnnualPlan:
    """Divide each place's total between its sectors as close to ``proposal`` as the rules allow.

    Args:
        rules: compiled ring-fences in priority order.
        active: which rules are in force (by their dates), one flag per rule.
        proposal: proposed budgets in pence, shape (R, P, S).
        total: money to divide in each place, pence, shape (R, P).
        hist: plans of earlier years.
        floor: committed and slippage lines, funded before any rule (their sum must not
            exceed ``total``), shape (R, P, S).
        gross: each place's share of the allocation before repayments and the reserve,
            (R, P), for growth rules of "overall" growth (``hist.prev_total`` is last year's);
            ``total`` when not given.
    """
    n = len(rules)
    r, p, s = proposal.shape
    lo = np.zeros((r, p, s), dtype=np.int64) if floor is None else floor.copy()
    rule_lower = np.zeros((n, r, p, s), dtype=np.int64)
    shortfall = np.zeros((r, n), dtype=bool)
    for k, rule in enumerate(rules):
        if rule.rule not in PLAN_RULES or not active[k]:
            continue
        lk = _rule_lower(rule, proposal, total, hist, total if gross is None else gross)
        if lk is None:
            continue
        cand = np.maximum(lo, lk)
        available = total - lo.sum(axis=2)
        extra = cand - lo
        need = extra.sum(axis=2)
        short = need > available
        if np.any(short):
            scaled = split(np.where(short, available, 0), extra.astype(np.float64))
            cand = np.where(short[:, :, None], lo + np.minimum(scaled, extra), cand)
        shortfall[:, k] = short.any(axis=1)
        rule_lower[k] = np.where(rule.scope[None], np.minimum(lk, cand), 0)
        lo = cand
    hi = np.broadcast_to(total[:, :, None], (r, p, s))
    budgets = allocate(proposal, total, lo, hi)
    # A rule binds when it forces money into a budget beyond rounding the proposal up.
    forced = (rule_lower > np.ceil(proposal[None] - 1e-6)) & (rule_lower > 0)
    bound: Bools = np.asarray(forced.any(axis=(2, 3)).T)
    return AnnualPlan(budgets=budgets, bound=bound, shortfall=shortfall, rule_lower=rule_lower)


def transfer_capacity(
    rules: list[Rule],
    active: Sequence[bool],
    plan: Pence,
    moved_out: Pence,
    budget: Pence | None = None,
    total: Pence | None = None,
    cols: slice | npt.NDArray[np.int64] = slice(None),
) -> tuple[Pence, Pence]:
    """Most each budget may give up in-year under the active in-year rules.

    Args:
        plan: this year's planned budgets, pence, shape (R, P, S).
        moved_out: money already moved out this year, pence, shape (R, P, S).
        budget: budgets now (plan plus in-year changes), pence, (R, P, S); with ``total``,
            needed for the month-end minimum share.
        total: this year's money for sector budgets in each place, pence, (R, P).
        cols: the sectors to return (a minimum share still apportions over all of its
            scope): limits for the others are not computed.

    Returns:
        ``(capacity, per_rule)``: the binding limit per budget (a large number where no rule
        applies) and each rule's own limit, shape (n_rules, R, P, S).
    """
    unlimited = np.iinfo(np.int64).max // 4
    plan = plan[:, :, cols]
    cap = np.full(plan.shape, unlimited, dtype=np.int64)
    per_rule = np.full((len(rules), *plan.shape), unlimited, dtype=np.int64)
    for k, rule in enumerate(rules):
        if rule.rule not in TRANSFER_RULES or not active[k]:
            continue
        if rule.rule == "no_transfers_out":
            limit = np.zeros_like(plan)
        elif rule.rule == "min_share":
            if budget is None or total is None:
                continue
            limit = _share_headroom(rule, budget, total)[:, :, cols]
        else:
            limit = np.maximum(
                0, np.floor((rule.cap or 0.0) * plan).astype(np.int64) - moved_out[:, :, cols]
            )
        per_rule[k] = np.where(rule.scope[:, cols][None], limit, unlimited)
        cap = np.minimum(cap, per_rule[k])
    return cap, per_rule


def _share_headroom(rule: Rule, budget: Pence, total: Pence) -> Pence:
    """What a minimum share leaves movable in each budget in scope: the scope's budgets
    keep at least ``ceil(min_share x total)`` together, apportioned by their budgets."""
    scope = rule.scope[None]
    group_min = np.ceil((rule.min_share or 0.0) * total.astype(np.float64)).astype(np.int64)
    weights = np.where(scope, np.maximum(budget, 0).astype(np.float64) + 1e-9, 0.0)
    lower = np.where(scope, split(group_min, weights), 0)
    out: Pence = np.maximum(0, budget - lower)
    return out


def check_feasibility(scenario: Scenario) -> list[Problem]:
    """Rules that cannot all hold on the central path with the slowest allocation growth.

    The plan is replayed deterministically (no in-year transfers) with allocation growth at
    its mean minus three standard deviations; a rule that falls short is named with the year.
    """
    system = compile_system(scenario)
    rules = compile_rules(scenario, system)
    if not any(r.rule in PLAN_RULES for r in rules):
        return []
    claims = _share_claims(rules, system)
    if claims:
        return claims
    a = scenario.allocation
    prev_plan: Pence | None = None
    prev_total: Pence | None = None
    base: Pence | None = None
    allocation = float(system.initial_allocation)
    for y in range(scenario.horizon_years):
        if y:
            label = system.calendar.financial_year(y)
            allocation *= 1.0 + a.growth_by_year.get(label, a.growth_rate - 3.0 * a.growth_sd)
        money = np.array([int(allocation * (1.0 - a.contingency_share))], dtype=np.int64)
        total = split(money, system.place_shares[y][None, :])
        if prev_plan is None:
            proposal = total[:, :, None] * system.shares[None, None, :]
        else:
            proposal = prev_plan * (total / np.maximum(prev_plan.sum(axis=2), 1))[:, :, None]
        hist = PlanHistory(prev_plan, prev_total, base, (1.0 + a.inflation) ** y)
        active = [r.active(12 * y) for r in rules]
        floor = np.floor(proposal * (system.committed + system.slippage)).astype(np.int64)
        plan = annual_plan(rules, active, proposal.astype(np.float64), total, hist, floor)
        if plan.shortfall.any():
            last = int(np.flatnonzero(plan.shortfall[0])[-1])
            involved = [
                repr(r.name)
                for k, r in enumerate(rules[: last + 1])
                if r.rule in PLAN_RULES and active[k] and plan.rule_lower[k].any()
            ]
            year = system.calendar.financial_year(y)
            return [
                Problem(
                    "ring_fences",
                    f"rules {', '.join(involved)} cannot all hold in {year} "
                    "(their minimum budgets exceed the money available)",
                )
            ]
        prev_plan, prev_total = plan.budgets, total
        if base is None:
            base = plan.budgets
    return []


def _share_claims(rules: list[Rule], system: System) -> list[Problem]:
    """Rules whose claims on a place's money exceed all of it, whatever the growth.

    In each year, minimum shares (of disjoint scopes), the first-year shares of sectors that
    a growth rule protects (it keeps them growing with the money), and the committed and
    slippage lines of every other sector must fit in the place's money.
    """
    cal = system.calendar
    line_share = system.shares * (system.committed + system.slippage)
    for y in range(cal.years):
        for p, place in enumerate(system.place_names):
            active = [k for k, r in enumerate(rules) if r.active(12 * y) and r.scope[p].any()]
            covered = np.zeros(system.sectors, dtype=bool)
            claim = 0.0
            involved: list[str] = []
            shares = sorted(
                (k for k in active if rules[k].rule in SHARE_RULES),
                key=lambda k: -(rules[k].min_share or 0.0),
            )
            for k in shares:
                scope = rules[k].scope[p]
                if not (scope & covered).any():
                    claim += rules[k].min_share or 0.0
                    covered |= scope
                    involved.append(rules[k].name)
            # The minimum shares, the sectors that growth rules protect (at their first-year
            # shares), and every other sector's fixed lines.
            claim += float(line_share[~covered].sum())
            if involved:
                for k in active:
                    if rules[k].rule in ("min_growth", "real_terms_floor"):
                        extra = rules[k].scope[p] & ~covered
                        if extra.any():
                            claim += float((system.shares - line_share)[extra].sum())
                            covered |= extra
                            involved.append(rules[k].name)
            if claim > 1.0 + 1e-9 and len(involved) > 0:
                names = ", ".join(repr(n) for n in involved)
                where = f" in {place}" if system.places > 1 else ""
                return [
                    Problem(
                        "ring_fences",
                        f"rules {names} cannot all hold{where} in {cal.financial_year(y)}: "
                        f"with the other sectors' committed lines they claim {claim:.0%} "
                        "of the money",
                    )
                ]
    return []

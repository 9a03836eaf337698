"""Settings that are possible but implausible: warnings, distinct from errors.

A warning never stops a run. The CLI prints each to stderr (exit status unchanged) and the
app shows the same lines, from this one function. The limits are the documented ranges of
``docs/model.md``: outside them the model still runs but nobody has measured it there.
"""

from __future__ import annotations

from sim.scenario.errors import Problem
from sim.scenario.format import DEFAULT_STANCE, Scenario

#: A minimum share above this is far beyond any ICB's sector share (general practice ~9%).
MAX_PLAUSIBLE_SHARE = 0.5
#: A minimum share more than this above the protected sectors' own first-year share moves
#: money to where need cannot spend it: it sits unspent while the other sectors overspend.
MAX_SHARE_RISE = 0.10
#: Allocation growth below this a year has no precedent in NHS settlements.
MIN_PLAUSIBLE_GROWTH = -0.10
#: Cost-improvement targets above this have never been delivered (planning asks 1-4%).
MAX_PLAUSIBLE_CIP = 0.06
#: Top of the documented spill-over ranges (docs/model.md, 5.4).
MAX_AE_PER_APPOINTMENT = 0.1
MAX_ADMISSIONS_PER_APPOINTMENT = 0.01


def cautions(sc: Scenario) -> list[Problem]:
    """Every implausible setting, as a field and a reason (empty: nothing to warn about)."""
    out: list[Problem] = []
    for i, rf in enumerate(sc.ring_fences):
        if rf.min_share is None:
            continue
        now = sum(s.share for s in sc.sectors if s.name == rf.sector or s.kind == rf.kind)
        if rf.min_share > MAX_PLAUSIBLE_SHARE:
            out.append(
                Problem(
                    f"ring_fences[{i}].min_share",
                    f"a minimum share of {rf.min_share:.0%} is far above any sector's share of "
                    f"an ICB's money (general practice is about 9%); check it is meant",
                )
            )
        elif rf.min_share > now + MAX_SHARE_RISE:
            out.append(
                Problem(
                    f"ring_fences[{i}].min_share",
                    f"a minimum share of {rf.min_share:.0%} against {now:.0%} in the first "
                    "year moves money to where need cannot spend it: it sits unspent while "
                    "the other sectors overspend",
                )
            )
    a = sc.allocation
    growths = [("allocation.growth_rate", a.growth_rate)]
    growths += [(f"allocation.growth_by_year.{k}", v) for k, v in a.growth_by_year.items()]
    for path, g in growths:
        if g < MIN_PLAUSIBLE_GROWTH:
            out.append(
                Problem(
                    path,
                    f"allocation growth of {g:.0%} a year has no precedent (settlements have "
                    f"not fallen below {MIN_PLAUSIBLE_GROWTH:.0%}); results compound over "
                    f"{sc.horizon_years} years",
                )
            )
    if sc.planning.cost_improvement > MAX_PLAUSIBLE_CIP:
        out.append(
            Problem(
                "planning.cost_improvement",
                f"a cost-improvement target of {sc.planning.cost_improvement:.0%} a year is "
                f"above anything planning guidance asks (1-4%)",
            )
        )
    spill = sc.spill_over
    for field, value, top in (
        ("ae_per_appointment", spill.ae_per_appointment, MAX_AE_PER_APPOINTMENT),
        (
            "admissions_per_appointment",
            spill.admissions_per_appointment,
            MAX_ADMISSIONS_PER_APPOINTMENT,
        ),
    ):
        if value > top:
            out.append(
                Problem(
                    f"spill_over.{field}",
                    f"{value:g} is above the top of the range the studies support ({top:g})",
                )
            )
    if sc.recovery.model == "recovery_plan":
        # Only values that differ from the defaults warn: files written out whole (the app's
        # downloads) carry the defaults, which mean nothing is lost.
        changed = {
            "recurrent_share": sc.board.recurrent_share != 0.0,
            "stance": {**DEFAULT_STANCE, **sc.board.stance} != DEFAULT_STANCE,
        }
        for field, differs in changed.items():
            if differs:
                out.append(
                    Problem(
                        f"board.{field}",
                        "has no effect under recovery.model = 'recovery_plan' (the default); "
                        "it belongs to the board-vote model of in-year transfers",
                    )
                )
    return out


def caution_lines(source: str, sc: Scenario) -> list[str]:
    """The warnings as lines ``source: warning: field: reason``."""
    return [f"{source}: warning: {p.field}: {p.reason}" for p in cautions(sc)]

"""The scenario library (scenarios/*.toml): every file opens with its question, validates,
runs, conserves money and keeps its ring-fences, and answers its question in the direction
its header claims.

The direction tests run each scenario (and the variant it is compared with) on the same
replications of the same seed, so common random numbers pair every replication: a claim
"A is higher than B" is checked on the paired differences, with a 95% confidence interval
that must exclude zero.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from sim import run
from sim.analysis.measures import headline_measures
from sim.engine.results import Results
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.invariants import assert_conserved, assert_ring_fences_hold
from tests.paths import SCENARIOS

Floats = npt.NDArray[np.float64]

#: Replications per direction test: few, for speed; common random numbers keep them sharp.
REPS = range(24)


def test_every_scenario_in_the_library_validates(root: Path) -> None:
    files = sorted((root / "scenarios").glob("*.toml"))
    assert files
    for f in files:
        load_scenario(f)


def test_every_scenario_in_the_library_runs(root: Path) -> None:
    for f in sorted((root / "scenarios").glob("*.toml")):
        text = f.read_text()
        assert text.startswith("#"), f"{f.name} must open with a comment: its question and sources"
        res = run(load_scenario(f), replications=range(3))
        assert_conserved(res)
        assert_ring_fences_hold(res)


def test_every_header_states_its_question_difference_and_sources(root: Path) -> None:
    for f in sorted((root / "scenarios").glob("*.toml")):
        header = _header(f)
        assert "Question:" in header, f.name
        assert "Sources" in header, f.name
        if f.stem != "baseline":
            assert "Differs from the baseline" in header, f.name


def _header(path: Path) -> str:
    """The comment lines a scenario file opens with."""
    lines = []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


# -- running scenarios and their variants ---------------------------------------------------


class Run:
    """One scenario run on ``REPS``: its headline measures per replication, and its results."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.results: Results = run(scenario, replications=REPS)
        self.values: dict[tuple[str, str], Floats] = {
            (m.name, m.detail): np.asarray(m.values, dtype=np.float64)
            for m in headline_measures(self.results)
        }

    def __call__(self, name: str, detail: str) -> Floats:
        """One measure's values, one per replication."""
        return self.values[(name, detail)]

    def share(self, year: int) -> Floats:
        """Primary care's share of the year's budgets (0 = first year, -1 = final year)."""
        years = [d for (n, d) in self.values if n == "primary_care_share"]
        return self("primary_care_share", years[year])


@cache
def library(stem: str) -> Run:
    """A library scenario run on ``REPS``."""
    return Run(load_scenario(SCENARIOS / f"{stem}.toml"))


def variant(stem: str, edit: Callable[[dict[str, Any]], None]) -> Run:
    """A library scenario changed by ``edit`` (on its resolved document), run on ``REPS``."""
    doc = library(stem).scenario.model_dump(by_alias=True, exclude_none=True)
    edit(doc)
    return Run(Scenario.model_validate(doc))


def higher(a: Floats, b: Floats, what: str) -> None:
    """``a`` is higher than ``b`` on the paired replications (95% CI of the mean difference
    above zero)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    assert d.mean() - half > 0, f"{what}: mean difference {d.mean():.6g} +/- {half:.3g}"


# -- each scenario answers its question in the direction its header claims ------------------


def baseline_drifts_slowly_and_repays() -> None:
    base = library("baseline")
    # Primary care's share drifts down slowly (about a tenth of a point a year).
    higher(base.share(0), base.share(-1), "primary share, first year over final year")
    drift = (base.share(0) - base.share(-1)).mean() / (base.scenario.horizon_years - 1)
    assert 0 < drift < 0.003
    # The cut falls on community rather than hospitals: most of the pauses, and slower real
    # growth than acute care; MHIS binds in the plans.
    capped = [d for (n, d) in base.values if n == "moved_out"]
    others = np.sum([base("moved_out", d) for d in capped if d != "community"], axis=0)
    higher(base("moved_out", "community"), others, "community paused over all the rest")
    higher(
        base("real_growth", "acute"),
        base("real_growth", "community"),
        "real growth, acute over community",
    )
    assert base("ring_fence_bindings", "Mental Health Investment Standard").mean() > 0
    # Deficits are repaid under the rules in force.
    assert base("deficit_repaid", "cumulative").mean() > 0


def board_12_is_the_baseline() -> None:
    a, b = library("board_12_baseline"), library("baseline")
    assert a.values.keys() == b.values.keys()
    for key, values in a.values.items():
        np.testing.assert_array_equal(values, b.values[key], err_msg=str(key))


def board_10_leans_less_to_hospitals() -> None:
    small, base = library("board_10_statutory"), library("baseline")
    higher(small.share(-1), base.share(-1), "final-year primary share, 10 over 12 members")
    higher(
        small("real_growth", "general practice"),
        base("real_growth", "general practice"),
        "general practice real growth, 10 over 12 members",
    )


def board_22_leans_to_places_and_shares_by_need() -> None:
    big = library("board_22_places")
    home = library("baseline").scenario.model_dump(by_alias=True, exclude_none=True)["board"]

    def baseline_board(doc: dict[str, Any]) -> None:
        doc["board"] = home

    same_places = variant("board_22_places", baseline_board)
    higher(big.share(-1), same_places.share(-1), "final-year primary share, 22 over 12")
    higher(
        big("real_growth", "community"),
        same_places("real_growth", "community"),
        "community real growth, 22 over 12",
    )
    # Places at their fair shares: each place leaves the same share of its need unmet.
    assert np.abs(big("fair_share_distance", "largest, 2029/30")).max() < 1e-6
    flows = big.results.flows
    need = flows["need"][:, -12:].sum(axis=(1, 3)).astype(np.float64)
    unmet = need - flows["spend"][:, -12:].sum(axis=(1, 3))
    by_place = (unmet / need).mean(axis=0)
    assert by_place.max() - by_place.min() < 0.005, by_place


def board_ccg_keeps_money_in_primary_care_at_a_cost() -> None:
    ccg, base = library("board_ccg_like"), library("baseline")
    higher(ccg.share(-1), base.share(-1), "final-year primary share, CCG-like over baseline")
    higher(
        base("unmet_primary_need", "cumulative"),
        ccg("unmet_primary_need", "cumulative"),
        "unmet primary need, baseline over CCG-like",
    )
    higher(
        ccg("unmet_need", "community"),
        base("unmet_need", "community"),
        "unmet community need, CCG-like over baseline",
    )
    higher(
        ccg("acute_overspend", "cumulative"),
        base("acute_overspend", "cumulative"),
        "hospital overspend, CCG-like over baseline",
    )


def board_gp_led_keeps_money_in_primary_care_at_a_cost() -> None:
    gp, base, ccg = library("board_gp_led"), library("baseline"), library("board_ccg_like")
    higher(gp.share(-1), base.share(-1), "final-year primary share, GP-led over baseline")
    higher(
        base("unmet_primary_need", "cumulative"),
        gp("unmet_primary_need", "cumulative"),
        "unmet primary need, baseline over GP-led",
    )
    higher(
        gp("unmet_need", "community"),
        base("unmet_need", "community"),
        "unmet community need, GP-led over baseline",
    )
    higher(
        gp("system_deficit", "end of horizon"),
        base("system_deficit", "end of horizon"),
        "deficit, GP-led over baseline",
    )
    # Three GP seats of 13 sit between one of 12 and the CCG-like six of 12.
    higher(ccg.share(-1), gp.share(-1), "final-year primary share, CCG-like over GP-led")


def council_red_lines_hold_places_away_from_fair_shares() -> None:
    red = library("council_red_lines")

    def no_red_lines(doc: dict[str, Any]) -> None:
        for place in doc["places"]:
            place["red_line"] = False

    def not_delegated(doc: dict[str, Any]) -> None:
        for place in doc["places"]:
            place["delegated"] = False

    free = variant("council_red_lines", no_red_lines)
    detail = _detail(red, "fair_share_distance")
    higher(red("fair_share_distance", detail), free("fair_share_distance", detail), "distance")
    # The red-line places' share never falls; the places below fair share pay, by not gaining.
    names = [p.name for p in red.scenario.places]
    shares = red.results.plans.sum(axis=3) / red.results.plans.sum(axis=(2, 3))[:, :, None]
    for k, place in enumerate(red.scenario.places):
        if place.red_line:
            assert (shares[:, 1:, k] >= shares[:, :1, k] - 1e-9).all(), place.name
    liverpool = names.index("Liverpool")
    free_shares = free.results.plans.sum(axis=3) / free.results.plans.sum(axis=(2, 3))[:, :, None]
    higher(free_shares[:, -1, liverpool], shares[:, -1, liverpool], "Liverpool's final share")
    # Under the recovery plan the delegated place changes nothing (its members decide its
    # in-year support only under the board_vote model).
    same = variant("council_red_lines", not_delegated)
    for key, values in red.values.items():
        np.testing.assert_array_equal(values, same.values[key], err_msg=str(key))


def _detail(r: Run, name: str) -> str:
    """The one detail of a measure with a single row."""
    (detail,) = [d for (n, d) in r.values if n == name]
    return detail


def left_shift_moves_money_out_of_hospitals_at_a_cost() -> None:
    left, base = library("left_shift"), library("baseline")
    higher(left.share(-1), base.share(-1), "final-year primary share, left shift over baseline")
    higher(
        left("real_growth", "community"),
        base("real_growth", "community"),
        "community real growth, left shift over baseline",
    )
    for name, detail in (
        ("unmet_primary_need", "cumulative"),
        ("unmet_need", "community"),
        ("spill_over_cost", "cumulative"),
    ):
        higher(base(name, detail), left(name, detail), f"{name} {detail}, baseline over left")
    higher(
        left("acute_overspend", "cumulative"),
        base("acute_overspend", "cumulative"),
        "hospital overspend, left shift over baseline",
    )


def mhis_only_lets_the_recovery_plan_pause_mental_health() -> None:
    only, base = library("mhis_only"), library("baseline")
    assert (base("moved_out", "mental health") == 0).all()
    assert only("moved_out", "mental health").mean() > 0
    higher(
        only("unmet_need", "mental health"),
        base("unmet_need", "mental health"),
        "unmet mental-health need, MHIS only over baseline",
    )
    # Community is paused near its limit (a tenth of the line a year) either way, so the
    # mental-health pauses are extra money the recovery plan finds: less deficit at the end.
    higher(
        base("system_deficit", "end of horizon"),
        only("system_deficit", "end of horizon"),
        "deficit at the end, baseline over MHIS only",
    )


def no_spillover_costs_hospitals_nothing() -> None:
    none, base = library("no_spillover"), library("baseline")
    assert (none("spill_over_cost", "cumulative") == 0).all()
    assert (none.results.spill_in() == 0).all()
    higher(
        base("acute_overspend", "cumulative"),
        none("acute_overspend", "cumulative"),
        "hospital overspend, baseline over no spill-over",
    )


def primary_ring_fence_holds_primary_care_and_moves_the_cut() -> None:
    fenced, base = library("primary_care_ringfence"), library("baseline")
    years = [d for (n, d) in fenced.values if n == "primary_care_share"]
    for year in years:
        assert (fenced("primary_care_share", year) >= 0.13 - 1e-9).all(), year
    assert (fenced("moved_primary_to_secondary", "cumulative") == 0).all()
    higher(fenced.share(-1), base.share(-1), "final-year primary share, ring-fence over baseline")
    higher(
        fenced("unmet_need", "community"),
        base("unmet_need", "community"),
        "unmet community need, ring-fence over baseline",
    )


def expiring_ring_fence_lets_the_drift_resume() -> None:
    expires = library("primary_care_ringfence_expires")

    def fences_stay(doc: dict[str, Any]) -> None:
        for rf in doc["ring_fences"]:
            rf.pop("until", None)

    def no_primary_fences(doc: dict[str, Any]) -> None:
        doc["ring_fences"] = [rf for rf in doc["ring_fences"] if rf.get("kind") != "primary"]

    stays = variant("primary_care_ringfence_expires", fences_stay)
    never = variant("primary_care_ringfence_expires", no_primary_fences)
    # The protected first year is the same as with a ring-fence that stays.
    np.testing.assert_array_equal(expires.share(0), stays.share(0))
    higher(expires.share(0), never.share(0), "first-year primary share, fenced over none")
    higher(stays.share(-1), expires.share(-1), "final-year primary share, stays over expires")
    assert (stays("moved_primary_to_secondary", "cumulative") == 0).all()
    assert expires("moved_primary_to_secondary", "cumulative").mean() > 0


def rules_2026_27_repay_deficits_from_the_plans() -> None:
    rules = library("rules_2026_27")

    def regime(name: str) -> Callable[[dict[str, Any]], None]:
        def edit(doc: dict[str, Any]) -> None:
            doc["deficit"]["regime"] = name

        return edit

    supported = variant("rules_2026_27", regime("system_breakeven"))
    never = variant("rules_2026_27", regime("none"))
    assert (rules.results.finance["support"] == 0).all()
    assert supported.results.finance["support"].sum() > 0
    assert (rules("deficit_repaid", "cumulative") > 0).mean() > 0.5
    higher(
        rules("deficit_repaid", "cumulative"),
        supported("deficit_repaid", "cumulative"),
        "deficit repaid, individual over system break-even",
    )
    # Repayments come out of the discretionary money the plans divide.
    higher(
        rules("unmet_need", "community"),
        supported("unmet_need", "community"),
        "unmet community need, individual over system break-even",
    )
    higher(
        never("system_deficit", "end of horizon"),
        rules("system_deficit", "end of horizon"),
        "deficit owed at the end, never repaid over individual break-even",
    )


def history_reproduces_where_the_money_went() -> None:
    hist = library("history_2016_2023")

    def growth(detail: str) -> Floats:
        return hist("real_growth", detail)

    # The published ordering, 2016/17 to 2022/23 (Nuffield Trust): mental health 5.3% and
    # acute 4.4% above the total 3.1%; community 0.5% below it and below general practice
    # 3.3%; prescribing -0.5% above ophthalmic, pharmacy and dentistry (-2.0%, -2.2%).
    higher(growth("mental health"), growth("all spending"), "mental health over all spending")
    higher(growth("acute"), growth("all spending"), "acute over all spending")
    higher(growth("all spending"), growth("community"), "all spending over community")
    higher(growth("general practice"), growth("community"), "general practice over community")
    higher(
        growth("prescribing"),
        growth("pharmacy, dental and optometry"),
        "prescribing over pharmacy, dental and optometry",
    )


#: Each library scenario and the test that it answers its question as its header claims.
CLAIMS: dict[str, Callable[[], None]] = {
    "baseline": baseline_drifts_slowly_and_repays,
    "board_10_statutory": board_10_leans_less_to_hospitals,
    "board_12_baseline": board_12_is_the_baseline,
    "board_22_places": board_22_leans_to_places_and_shares_by_need,
    "board_ccg_like": board_ccg_keeps_money_in_primary_care_at_a_cost,
    "board_gp_led": board_gp_led_keeps_money_in_primary_care_at_a_cost,
    "council_red_lines": council_red_lines_hold_places_away_from_fair_shares,
    "history_2016_2023": history_reproduces_where_the_money_went,
    "left_shift": left_shift_moves_money_out_of_hospitals_at_a_cost,
    "mhis_only": mhis_only_lets_the_recovery_plan_pause_mental_health,
    "no_spillover": no_spillover_costs_hospitals_nothing,
    "primary_care_ringfence": primary_ring_fence_holds_primary_care_and_moves_the_cut,
    "primary_care_ringfence_expires": expiring_ring_fence_lets_the_drift_resume,
    "rules_2026_27": rules_2026_27_repay_deficits_from_the_plans,
}


def test_every_library_scenario_has_a_direction_test(root: Path) -> None:
    assert sorted(CLAIMS) == sorted(f.stem for f in (root / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("stem", sorted(CLAIMS))
def test_scenario_answers_its_question(stem: str) -> None:
    CLAIMS[stem]()

"""A scenario's settings and the differences between two, in words
(sim.report.settings_words): what the app, the compare view and the board pack say."""

from __future__ import annotations

import re
from dataclasses import replace

from sim.app.controller import FenceSetting, apply_settings, settings_of
from sim.report.settings_words import difference_words, fence_words, legend_names, settings_words
from sim.scenario.format import RingFence, Scenario

CODE = re.compile(r"[a-z]+_[a-z]+|\w+\[\d+\]|fraction")


def changed(baseline: Scenario) -> Scenario:
    s = settings_of(baseline)
    seats = {**s.seats, "primary_care": 3}
    fences = list(s.fences)
    fences[2] = FenceSetting(True, 0.13, None)
    return apply_settings(baseline, replace(s, seats=seats, fences=tuple(fences)), "app")


def test_the_differences_read_as_a_finance_lead_would_say_them(baseline: Scenario) -> None:
    b = changed(baseline)
    assert difference_words(baseline, b) == [
        "Primary care (GP) partners: 1 voting seat → 3 voting seats",
        "Ring-fence Primary care minimum share: none → at least 13.0% of sector money, "
        "checked at every month-end, with no expiry",
    ]
    assert difference_words(baseline, baseline) == []
    quorum = baseline.model_copy(
        update={"board": baseline.board.model_copy(update={"quorum": 0.6})}
    )
    assert difference_words(baseline, quorum) == ["Quorum (share of votes present): 50.0% → 60.0%"]


def test_fields_without_words_of_their_own_show_no_code_names(baseline: Scenario) -> None:
    sectors = [s.model_copy(update={"need_growth": 0.05}) for s in baseline.sectors[:1]]
    b = baseline.model_copy(update={"sectors": sectors + list(baseline.sectors[1:])})
    (line,) = difference_words(baseline, b)
    assert line.startswith(f"Sectors › {baseline.sectors[0].name} › need growth: ")
    assert line.endswith("→ 5.0%")


def test_the_legend_names_a_and_b_by_what_differs(baseline: Scenario) -> None:
    a_name, b_name = legend_names(baseline, changed(baseline))
    assert a_name == "A: primary care (GP) partners 1 voting seat; Primary care minimum share off"
    assert b_name == "B: primary care (GP) partners 3 voting seats; Primary care minimum share on"
    assert legend_names(baseline, baseline)[0].startswith("A (same settings")


def test_settings_in_words(baseline: Scenario) -> None:
    lines = settings_words(changed(baseline))
    assert (
        lines[0] == "Years: 2025/26 to 2029/30 (5 years), 200 simulated futures from seed 20250401"
    )
    assert lines[2].startswith("Board: 14 voting members (1 chair, 4 executives")
    assert "3 primary care (GP) partners" in lines[2]
    assert any(
        line == "Ring-fence Mental Health Investment Standard (for mental health care): a "
        "budget that grows at least as fast as the overall allocation, with no expiry"
        for line in lines
    )
    assert not any(CODE.search(line) for line in lines), lines
    # Published growth as published, to the hundredth of a point.
    assert "(published years: 2026/27 2.72%, 2027/28 2.92%)" in lines[1]


def test_each_rule_in_words() -> None:
    cap = RingFence(
        name="cap", rule="cap_transfers_out", kind="community", cap=0.02, until="2027-03"
    )
    assert fence_words(cap) == (
        "community care: at most 2.0% of its budget moved out in a year, until 2027-03"
    )
    floor = RingFence(name="floor", rule="real_terms_floor", sector="general practice")
    assert fence_words(floor) == (
        "general practice: a budget that never falls in real terms, with no expiry"
    )


def test_other_files_differences_read_in_words_and_stay_out_of_the_legend(
    baseline: Scenario,
) -> None:
    from sim.scenario.loader import load_scenario
    from tests.paths import SCENARIOS

    other = load_scenario(SCENARIOS / "primary_care_ringfence_expires.toml")
    lines = difference_words(baseline, other)
    assert "Allocation in the first year: £3,646.0m → £3,448.0m" in lines
    assert "Allocation › growth by year › 2024/25: not set → 2.66%" in lines
    assert not any(CODE.search(line) for line in lines), lines
    a_name, _ = legend_names(baseline, other)
    assert "scenario is for" not in a_name and "ICB like" not in a_name
    assert a_name.startswith("A: first financial year 2025/26")

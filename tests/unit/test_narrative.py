"""Results in sentences (sim.analysis.narrative): periods, likely ranges, and what a
comparison means, built from the registry's directions and the paired intervals."""

from __future__ import annotations

import re

from sim.analysis.compare import PairedRow
from sim.analysis.measures import REGISTRY
from sim.analysis.narrative import (
    Horizon,
    clear,
    comparison_sentence,
    displacements,
    likely_range,
    tile_words,
    verdict,
    when,
)
from sim.analysis.summary import SummaryRow

H = Horizon(2025, 5)


def row(measure: str, detail: str, p05: float, p95: float, n: int = 200) -> SummaryRow:
    unit = REGISTRY[measure].unit
    return SummaryRow(measure, detail, unit, n, (p05 + p95) / 2, 1.0, p05, p95, p05, 0.0, p95)


def pair(
    measure: str, detail: str, diff: float, low: float, high: float, better: str = ""
) -> PairedRow:
    unit = REGISTRY[measure].unit
    return PairedRow(measure, detail, unit, 200, 1.0, 1.0 + diff, diff, low, high, 0.5, better, 0)


def test_when_a_number_applies_follows_its_scope() -> None:
    assert H.span == "2025/26–2029/30" and Horizon(2025, 1).span == "2025/26"
    assert when(REGISTRY["primary_care_share"], "2029/30", H) == "in 2029/30"
    assert when(REGISTRY["system_deficit"], "end of horizon", H) == "at the end of 2029/30"
    assert when(REGISTRY["spill_over_cost"], "cumulative", H) == "over 2025/26–2029/30"
    assert when(REGISTRY["real_growth"], "acute", H) == "a year from 2025/26 to 2029/30"


def test_a_tile_says_its_period_and_its_likely_range_in_words() -> None:
    words = tile_words(row("spill_over_cost", "cumulative", 106.0, 247.0), H)
    assert words == ("Over 2025/26–2029/30; 9 in 10 simulated futures between £106.0m and £247.0m.")
    share = tile_words(row("primary_care_share", "2029/30", 0.1221, 0.1254), H)
    assert share == "In 2029/30; 9 in 10 simulated futures between 12.21% and 12.54%."
    assert likely_range(row("spill_over_cost", "cumulative", 5.0, 5.0)) == (
        "£5.0m in at least 9 in 10 simulated futures"
    )
    assert "no range" in likely_range(row("spill_over_cost", "cumulative", 1.0, 2.0, n=1))
    assert "fraction" not in share and "_" not in share


def test_a_change_is_clear_only_when_its_interval_excludes_zero() -> None:
    up = pair("system_deficit", "end of horizon", 75.0, 72.0, 78.0, better="A")
    noise = pair("system_deficit", "end of horizon", 1.0, -2.0, 4.0, better="A")
    assert clear(up) and verdict(up) == "worse"
    assert not clear(noise) and verdict(noise) == "no clear change"
    assert verdict(pair("deficit_repaid", "cumulative", 3.0, 1.0, 5.0)) == (
        "neither better nor worse"
    )


def test_the_comparison_sentence_leads_with_the_answer_and_names_the_cut() -> None:
    rows = [
        pair("primary_care_share", "2028/29", 0.010, 0.009, 0.011, "B"),
        pair("primary_care_share", "2029/30", 0.014, 0.013, 0.015, "B"),
        pair("system_deficit", "end of horizon", 75.2, 72.1, 78.3, "A"),
        pair("unmet_primary_need", "cumulative", -20.0, -25.0, -15.0, "B"),
        pair("spill_over_cost", "cumulative", 0.5, -1.0, 2.0, "A"),
        pair("unmet_need", "community", 306.0, 290.0, 320.0, "A"),
        pair("unmet_need", "mental health", 2.0, -1.0, 5.0, "A"),
        pair("moved_out", "community", 10.0, 8.0, 12.0, "A"),
    ]
    text = comparison_sentence(rows, H)
    assert text.startswith("Against A, B is better on 2 and worse on 1 of these 4: ")
    # The final year's share, with its interval; the deficit as worse.
    assert "primary-care share of budgets 1.40 points higher in 2029/30 (better, 95% CI" in text
    assert (
        "system deficit £75.2m higher at the end of 2029/30 (worse, 95% CI +£72.1m to +£78.3m)"
        in text
    )
    assert "no clear change in spill-over cost to hospitals" in text
    assert text.endswith(
        "The cut moves to community (+£306.0m of need left unmet over 2025/26–2029/30)."
    )
    assert not re.search(r"[a-z]_[a-z]", text), "no code names"


def test_every_capped_sector_has_its_displacement_most_extra_need_first() -> None:
    rows = [
        pair("unmet_need", "general practice", -5.0, -6.0, -4.0, "B"),
        pair("unmet_need", "community", 306.0, 290.0, 320.0, "A"),
        pair("moved_out", "community", 0.0, 0.0, 0.0),
        pair("moved_out", "general practice", -8.0, -9.0, -7.0, "B"),
    ]
    found = displacements(rows)
    assert [d.sector for d in found] == ["community", "general practice"]
    assert found[0].words(H) == (
        "community: £306.0m more need left unmet (95% CI +£290.0m to +£320.0m); no clear "
        "change in money moved out over 2025/26–2029/30"
    )
    assert "£5.0m less need left unmet" in found[1].words(H)
    # A clear change too small for the usual decimals is never shown as nothing.
    tiny = displacements([pair("unmet_need", "mental health", 0.04, 0.01, 0.07, "A")])
    assert tiny[0].words(H).startswith("mental health: under £0.1m more need left unmet")


def test_no_headline_in_common_says_so() -> None:
    assert "cannot be compared" in comparison_sentence([], H)

"""The app in a finance lead's words (headless): no code name on screen, tiles that say their
period and range, a landing text that says what to do, help on every control, the
ring-fences first, and warnings beside the controls for impossible and implausible settings.
"""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from tests.app.test_app import (
    _fresh_caches,
    errors,
    key,
    markdown,
    problems,
    stale,
    start,
    warnings,
)

__all__ = ["_fresh_caches"]  # the app tests' fixture: no cached runs between tests

#: What a reader must never see: a snake_case name, a field path, a unit named "fraction".
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\w+\[\d+\]|\bfraction\b")
#: Names that are the user's own (a file name, a scenario's name) and may hold underscores.
OWN = re.compile(r"\b[\w.-]+\.toml\b|\bbaseline_edited\b")


def on_screen(at: AppTest) -> list[str]:
    """Every text the page shows: headings, text, tiles, tables, tabs, labels and help."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        texts += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        texts += [m.label, m.value, str(m.delta or ""), str(m.proto.help)]
    for t in at.table:
        frame = t.value
        texts += [str(c) for c in frame.columns]
        texts += [str(x) for c in frame.columns for x in frame[c]]
    texts += [t.label for t in at.tabs] + [e.label for e in at.expander]
    for kind in (
        "slider",
        "selectbox",
        "toggle",
        "checkbox",
        "number_input",
        "text_input",
        "button",
    ):
        for w in at.get(kind):
            texts += [str(w.label), str(getattr(w, "help", "") or "")]
    return [OWN.sub("", t) for t in texts]


def code_names(at: AppTest) -> list[str]:
    return [m for text in on_screen(at) for m in CODE.findall(text)]


def test_no_code_name_anywhere_on_the_page_or_in_compare() -> None:
    at = start(reps=20, view="Compare A and B")
    assert not code_names(at), code_names(at)
    at.button(key="pin").click().run()
    at.slider(key=key(at, "seats_primary_care")).set_value(3).run()
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    assert not at.exception
    assert not code_names(at), code_names(at)


def test_the_landing_text_says_what_the_page_shows_and_what_to_try_first() -> None:
    at = start()
    (intro,) = [m for m in markdown(at) if "**Try first:**" in m]
    assert "2025/26 to 2029/30 (5 years)" in intro and "200 simulated futures" in intro
    assert "Primary care minimum share" in intro and "Compare A and B" in intro
    # The ring-fences, the main lever, are the first group of controls.
    headers = [h.value for h in at.sidebar.header]
    assert headers[:3] == ["Scenario", "Ring-fences", "Board"]
    # Every control explains itself in a line.
    for kind in ("slider", "selectbox", "toggle", "number_input", "text_input"):
        for w in at.sidebar.get(kind):
            if w.key and not w.key.startswith(("fence", "file_choice")):
                assert w.help, w.label


def test_each_tile_says_its_period_and_its_likely_range() -> None:
    at = start()
    tiles = [c.value for c in at.caption if "; 9 in 10 simulated futures" in c.value]
    assert len(tiles) == len(at.metric)
    assert any(t.startswith("In 2029/30; 9 in 10 simulated futures between ") for t in tiles)
    assert any(t.startswith("Over 2025/26–2029/30; 9 in 10 simulated futures") for t in tiles)
    assert any(t.startswith("At the end of 2029/30; 9 in 10") for t in tiles)


def test_an_impossible_minimum_share_is_refused_beside_the_ring_fences() -> None:
    at = start(reps=20)
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    shown = [m.value for m in at.metric]  # the last valid settings' results
    at.slider(key=key(at, "fence2_level")).set_value(1.0).run()
    at.toggle(key=key(at, "fence3_on")).set_value(True).run()
    assert not at.exception
    assert at.slider(key=key(at, "fence2_level")).value == 1.0
    # With the Mental Health Investment Standard, all of the money to primary care cannot
    # hold: refused, beside the ring-fences, in words; the last good results stay, stale.
    (top,), (beside,) = problems(at)
    assert top == f"Ring-fences: {beside}"
    assert beside.startswith(
        "rules 'Primary care minimum share', 'Mental Health Investment Standard' cannot all "
        "hold in 2025/26"
    )
    assert stale(at) and [m.value for m in at.metric] == shown
    # Without the MHIS it still cannot: the other sectors' contracts need their money.
    at.toggle(key=key(at, "fence0_on")).set_value(False).run()
    (top,), _ = problems(at)
    assert "'Primary care minimum share' cannot all hold in 2025/26" in top
    assert "committed lines" in top


def test_a_far_higher_minimum_share_than_primary_cares_own_warns() -> None:
    at = start(reps=20)
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    at.slider(key=key(at, "fence2_level")).set_value(0.3).run()
    assert not at.exception
    assert any("sits unspent while the other sectors overspend" in w for w in warnings(at))


def test_collapsing_growth_over_fifty_years_warns_beside_the_growth_slider() -> None:
    at = start(reps=20)
    at.slider(key=key(at, "horizon_years")).set_value(50).run()
    at.slider(key=key(at, "growth_rate")).set_value(-0.5).run()
    assert not at.exception
    reason = (
        "allocation growth of -50% a year has no precedent (settlements have not fallen "
        "below -10%); results compound over 50 years"
    )
    assert f"Allocation growth: {reason}" in warnings(at)
    assert reason in warnings(at)  # beside the slider


def test_the_money_view_shows_one_sector_grid_at_a_time_each_chart_described() -> None:
    at = start(reps=20, view="Where the money goes")
    sectors = len(at.session_state["current"].sectors)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1 + sectors  # the primary-care share, then the budgets' grid
    for chart in charts:  # each chart's screen-reader name says what it shows
        assert "9 in 10 simulated futures" in json.loads(chart.proto.spec)["description"]
    assert "Budgets by sector (£m a year)" in [h.value for h in at.subheader]
    at.button_group(key="money_grid").set_value("Shares of the budgets").run()
    assert not at.exception
    assert "Shares of the budgets by sector" in [h.value for h in at.subheader]
    assert len(at.get("vega_lite_chart")) == 1 + sectors


def test_problems_of_the_board_as_a_whole_are_beside_the_seats() -> None:
    from sim.app.beside import control_of
    from sim.app.controller import settings_of
    from sim.scenario.loader import load_scenario
    from tests.paths import SCENARIOS

    settings = settings_of(load_scenario(SCENARIOS / "baseline.toml"))
    assert control_of("board", settings) == "seats"
    assert control_of("board.quorum", settings) == "quorum"
    assert control_of("allocation.initial_gbp_m", settings) == "growth_rate"
    assert control_of("allocation.growth_by_year.2026/27", settings) is None
    at = start(reps=20)
    for c in ("executive", "non_executive", "trust", "primary_care", "local_authority"):
        at.slider(key=key(at, f"seats_{c}")).set_value(12).run()
    for c in ("mental_health", "place", "other"):
        at.slider(key=key(at, f"seats_{c}")).set_value(12).run()
    assert not at.exception
    (top,), (beside,) = problems(at)
    assert top == f"Board seats: {beside}" and "at most 32 members" in beside
    assert any("(see the control marked in red)" in e for e in errors(at))

"""The page above the views: the controls, the hand-off, the runs and the headline.

:func:`results_page` draws everything but the views and returns what they draw from
(:class:`sim.app.run_cache.Showing`), or None when there is nothing to show. A problem with
the settings is shown beside the control that causes it, in words (:mod:`sim.app.beside`),
and summed up at the top: an error (invalid settings, a run too big for the app, a run that
failed) keeps the last good results on screen, marked as stale, so every error path behaves
the same way; a warning (valid but implausible settings,
:func:`sim.scenario.plausibility.cautions`, the CLI's warnings) runs as usual.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sim.analysis.narrative import Horizon
from sim.app.beside import Slots, place
from sim.app.controller import Settings, apply_settings
from sim.app.controls import read_settings, scenario_controls
from sim.app.downloads import scenario_download
from sim.app.handoff import scenario_toml
from sim.app.headline import headline
from sim.app.run_cache import Run, Showing, get_run
from sim.app.screen import failure_line, literal, show_error
from sim.app.size import check_size
from sim.report.settings_words import difference_words
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.plausibility import cautions

#: The head of the errors' summary at the top of the page, and what it adds when the last
#: good results stay on screen.
CANNOT_RUN = "These settings cannot be run"
STALE = "The results below are from your last valid settings, not the controls now."
#: The in-page target of the sidebar's skip link (the headline's heading).
RESULTS_ANCHOR = "results"


def skip_link() -> None:
    """The sidebar's first focusable element: a link past every control to the results, so
    the keyboard reaches them in two steps rather than sixty."""
    st.sidebar.markdown(
        f'<a href="#{RESULTS_ANCHOR}" class="skip-link">Skip to the results</a>',
        unsafe_allow_html=True,
    )


def size_problems(sc: Scenario) -> list[Problem]:
    """A run too big for the app, as a problem of the replications (:func:`check_size`)."""
    message = check_size(sc)
    if message is None:
        return []
    return [Problem("replications", message.split(": replications: ", 1)[-1])]


def intro(scenario: Scenario, original: Scenario) -> None:
    """What the page shows and what to try first, then the file's own question."""
    n = scenario.replications
    span = horizon_of_scenario(scenario)
    st.markdown(
        f"How the board shares out the ICB's money between hospitals, general practice and "
        f"other services over **{span}**, under the board and ring-fences set on the left, "
        f"across **{n:,} simulated futures** (each a different run of demand and money). "
        "**Try first:** switch on *Primary care minimum share* under **Ring-fences** (top "
        "left) and watch primary care's share and the deficit below; then pin your settings "
        "in **Compare A and B** to see what the change costs, and where the cut moves."
    )
    if original.description:
        st.caption(f"The file {literal(original.name)} asks: {literal(original.description)}")


def horizon_of_scenario(sc: Scenario) -> str:
    """``2025/26 to 2029/30 (5 years)``."""
    h = Horizon(sc.start_year, sc.horizon_years)
    return h.first if sc.horizon_years == 1 else f"{h.first} to {h.last} ({sc.horizon_years} years)"


def settings_problems(
    original: Scenario, settings: Settings, slots: Slots, source: str
) -> tuple[Scenario | None, list[str]]:
    """The scenario of the controls, or None and the errors in words (shown beside their
    controls); warnings are shown beside theirs and at the top."""
    try:
        scenario = apply_settings(original, settings, source)
    except ScenarioError as exc:
        return None, place(exc.problems, settings, slots, "error")
    warned = place(cautions(scenario), settings, slots, "warning")
    if warned:
        st.warning(
            "These settings run, but look implausible:  \n"
            + "  \n".join(literal(w) for w in warned),
            icon=":material/warning:",
        )
    too_big = size_problems(scenario)
    if too_big:
        return None, place(too_big, settings, slots, "error")
    return scenario, []


def show_stale(errors: list[str], stale: bool, marked: bool) -> None:
    """The errors at the top of the page, and whether the results below are stale; where a
    control is marked with its problem (``marked``), the page says so."""
    head = f"{CANNOT_RUN} (see the control marked in red):" if marked else f"{CANNOT_RUN}:"
    text = f"{head}  \n" + "  \n".join(literal(e) for e in errors)
    if stale:
        text += f"  \n**{STALE}**"
    st.error(text, icon=":material/error:")


def results_page() -> Showing | None:
    """Draw the controls, the title, the hand-off and the headline; the run the views show."""
    ss = st.session_state
    original: Scenario | None = ss["original"]
    pin_requested = bool(ss.pop("pin_requested", False))
    skip_link()
    scenario_controls(original)
    st.title("Where will the ICB's money go?")
    if ss.get("load_error"):
        show_error(ss["load_error"])
        if original is not None:
            st.caption(f"Still showing {literal(ss['source'])}.")
    if original is None:
        return None
    slots = Slots()
    settings = read_settings(original, slots)
    source = f"{ss['source']} with the app's settings"
    scenario, errors = settings_problems(original, settings, slots, source)
    slot = st.empty()  # progress of a run that is not cached; made every run (fixed layout)
    if scenario is not None:
        try:
            showing = draw_results(original, scenario, slot, pin_requested)
        except Exception as exc:  # one line, as the CLI reports it; the last results stay
            errors = [failure_line(f"{scenario.name}: the run failed", exc)]
        else:
            ss["last_good"] = scenario
            return showing
    last: Scenario | None = ss.get("last_good")
    show_stale(errors, last is not None, bool(slots.filled))
    if last is None:
        return None
    try:
        return draw_results(original, last, slot, pin_requested=False, stale=True)
    except Exception as exc:  # the last good run failing too: nothing left to show
        show_error(failure_line(f"{last.name}: the run failed", exc))
        return None


def draw_results(
    original: Scenario, scenario: Scenario, slot: Any, pin_requested: bool, stale: bool = False
) -> Showing:
    """The hand-off, the intro and the headline of ``scenario``; what the views draw from."""
    ss = st.session_state
    changes = difference_words(original, scenario)
    same = not changes
    reference_too_big = None if same else check_size(original)
    # The runs first: if one fails, nothing below (the pin, the hand-off) is left half done.
    reference = None if reference_too_big else get_run(original, "the file as loaded", slot)
    current: Run = reference if same and reference else get_run(scenario, "your settings", slot)
    text = None if stale else scenario_toml(scenario, original, ss["source"])
    if not stale:
        ss["current"] = scenario
        ss["scenario_toml"] = text
        if pin_requested:  # the scenario of this rerun's controls (see session.on_pin)
            ss["pinned"] = scenario
    st.sidebar.header("Hand-off")
    if text is None:
        st.sidebar.caption("Fix the settings above to download them.")
    else:
        scenario_download(scenario, text)
    intro(scenario, original)
    st.subheader("The answer", anchor=RESULTS_ANCHOR)
    if same:
        st.caption("These are the file's own results: change a control to see its effect.")
    else:
        st.caption(
            f"In small print under each number: the change from **{literal(ss['source'])}** "
            "as loaded, green when better."
        )
    if reference_too_big:
        st.warning(
            literal(
                "No change from the file is shown: the file as loaded is too big to run here "
                f"({reference_too_big.split(': replications: ', 1)[-1]})"
            )
        )
    headline(current, reference, same)
    if changes:
        with st.expander(f"What you changed from the file ({len(changes)})"):
            st.markdown("\n".join(f"- {literal(c)}" for c in changes))
    return Showing(current, scenario, slot)

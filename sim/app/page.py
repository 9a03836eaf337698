"""The page above the views: the controls, the hand-off, the runs and the headline.

:func:`results_page` draws everything but the views and returns what they draw from
(:class:`sim.app.run_cache.Showing`), or None when there is nothing to show (no scenario
loaded, invalid settings, a run too big for the app): the reason is then on the page, in
one line, as the CLI would print it. Settings that are valid but implausible
(:func:`sim.scenario.plausibility.cautions`) are shown as the CLI's warnings, and run.
"""

from __future__ import annotations

import streamlit as st

from sim.app.changes import scenario_changes
from sim.app.controller import apply_settings
from sim.app.controls import read_settings, scenario_controls
from sim.app.downloads import scenario_download
from sim.app.handoff import scenario_toml
from sim.app.headline import headline
from sim.app.periods import period
from sim.app.run_cache import Showing, get_run
from sim.app.screen import literal, show_error, show_run_error, show_warnings
from sim.app.size import check_size
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.plausibility import caution_lines


def results_page() -> Showing | None:
    """Draw the controls, the title, the hand-off and the headline; the run the views show.

    The loaded file's own run is made too, for the changes against it; a file too big for
    the app is refused unless its controls were changed, and then only the changes are
    dropped.
    """
    ss = st.session_state
    original: Scenario | None = ss["original"]
    pin_requested = bool(ss.pop("pin_requested", False))
    scenario_controls(original)
    st.title("Where will the ICB's money go?")
    if ss.get("load_error"):
        show_error(ss["load_error"])
        if original is not None:
            st.caption(f"Still showing {literal(ss['source'])}.")
    if original is None:
        return None
    settings = read_settings(original)
    source = f"{ss['source']} with the app's settings"
    try:
        scenario = apply_settings(original, settings, source)
    except ScenarioError as exc:
        show_error(str(exc))
        return None
    # Possible but implausible settings: the CLI's warnings, from the same function.
    show_warnings(caution_lines(source, scenario))
    too_big = check_size(scenario)
    if too_big:
        show_error(too_big)
        return None
    ss["current"] = scenario
    if pin_requested:  # the scenario of this rerun's controls (see session.on_pin)
        ss["pinned"] = scenario
    changes = scenario_changes(original, scenario)
    st.sidebar.header("Hand-off")
    ss["scenario_toml"] = scenario_toml(scenario, original, ss["source"])
    scenario_download(scenario, ss["scenario_toml"])
    slot = st.empty()  # progress of a run that is not cached; made every run (fixed layout)
    same = not changes
    reference_too_big = None if same else check_size(original)
    try:
        reference = None if reference_too_big else get_run(original, "the file as loaded", slot)
        current = reference if same and reference else get_run(scenario, "your settings", slot)
    except Exception as exc:  # report in one line, as the CLI does, and keep the page
        show_run_error(scenario, exc)
        return None
    st.markdown(
        f"**{literal(scenario.name)}**: {scenario.replications:,} replications, seed "
        f"{scenario.seed}, {period(scenario)}. "
        + (
            "These are the file's own results."
            if same
            else f"Changes are against **{literal(ss['source'])}** as loaded "
            f"({original.replications:,} replications, seed {original.seed})."
        )
    )
    if reference_too_big:
        st.warning(
            literal(
                "No change from the file is shown: the file as loaded is too big to run here "
                f"({reference_too_big})"
            )
        )
    headline(current, reference, same)
    if changes:
        with st.expander(f"What you changed from the file ({len(changes)})"):
            st.code("\n".join(changes), language=None, wrap_lines=True)
    return Showing(current, scenario, slot)

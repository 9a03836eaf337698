"""The ICB funding simulator in the browser: pick a board and ring-fences, see where the money goes.

Run with ``make app`` (``python -m streamlit run app.py -- [SCENARIO.toml]``). This is only the
entry point: the page set-up, the session's start and the views, one tab each. The app's
pieces are in :mod:`sim.app` (the page above the views in :mod:`sim.app.page`, one module per
view in :mod:`sim.app.views`); it holds no model logic. See ``docs/app.md``.
"""

from __future__ import annotations

import streamlit as st

from sim.app.page import results_page
from sim.app.screen import failure_line, show_error, show_run_error
from sim.app.session import initialise
from sim.app.style import page_style
from sim.app.views import View, compare, decisions, deficits, money, power, primary, summary

#: The views, in tab order.
VIEWS: tuple[View, ...] = (money, primary, deficits, power, decisions, compare, summary)


def main() -> None:
    """Draw the page: the controls and headline, then the open view (only it is computed)."""
    st.set_page_config(page_title="ICB funding simulator", page_icon="🏥", layout="wide")
    page_style()
    initialise()
    try:
        showing = results_page()
    except Exception as exc:  # one line, as every failure on the page, never a traceback
        show_error(failure_line("the page could not be drawn", exc))
        showing = None
    if showing is None:
        st.stop()
        return
    tabs = st.tabs([v.TITLE for v in VIEWS], key="view", on_change="rerun")
    for tab, view in zip(tabs, VIEWS, strict=True):
        if tab.open:
            with tab:
                try:
                    view.show(showing)
                except Exception as exc:  # one line, as for the runs; the page stays
                    show_run_error(showing.scenario, exc, view.TITLE)


main()

"""The page's few style rules beyond Streamlit's theme: what the theme cannot say.

* The tabs wrap onto a second line on a narrow screen, so every view stays reachable (by
  default the tab bar scrolls and hides the last tabs behind an arrow at 800 px).
* Secondary text (captions) is drawn in a dark grey at full opacity: Streamlit fades it
  to 60%, which measures about 3:1 against white.
* The skip link to the results is visible, and clearly marked when the keyboard is on it.
* Long words in tables wrap rather than widen the page, and a tile's label wraps rather than
  ending in "…" on a narrow screen.
"""

from __future__ import annotations

import streamlit as st

#: Secondary text: 8.4:1 against white, 7.9:1 against the sidebar's grey.
SECONDARY = "#4a4d57"

CSS = f"""
<style>
[data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap; row-gap: 0.25rem; }}
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
  color: {SECONDARY} !important;
}}
[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p {{ color: #262730; }}
[data-testid="stMetricDelta"] {{ opacity: 1; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
a.skip-link {{ font-weight: 600; color: #0b57d0; }}
a.skip-link:focus {{ outline: 3px solid #0b57d0; outline-offset: 2px; }}
[data-testid="stTable"] td, [data-testid="stTable"] th {{ overflow-wrap: anywhere; }}
</style>
"""


def page_style() -> None:
    """Put the style rules on the page (an element that takes no room)."""
    st.html(CSS)

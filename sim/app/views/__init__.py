"""The app's views, one module each: a ``TITLE`` (its tab's label) and ``show(showing)``.

Importing a view draws nothing (no Streamlit call runs at import time); ``app.py`` lists
them, in tab order, and shows the open one.
"""

from __future__ import annotations

from typing import Protocol

from sim.app.run_cache import Showing


class View(Protocol):
    """What ``app.py`` needs of a view module."""

    @property
    def TITLE(self) -> str:
        """The tab's label."""
        ...

    def show(self, showing: Showing) -> None:
        """Draw the view of the run on show."""
        ...

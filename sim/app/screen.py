"""What every part of the page uses to put text and tables on screen: Markdown shown
literally, errors and warnings as the CLI prints them, and tables tall enough not to scroll."""

from __future__ import annotations

import streamlit as st

from sim.scenario.format import Scenario

#: Characters that Markdown (and Streamlit's LaTeX) would otherwise interpret.
MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>#|~$"})


def literal(text: str) -> str:
    """Text shown as it is in Markdown (a file name with ``*`` or ``_``, say)."""
    return text.translate(MARKDOWN)


def show_error(message: str) -> None:
    """An error as the CLI prints it: one line per problem, shown literally."""
    st.error("  \n".join(literal(line) for line in message.splitlines()))


def show_warnings(lines: list[str]) -> None:
    """Warnings as the CLI prints them to stderr (one line each, shown literally), if any."""
    if lines:
        st.warning("  \n".join(literal(line) for line in lines), icon=":material/warning:")


#: Most characters of an unexpected error's message shown (the rest is cut).
MAX_MESSAGE = 300


def failure_line(where: str, exc: BaseException) -> str:
    """An unexpected failure as one line: where, the error's type and its message, line
    breaks and runs of spaces folded, cut at :data:`MAX_MESSAGE` characters (no traceback:
    it would show the server's paths and help nobody at the page)."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    head = " ".join(f"{where}: {type(exc).__name__}".split())
    return f"{head}: {text}" if text else head


def show_run_error(scenario: Scenario, exc: Exception, where: str = "") -> None:
    """A failure while running or drawing, in one line (as the CLI reports it)."""
    what = f"{where} failed" if where else "run failed"
    show_error(failure_line(f"{scenario.name}: {what}", exc))


def table_height(rows: int) -> int:
    """Pixels that show a table of ``rows`` rows without scrolling."""
    return 35 * (rows + 1) + 3

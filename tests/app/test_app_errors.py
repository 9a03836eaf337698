"""The app never shows a traceback: whatever fails (an upload the reader cannot survive, a
file that cannot be read, a part of the page) is the app's one-line message, the server's
config hides error details, and the page goes on."""

from __future__ import annotations

import tomllib

import pytest

import sim.app.page
import sim.app.session
from sim.app.headline import HEADLINES
from sim.app.screen import MAX_MESSAGE, failure_line
from tests.app.test_app import _fresh_caches, errors, key, problems, stale, start, upload
from tests.paths import ROOT

__all__ = ["_fresh_caches"]  # the app tests' fixture: no cached runs between tests

DEEP = {
    "arrays": b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "inline tables": b"a = " + b"{b = " * 5_000 + b"1" + b"}" * 5_000 + b"\n",
}


def test_the_server_shows_no_error_details() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_failure_line_is_one_short_line() -> None:
    line = failure_line("bad\n.toml (upload): cannot be read", ValueError("a\nb  " + "x" * 1000))
    assert "\n" not in line
    assert line.startswith("bad .toml (upload): cannot be read: ValueError: a b xxx")
    assert len(line) < MAX_MESSAGE + 80 and line.endswith("…")
    assert failure_line("x", RecursionError()) == "x: RecursionError"


@pytest.mark.parametrize("case", list(DEEP))
def test_a_deeply_nested_upload_is_one_line(case: str) -> None:
    at = start(reps=20)
    upload(at, "deep.toml", DEEP[case])
    assert not at.exception
    (message,) = errors(at)
    assert message.startswith("deep.toml (upload): ") and "\n" not in message
    assert at.session_state["original"].name == "baseline"
    assert len(at.metric) == len(HEADLINES)


def test_any_error_reading_an_upload_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only the reader's own errors: anything raised reading an upload."""
    at = start(reps=20)

    def crash(name: str, data: bytes) -> None:
        raise RecursionError("maximum recursion depth exceeded\nwhile calling a Python object")

    monkeypatch.setattr(sim.app.session, "read_upload", crash)
    upload(at, "odd.toml", b"name = 'x'\n")
    assert not at.exception
    assert errors(at) == [
        "odd.toml (upload): cannot be read: RecursionError: maximum recursion depth exceeded "
        "while calling a Python object"
    ]
    assert at.number_input(key=key(at, "replications")).value == 20, "the settings are kept"
    assert len(at.metric) == len(HEADLINES)


def test_any_error_loading_a_library_file_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(reps=20)

    def crash(path: object) -> None:
        raise MemoryError("out of memory")

    monkeypatch.setattr(sim.app.session, "load_scenario", crash)
    at.selectbox(key="file_choice").set_value("board_ccg_like.toml").run()
    assert not at.exception
    (message,) = errors(at)
    assert message.endswith("board_ccg_like.toml: cannot be read: MemoryError: out of memory")
    assert at.session_state["original"].name == "baseline"


def test_an_error_drawing_the_page_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure in the page above the views (here the hand-off file) is one line too."""
    at = start(reps=20)

    def crash(*args: object) -> str:
        raise KeyError("fields")

    monkeypatch.setattr(sim.app.page, "scenario_toml", crash)
    at.number_input(key=key(at, "replications")).set_value(21).run()
    assert not at.exception
    # As every failure of the settings' run: one line at the top, the last results kept.
    lines, beside = problems(at)
    assert lines == ["baseline_edited: the run failed: KeyError: 'fields'"] and not beside
    assert not any("marked in red" in e for e in errors(at)), "no control is marked"
    assert stale(at) and len(at.metric) == len(HEADLINES)

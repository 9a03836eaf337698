"""The board pack in the app (headless, AppTest): the "Summary and downloads" view's
question box and button, with and without a pinned A, and its summary table in plain words.
The pack's own contents are tested in tests/io/test_board_pack.py (AppTest cannot read a
download's bytes)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sim import load_scenario
from tests.paths import ROOT, SCENARIOS

APP = ROOT / "app.py"
PACK = "Board pack (HTML, print to PDF)"


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached runs between tests; the app starts on the baseline (see test_app.py)."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "argv", ["app.py"])
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["view"] = "Summary and downloads"
    at.run()
    assert not at.exception
    name = f"replications.{at.session_state['gen']}"
    at.number_input(key=name).set_value(20).run()
    assert at.number_input(key=name).value == 20 and not at.exception
    return at


def labels(at: AppTest) -> list[str]:
    return [e.proto.label for e in at.get("download_button")]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_summary_view_offers_the_board_pack_with_its_question() -> None:
    at = start()
    assert PACK in labels(at)
    box = at.text_area(key="pack_question")
    assert box.value == load_scenario(SCENARIOS / "baseline.toml").description
    box.set_value("Does a 13% minimum share stop the drift?").run()
    assert not at.exception and at.text_area(key="pack_question").value.startswith("Does")
    assert any("Pin settings as A" in c for c in captions(at))
    # The summary table in words: labels, units and numbers as the rest of the app shows them.
    table = at.dataframe[0].value
    assert list(table.columns)[:4] == ["Measure", "For", "Unit", "Average"]
    shown = " ".join(map(str, table.columns)) + " " + " ".join(table.astype(str).values.ravel())
    assert not re.search(r"[a-z]_[a-z]|\bfraction\b", shown)
    assert table.iloc[0]["Measure"] == "Primary-care share of budgets"


def test_board_pack_with_a_pinned_says_it_compares() -> None:
    at = start()
    at.session_state["pinned"] = at.session_state["current"]
    at.run()
    assert not at.exception
    assert PACK in labels(at)
    assert any("B against the pinned A" in c for c in captions(at))

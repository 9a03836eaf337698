"""The controls' ranges come from the scenario format's own bounds (sim.app.bounds)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
import streamlit as st
from pydantic import BaseModel
from streamlit.testing.v1 import AppTest

from sim.app.bounds import bounds, float_bounds, int_bounds
from sim.app.controls import SEATS_SHOWN, seat_range, spill_range
from sim.scenario.finance import Recovery, SpillOver
from sim.scenario.format import (
    MAX_MEMBERS,
    Allocation,
    Board,
    Place,
    Pressure,
    RingFence,
    Scenario,
)
from sim.scenario.plausibility import MAX_AE_PER_APPOINTMENT
from tests.paths import ROOT


def test_bounds_of_known_fields() -> None:
    # Field(ge=, le=) on the field itself, whole numbers.
    assert int_bounds(Scenario, "horizon_years") == (1, 50)
    assert int_bounds(Scenario, "replications") == (1, 10_000_000)
    # The format's own Between annotation (Fraction and others).
    assert bounds(Board, "quorum") == (0.0, 1.0)
    assert bounds(Allocation, "growth_rate") == (-0.5, 0.5)
    assert bounds(Pressure, "intensity") == (0.0, 10.0)
    assert int_bounds(Recovery, "from_month") == (1, 12)
    assert bounds(SpillOver, "ae_per_appointment") == (0.0, 1.0)
    # Inside an optional or a union (a number, "overall" or None).
    assert bounds(RingFence, "min_share") == (0.0, 1.0)
    assert bounds(RingFence, "growth") == (-0.5, 0.5)
    # On the values of a table: seats per constituency.
    assert int_bounds(Board, "seats") == (0, MAX_MEMBERS)


def test_exclusive_bounds() -> None:
    # A whole number's exclusive bound is the inclusive one next to it ...
    assert int_bounds(Scenario, "seed") == (0, 2**63 - 1)
    assert int_bounds(Place, "population") == (1, 100_000_000)
    # ... a real number's is returned as it is.
    assert bounds(Allocation, "initial_gbp_m") == (0, 10_000_000)


def test_a_field_without_bounds_is_refused() -> None:
    for model, name in ((Board, "rule"), (Scenario, "description"), (Board, "members")):
        with pytest.raises(LookupError):
            bounds(model, name)
    assert float_bounds(Board, "quorum") == (0.0, 1.0)
    assert all(isinstance(x, float) for x in float_bounds(Pressure, "intensity"))


def test_seat_sliders_are_narrower_than_the_format_and_clipped_to_it() -> None:
    _, most = int_bounds(Board, "seats")
    assert seat_range("trust", 3) == (0, SEATS_SHOWN)
    assert seat_range("trust", 20) == (0, 20)
    assert seat_range("trust", most + 5) == (0, most)
    assert seat_range("chair", 1) == (0, 1)


def test_the_ae_slider_shows_the_documented_range_or_the_files_value() -> None:
    # The studies support 0 to 0.1 extra A&E visits per unmet appointment (the limit above
    # which the plausibility check warns); the format allows up to 1.
    low, high = bounds(SpillOver, "ae_per_appointment")
    assert MAX_AE_PER_APPOINTMENT == 0.1 < high
    assert spill_range(0.033) == (low, MAX_AE_PER_APPOINTMENT)
    assert spill_range(0.0) == (low, MAX_AE_PER_APPOINTMENT)
    assert spill_range(0.25) == (low, 0.25)  # a file beyond it: the slider reaches it
    assert spill_range(5.0) == (low, high)  # never beyond the format's bound


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app on the baseline (see tests/app/test_app.py for why ``__main__`` is restored)."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "argv", ["app.py"])
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["view"] = "Summary and downloads"
    yield at.run()
    st.cache_data.clear()
    st.cache_resource.clear()


# (widget kind, control, model, field)
SCHEMA_RANGES: list[tuple[str, str, type[BaseModel], str]] = [
    ("slider", "quorum", Board, "quorum"),
    ("slider", "fence0_level", RingFence, "growth"),
    ("slider", "fence2_level", RingFence, "min_share"),
    ("slider", "growth_rate", Allocation, "growth_rate"),
    ("slider", "intensity", Pressure, "intensity"),
    ("slider", "shock_frequency", Pressure, "shock_frequency"),
    ("slider", "horizon_years", Scenario, "horizon_years"),
]


def test_the_apps_controls_use_the_format_bounds(app: AppTest) -> None:
    assert not app.exception
    gen = app.session_state["gen"]
    for kind, name, model, field in SCHEMA_RANGES:
        widget = getattr(app, kind)(key=f"{name}.{gen}")
        assert (widget.min, widget.max) == bounds(model, field), name
    # The replications box is the exception, on purpose: it takes any whole number, so that
    # a value out of the format's range is reported beside it in words by the validator, as
    # every other invalid value is, rather than refused with Streamlit's small icon.
    reps = app.number_input(key=f"replications.{gen}")
    assert (reps.min, reps.max) == (None, None)
    seats = app.slider(key=f"seats_primary_care.{gen}")
    assert (seats.min, seats.max) == (0, SEATS_SHOWN)
    ae = app.slider(key=f"ae_per_appointment.{gen}")
    assert (ae.min, ae.max) == spill_range(ae.value) == (0.0, MAX_AE_PER_APPOINTMENT)

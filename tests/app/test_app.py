"""The Streamlit app, headless (streamlit.testing.v1.AppTest): every control, the views,
file choice, reset, pin and compare, and the error paths (one line, never a traceback)."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import streamlit as st
import tomli_w
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from sim import load_scenario, run
from sim.analysis.summary import summarise
from sim.app.controller import settings_of, voting_seats
from sim.app.handoff import read_upload, scenario_toml
from sim.app.headline import HEADLINES
from sim.app.page import CANNOT_RUN, STALE
from sim.cli import main as cli_main
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.store.writer import measures_table, scenario_document
from sim.units import display
from tests.paths import ROOT, SCENARIOS

APP = ROOT / "app.py"
LIBRARY = SCENARIOS


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached runs between tests; the app starts on the baseline (no file argument).

    AppTest runs the script as ``__main__`` and leaves it in ``sys.modules``: restore the
    real one, or later tests' worker processes (forkserver, spawn) would import app.py.
    """
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "argv", ["app.py"])
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def start(reps: int | None = None, view: str = "Summary and downloads") -> AppTest:
    """The app on the baseline, showing ``view`` (the charts are tested once, on their own).

    ``reps`` sets the replications control first, to keep runs quick where it matters.
    """
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["view"] = view
    at.run()
    assert not at.exception
    if reps is not None:
        at.number_input(key=key(at, "replications")).set_value(reps).run()
        assert at.number_input(key=key(at, "replications")).value == reps
    return at


def key(at: AppTest, name: str) -> str:
    """A control's widget key (the app starts a new generation of keys at each reset)."""
    return f"{name}.{at.session_state['gen']}"


def current(at: AppTest) -> Scenario:
    scenario: Scenario = at.session_state["current"]
    return scenario


def metric(at: AppTest, label: str) -> Any:
    found = [m for m in at.metric if m.label.startswith(label)]
    assert found, [m.label for m in at.metric]
    return found[0]


def errors(at: AppTest) -> list[str]:
    """Error boxes as plain text (the app escapes Markdown and breaks lines)."""
    return [re.sub(r"\\(.)", r"\1", e.value).replace("  \n", "\n") for e in at.error]


def problems(at: AppTest) -> tuple[list[str], list[str]]:
    """The errors' summary at the top of the page (its lines, without its heading and the
    stale note) and the messages beside the controls."""
    shown = errors(at)
    top = [e for e in shown if e.startswith(CANNOT_RUN)]
    lines = [line for e in top for line in e.replace("**", "").splitlines()[1:] if line != STALE]
    return lines, [e for e in shown if not e.startswith(CANNOT_RUN)]


def stale(at: AppTest) -> bool:
    """Whether the page says that its results are from the last valid settings."""
    return any(STALE in e.replace("**", "") for e in errors(at))


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def sector_table(at: AppTest) -> dict[str, list[str]]:
    """The headline's table of per-sector measures, column by column."""
    (table,) = at.table
    frame = table.value
    return {str(c): [str(x) for x in frame[c]] for c in frame.columns}


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, errors(at)


def test_starts_on_the_baseline_with_every_control_at_the_file_value(baseline: Scenario) -> None:
    at = start()
    ok(at)
    s = settings_of(baseline)
    assert at.selectbox(key="file_choice").value == "baseline.toml"
    for c, n in s.seats.items():
        assert at.slider(key=key(at, f"seats_{c}")).value == n
    assert at.selectbox(key=key(at, "rule")).value == s.rule
    assert at.slider(key=key(at, "quorum")).value == s.quorum
    assert at.toggle(key=key(at, "casting_vote")).value is s.casting_vote
    assert [at.toggle(key=key(at, f"fence{i}_on")).value for i in range(4)] == [
        True,
        True,
        False,
        False,
    ]
    assert at.checkbox(key=key(at, "fence0_overall")).value is True
    assert at.slider(key=key(at, "fence2_level")).value == 0.13
    assert at.selectbox(key=key(at, "fence2_until")).value == "no expiry"
    assert at.slider(key=key(at, "intensity")).value == 1.0
    assert at.slider(key=key(at, "shock_frequency")).value == 1.0
    assert at.slider(key=key(at, "ae_per_appointment")).value == 0.033
    assert at.slider(key=key(at, "growth_rate")).value == 0.03
    assert at.slider(key=key(at, "horizon_years")).value == 5
    assert at.number_input(key=key(at, "replications")).value == 200
    assert at.text_input(key=key(at, "seed")).value == "20250401"
    assert current(at) == baseline
    # The headline numbers are the run's (the CLI's numbers for the baseline).
    rows = summarise(run(baseline))
    share = [r for r in rows if r.measure == "primary_care_share"][-1]
    deficit = next(r for r in rows if r.measure == "system_deficit")
    # Written as everywhere else (sim.units.display): "10.61%", "£261.0m"; the yearly
    # measures are the final year's, as their caption says.
    assert share.detail == "2029/30"
    assert "In 2029/30, the final year" in captions(at)
    assert metric(at, "Primary-care share of budgets").value == display.value(
        share.mean, "fraction"
    )
    assert re.fullmatch(r"\d+\.\d\d%", metric(at, "Primary-care share").value)
    assert metric(at, "System deficit").value == display.value(deficit.mean, "£m")
    assert re.fullmatch(r"-?£[\d,]+\.\dm", metric(at, "System deficit").value)
    assert all(not m.delta for m in at.metric)
    assert "These are the file's own results: change a control to see its effect." in captions(at)


# (widget kind, control, new value, what it must change in the scenario)
CONTROLS: list[tuple[str, str, Any, Any]] = [
    ("slider", "seats_primary_care", 3, lambda sc: sc.board.seats == {"primary_care": 2}),
    ("slider", "seats_executive", 2, lambda sc: len(sc.board.members) == 10),
    ("slider", "seats_place", 1, lambda sc: sc.board.seats == {"place": 1}),
    ("selectbox", "rule", "two_thirds", lambda sc: sc.board.rule == "two_thirds"),
    ("slider", "quorum", 0.75, lambda sc: sc.board.quorum == 0.75),
    ("toggle", "casting_vote", False, lambda sc: sc.board.casting_vote is False),
    ("toggle", "fence1_on", False, lambda sc: len(sc.ring_fences) == 1),
    ("toggle", "fence2_on", True, lambda sc: sc.ring_fences[2].min_share == 0.13),
    ("toggle", "fence3_on", True, lambda sc: sc.ring_fences[2].rule == "no_transfers_out"),
    ("selectbox", "fence0_until", "2028-03", lambda sc: sc.ring_fences[0].until == "2028-03"),
    ("slider", "intensity", 2.0, lambda sc: sc.pressure.intensity == 2.0),
    ("slider", "shock_frequency", 3.5, lambda sc: sc.pressure.shock_frequency == 3.5),
    ("slider", "ae_per_appointment", 0.06, lambda sc: sc.spill_over.ae_per_appointment == 0.06),
    ("slider", "growth_rate", 0.05, lambda sc: sc.allocation.growth_rate == 0.05),
    ("slider", "horizon_years", 3, lambda sc: sc.horizon_years == 3),
    ("number_input", "replications", 30, lambda sc: sc.replications == 30),
    ("text_input", "seed", "42", lambda sc: sc.seed == 42),
]


def test_each_control_changes_its_field() -> None:
    at = start()
    for kind, name, value, check in CONTROLS:
        at.button(key="reset").click().run()
        getattr(at, kind)(key=key(at, name)).set_value(value).run()
        ok(at)
        assert getattr(at, kind)(key=key(at, name)).value == value, name
        sc = current(at)
        assert check(sc), (name, scenario_document(sc))
        assert sc.name == "baseline_edited", name
        # The change is listed, and the headline is for the new scenario.
        assert any(e.label.startswith("What you changed from the file (") for e in at.expander)
        final = "2027/28" if name == "horizon_years" else "2029/30"
        assert f"In {final}, the final year" in captions(at), name
    # The headline numbers are those of the scenario the controls describe.
    share = [r for r in summarise(run(current(at))) if r.measure == "primary_care_share"][-1]
    assert metric(at, "Primary-care share").value == display.value(share.mean, "fraction")


def test_minimum_growth_level_when_not_overall() -> None:
    at = start()
    level = at.slider(key=key(at, "fence0_level"))
    assert level.disabled  # "overall" is ticked
    at.checkbox(key=key(at, "fence0_overall")).uncheck().run()
    assert not at.slider(key=key(at, "fence0_level")).disabled
    at.slider(key=key(at, "fence0_level")).set_value(0.06).run()
    ok(at)
    assert at.slider(key=key(at, "fence0_level")).value == 0.06
    assert current(at).ring_fences[0].growth == 0.06


def test_ring_fence_level_and_the_headline_moves_the_right_way() -> None:
    at = start()
    share = float(metric(at, "Primary-care share").value.rstrip("%"))
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    at.slider(key=key(at, "fence2_level")).set_value(0.14).run()
    ok(at)
    assert current(at).ring_fences[2].min_share == 0.14
    m = metric(at, "Primary-care share")
    assert float(m.value.rstrip("%")) > share
    assert m.delta.startswith("+") and m.delta.endswith("pts")


def test_out_of_range_values_are_refused() -> None:
    at = start()
    # Beyond a widget's range (a browser cannot send that): never an exception, the widget
    # stays in range, and the scenario follows the widget.
    at.slider(key=key(at, "seats_primary_care")).set_value(40).run()
    ok(at)
    seats = at.slider(key=key(at, "seats_primary_care")).value
    assert 0 <= seats <= 12
    assert voting_seats(current(at))["primary_care"] == seats
    shown = metric(at, "Primary-care share").value
    # Every invalid value is reported the same way: beside its control and at the top, in
    # words (the control's label, never the field), with the last good results kept on
    # screen, marked as stale.
    at.number_input(key=key(at, "replications")).set_value(0).run()
    assert not at.exception
    assert problems(at) == (["Simulated futures: must be >= 1, got 0"], ["must be >= 1, got 0"])
    assert stale(at) and metric(at, "Primary-care share").value == shown
    at.number_input(key=key(at, "replications")).set_value(200).run()
    ok(at)
    for typed, message in (
        ("-1", "must be >= 0, got -1"),
        ("1.5", "must be a whole number, got '1.5'"),
        ("9223372036854775808", "must be < 9223372036854775808, got 9223372036854775808"),
    ):
        at.text_input(key=key(at, "seed")).set_value(typed).run()
        assert not at.exception
        assert problems(at) == ([f"Random seed: {message}"], [message]), errors(at)
        assert stale(at) and len(at.metric) == len(HEADLINES)
    at.text_input(key=key(at, "seed")).set_value("7").run()
    ok(at)
    # Too big for the app: the same, pointing to the CLI.
    at.number_input(key=key(at, "replications")).set_value(1_000_000).run()
    assert not at.exception
    (top,), (beside,) = problems(at)
    assert top == f"Simulated futures: {beside}"
    assert beside.startswith("1,000,000 replications of 5 years are too many for the app")
    assert beside.endswith("run bigger batches with python -m sim run")
    assert stale(at) and len(at.metric) == len(HEADLINES)


def test_infeasible_ring_fences_show_the_consistency_error() -> None:
    at = start()
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    at.checkbox(key=key(at, "fence0_overall")).uncheck().run()
    at.slider(key=key(at, "fence0_level")).set_value(0.2).run()
    ok(at)
    at.slider(key=key(at, "horizon_years")).set_value(20).run()
    assert not at.exception
    reason = (
        "rules 'Mental Health Investment Standard', 'Primary care minimum share' cannot all "
        "hold in 2037/38 (their minimum budgets exceed the money available)"
    )
    assert problems(at) == ([f"Ring-fences: {reason}"], [reason])
    assert stale(at)
    # An expiry outside the horizon: beside that rule's own box.
    at.slider(key=key(at, "horizon_years")).set_value(2).run()
    at.selectbox(key=key(at, "fence1_until")).set_value("2029-03").run()
    assert not at.exception
    reason = "2029-03 is outside the horizon (2025-04 to 2027-03)"
    assert problems(at) == ([f"MHIS in-year protection: {reason}"], [reason])


def test_a_board_with_no_voters_is_refused() -> None:
    at = start()
    for c in ("chair", "executive", "non_executive", "trust", "primary_care"):
        at.slider(key=key(at, f"seats_{c}")).set_value(0).run()
    for c in ("local_authority", "mental_health"):
        at.slider(key=key(at, f"seats_{c}")).set_value(0).run()
    assert not at.exception
    assert problems(at) == (
        ["Board seats: at least one member must vote"],
        ["at least one member must vote"],
    )


def test_reset_to_file() -> None:
    at = start()
    at.slider(key=key(at, "seats_primary_care")).set_value(5).run()
    at.selectbox(key=key(at, "rule")).set_value("unanimity").run()
    at.toggle(key=key(at, "fence3_on")).set_value(True).run()
    assert current(at).name == "baseline_edited"
    at.button(key="reset").click().run()
    ok(at)
    assert at.slider(key=key(at, "seats_primary_care")).value == 1
    assert at.selectbox(key=key(at, "rule")).value == "consensus_then_majority"
    assert at.toggle(key=key(at, "fence3_on")).value is False
    assert at.number_input(key=key(at, "replications")).value == 200  # the file's, too
    assert current(at) == load_scenario(LIBRARY / "baseline.toml")


def test_choose_another_file_resets_the_controls_to_it() -> None:
    at = start()
    at.slider(key=key(at, "intensity")).set_value(3.0).run()
    at.selectbox(key="file_choice").set_value("board_ccg_like.toml").run()
    ok(at)
    ccg = load_scenario(LIBRARY / "board_ccg_like.toml")
    assert at.session_state["original"] == ccg
    assert current(at) == ccg
    assert at.slider(key=key(at, "seats_primary_care")).value == 6
    assert at.slider(key=key(at, "intensity")).value == 1.0
    # Seats of a counted board.
    at.slider(key=key(at, "seats_primary_care")).set_value(2).run()
    ok(at)
    assert current(at).board.seats["primary_care"] == 2
    # A file with its own primary-care ring-fences offers no extra ones.
    at.selectbox(key="file_choice").set_value("primary_care_ringfence.toml").run()
    ok(at)
    names = [t.label for t in at.sidebar.toggle if t.label != "Chair has a casting vote"]
    assert names == [
        rf.name for rf in load_scenario(LIBRARY / "primary_care_ringfence.toml").ring_fences
    ]


def test_every_library_file_loads() -> None:
    at = start()
    for path in sorted(LIBRARY.glob("*.toml")):
        at.selectbox(key="file_choice").set_value(path.name).run()
        ok(at)
        assert at.session_state["original"] == load_scenario(path), path.name
        assert current(at) == at.session_state["original"], path.name
        assert len(at.metric) == len(HEADLINES), path.name
        assert sector_table(at)["Sector"] == [s.name for s in current(at).sectors], path.name


def test_file_named_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # make app runs: python -m streamlit run app.py -- scenarios/baseline.toml
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["app.py", "scenarios/no_spillover.toml"])
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    ok(at)
    assert at.session_state["original"].name == "no_spillover"
    assert at.selectbox(key="file_choice").value == "no_spillover.toml"
    assert at.slider(key=key(at, "ae_per_appointment")).value == 0.0


def test_missing_command_line_file_shows_the_cli_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setattr(sys, "argv", ["app.py", str(missing)])
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    with pytest.raises(ScenarioError) as err:
        load_scenario(missing)
    assert errors(at) == [str(err.value)]
    assert not at.metric
    # The library is still there to choose from.
    assert at.selectbox(key="file_choice").value == str(missing)
    at.selectbox(key="file_choice").set_value("baseline.toml").run()
    ok(at)
    assert at.metric


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, "application/toml")).run()
    return at


BAD_UPLOADS = {
    "not TOML": b"name = [",
    "not UTF-8": b"\xff\xfe\x00",
    "extends": b'extends = "baseline.toml"\n',
    "schema": b"[board]\nquorum = 1.5\n",
    "sweep": b'[sweep]\n"board.rule" = ["unanimity"]\n',
}


def test_bad_uploads_show_the_one_line_error() -> None:
    at = start(reps=20)
    for case, data in BAD_UPLOADS.items():
        upload(at, "bad.toml", data)
        assert not at.exception, case
        with pytest.raises(ScenarioError) as err:
            read_upload("bad.toml", data)
        assert errors(at) == [str(err.value)], case
        assert all(line.startswith("bad.toml (upload): ") for line in errors(at)[0].splitlines())
        # The scenario and the settings are kept.
        assert at.session_state["original"].name == "baseline", case
        assert at.number_input(key=key(at, "replications")).value == 20, case
        assert len(at.metric) == len(HEADLINES), case


def test_bad_upload_matches_the_cli_message(tmp_path: Path) -> None:
    data = b"[board]\nquorum = 1.5\n"
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    at = upload(start(), "bad.toml", data)
    shown = errors(at)[0].splitlines()
    cli = err.value.lines()
    assert [s.split(": ", 1)[1] for s in shown] == [c.split(": ", 1)[1] for c in cli]


def test_upload_the_handed_off_file_round_trips(baseline: Scenario) -> None:
    at = start()
    at.slider(key=key(at, "seats_primary_care")).set_value(2).run()
    at.toggle(key=key(at, "fence2_on")).set_value(True).run()
    ok(at)
    app_scenario = current(at)
    shown = metric(at, "Primary-care share").value
    text = scenario_toml(app_scenario, at.session_state["original"], at.session_state["source"])
    upload(at, "handed.toml", text.encode())
    ok(at)
    assert at.session_state["source"] == "handed.toml (upload)"
    assert at.session_state["original"] == app_scenario
    assert current(at) == app_scenario
    assert metric(at, "Primary-care share").value == shown
    assert "These are the file's own results: change a control to see its effect." in captions(at)
    assert at.slider(key=key(at, "seats_primary_care")).value == 2
    assert at.toggle(key=key(at, "fence2_on")).value is True


def test_downloaded_scenario_gives_the_apps_results(tmp_path: Path) -> None:
    at = start()
    at.slider(key=key(at, "seats_trust")).set_value(4).run()
    at.slider(key=key(at, "ae_per_appointment")).set_value(0.05).run()
    ok(at)
    app_scenario = current(at)
    labels = [b.label for b in at.sidebar.get("download_button")]
    assert "Download scenario (TOML)" in labels
    path = tmp_path / f"{app_scenario.name}.toml"
    path.write_text(
        scenario_toml(app_scenario, at.session_state["original"], at.session_state["source"])
    )
    loaded = load_scenario(path)
    assert loaded == app_scenario
    assert measures_table(run(loaded)).equals(measures_table(run(app_scenario)))
    rows = summarise(run(loaded))
    for label, measure in (
        ("Money moved out of primary", "moved_primary_to_secondary"),
        ("Spill-over cost", "spill_over_cost"),
        ("System deficit", "system_deficit"),
    ):
        row = next(r for r in rows if r.measure == measure)
        assert metric(at, label).value == display.value(row.mean, "£m")


def view(at: AppTest, name: str) -> AppTest:
    at.session_state["view"] = name
    return at.run()


def test_every_view_renders() -> None:
    at = start()
    for name in (
        "Where the money goes",
        "Primary to hospital care",
        "Deficits",
        "Board power",
        "Decision log",
        "Compare A and B",
        "Summary and downloads",
    ):
        view(at, name)
        ok(at)
        assert at.get("vega_lite_chart") or at.dataframe or at.info, name
    downloads = sorted(b.label for b in at.get("download_button"))
    assert downloads == sorted(
        [
            "Download scenario (TOML)",
            "Summary (CSV)",
            "Time series (Parquet)",
            "All output files (zip)",
            "Report (HTML)",
            "Board pack (HTML, print to PDF)",
        ]
    )


def test_deficit_limit() -> None:
    at = start(view="Deficits")
    at.number_input(key="deficit_limit").set_value(100.0).run()
    ok(at)
    assert at.number_input(key="deficit_limit").value == 100.0
    chance = metric(at, "Chance of a deficit above £100m").value
    assert re.fullmatch(r"\d+%", chance)


def test_board_power_by_member_and_bloc(baseline: Scenario) -> None:
    at = start(view="Board power")
    ok(at)
    members = at.dataframe[0].value
    assert list(members["member"]) == [m.name for m in baseline.board.all_members()]
    assert abs(float(members["Shapley-Shubik"].sum()) - 1.0) < 1e-9
    assert float(members["Shapley-Shubik"][0]) == pytest.approx(1 / 6)  # the casting vote
    at.toggle(key=key(at, "casting_vote")).set_value(False).run()
    members = at.dataframe[0].value
    assert float(members["Shapley-Shubik"][0]) == pytest.approx(1 / 12)


def test_decision_log_filters_and_explains() -> None:
    at = start(reps=20, view="Decision log")
    ok(at)
    log = at.dataframe[0].value
    assert len(log) > 0 and (log["moved £m"] > 0).all()
    assert all(w.startswith("Replication 0, meeting") for w in log["why"])
    at.toggle(key="log_moved").set_value(False).run()
    everything = at.dataframe[0].value
    assert len(everything) >= len(log)
    # Replication 7 of the baseline has an extraordinary meeting (7, 8, 12, 16, 17 and 19 do).
    at.number_input(key="log_replication").set_value(7).run()
    ok(at)
    assert all(w.startswith("Replication 7, meeting") for w in at.dataframe[0].value["why"])
    at.text_input(key="log_text").set_value("extraordinary").run()
    ok(at)
    filtered = at.dataframe[0].value
    assert all("extraordinary" in w for w in filtered["why"])
    meeting = int(filtered["meeting"].iloc[0])
    at.selectbox(key="log_meeting").set_value(meeting).run()
    assert at.code[-1].value.startswith(f"Replication 7, meeting {meeting}: extraordinary meeting")
    at.text_input(key="log_text").set_value("no such words").run()
    ok(at)
    assert any("No meeting matches" in i.value for i in at.info)


def paired(at: AppTest) -> Any:
    """The compare view's table of every measure, B against A."""
    found = [t.value for t in at.table if "Which is better" in t.value.columns]
    assert found, [list(t.value.columns) for t in at.table]
    return found[0]


def markdown(at: AppTest) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


ZERO = r"^[+-](0\.00 pts|£0\.0m|0\.0)( \(|$)"


def test_pin_a_and_compare_b_paired() -> None:
    at = start(reps=20, view="Compare A and B")
    assert any("Nothing pinned" in i.value for i in at.info)
    at.button(key="pin").click().run()
    ok(at)
    assert any("B is the same as A" in w.value for w in at.warning)
    table = paired(at)
    assert table["B − A (95% CI)"].str.match(ZERO).all()
    at.toggle(key=key(at, "fence3_on")).set_value(True).run()
    ok(at)
    # The answer first, in a sentence, then how B differs from A, in words.
    shown = markdown(at)
    (answer,) = [m for m in shown if m.startswith("**The answer.** Against A, B is better on")]
    assert "primary-care share of budgets" in answer and "system deficit" in answer
    assert any(
        "- Ring-fence Primary care in-year protection: none → no money moved out in-year, "
        "with no expiry" in m
        for m in shown
    )
    table = paired(at)
    assert not table["Measure"].str.contains("_").any(), "no code names"
    moved = table[table["Measure"] == "Money moved out of primary care"].iloc[0]
    # Less money moved out of primary care is better (the registry's direction).
    assert moved["B − A (95% CI)"].startswith("-£") and moved["Which is better"] == "B better"
    assert moved["B higher in"] == "0% of futures"  # less is moved out in every replication
    share = table[table["Measure"] == "Primary-care share of budgets, 2029/30"].iloc[0]
    assert share["B − A (95% CI)"].startswith("+") and share["Which is better"] == "B better"
    # Higher in most replications, and on average beyond doubt (both ends of the paired CI
    # above zero); in a few, next year's plan (from the run rate) shifts it a hair either way.
    assert int(share["B higher in"].split("%")[0]) >= 80
    low, high = share["B − A (95% CI)"].split(" (")[1].rstrip(")").split(" to ")
    assert low.startswith("+") and high.startswith("+") and low != "+0.00 pts"
    assert any("Means over 20 paired futures" in c for c in captions(at))
    # Where the cut went: every capped sector, in words.
    (displaced,) = [t.value for t in at.table if "Need left unmet, B − A" in t.value.columns]
    capped = [s.name for s in current(at).sectors if s.spending == "capped"]
    assert sorted(displaced["Sector"]) == sorted(capped)
    # The chart's legend names A and B by what differs.
    spec = at.get("vega_lite_chart")[-1].proto.spec
    assert "A: Primary care in-year protection off" in spec
    assert "B: Primary care in-year protection on" in spec
    # Different replications: A is rerun with B's so that they pair.
    at.number_input(key=key(at, "replications")).set_value(25).run()
    ok(at)
    assert any(
        "A is run with B's seed (20250401) and number of simulated futures (25)" in c
        for c in captions(at)
    )
    table = paired(at)
    assert len(table) > 0 and any("Means over 25 paired futures" in c for c in captions(at))
    # A as rerun: the pinned scenario with B's replications (its own primary-care share).
    pinned = at.session_state["pinned"]
    a = pinned.model_copy(update={"replications": 25})
    a_share = [r for r in summarise(run(a)) if r.measure == "primary_care_share"][-1]
    a_shown = table[table["Measure"] == "Primary-care share of budgets, 2029/30"].iloc[0]["A"]
    assert a_shown == display.value(a_share.mean, "fraction")
    at.button(key="unpin").click().run()
    assert any("Nothing pinned" in i.value for i in at.info)


def test_compare_with_a_different_seed_reruns_a_with_bs_seed() -> None:
    at = start(reps=20, view="Compare A and B")
    at.button(key="pin").click().run()
    at.text_input(key=key(at, "seed")).set_value("42").run()
    ok(at)
    assert any(
        "A is run with B's seed (42) and number of simulated futures (20)" in c
        for c in captions(at)
    )
    # Only the seed differs, and A is rerun with B's: the same scenario, no difference.
    assert any("B is the same as A" in w.value for w in at.warning)
    table = paired(at)
    assert table["B − A (95% CI)"].str.match(ZERO).all()
    assert (table["A"] == table["B"]).all()
    assert (table["Which is better"] == "no clear change").all()


def test_compare_with_a_different_horizon_pairs_the_common_years() -> None:
    at = start(reps=20, view="Compare A and B")
    at.button(key="pin").click().run()
    for years, common in ((7, 5), (3, 3)):  # B longer than A (drew past A's months), shorter
        at.slider(key=key(at, "horizon_years")).set_value(years).run()
        ok(at)
        assert at.slider(key=key(at, "horizon_years")).value == years
        (warning,) = [w.value for w in at.warning]
        assert warning.startswith(
            f"A covers 5 years from 2025/26 and B {years} years from 2025/26: only the years"
        )
        assert "system deficit" in warning and "money moved out of primary care" in warning
        table = paired(at)
        years = [f"{2025 + y}/{26 + y}" for y in range(common)]
        yearly = [
            "Primary-care share of budgets",
            "Share of spending outside hospitals",
            "Deficit of the year",
            "Underlying deficit",
        ]
        assert list(table["Measure"]) == [f"{m}, {y}" for m in yearly for y in years]
        assert "real growth of spending a year" in warning and "need left unmet" in warning
        # The words say the years compared, those both cover.
        last = f"{2025 + common - 1}/{26 + common - 1}"
        assert any(f"paired futures, 2025/26–{last}" in c for c in captions(at))
        assert at.get("vega_lite_chart")


def test_pinned_a_too_big_to_rerun_is_refused_in_one_line() -> None:
    at = start(reps=20, view="Compare A and B")
    at.button(key="pin").click().run()
    # B: 1 year of 10,000 replications fits; A: 5 years of them does not.
    at.slider(key=key(at, "horizon_years")).set_value(1).run()
    at.number_input(key=key(at, "replications")).set_value(10_000).run()
    assert not at.exception
    assert at.number_input(key=key(at, "replications")).value == 10_000
    (message,) = errors(at)
    assert message.startswith("A cannot be run to pair with B: 10,000 replications of 5 years")
    assert message.endswith("run bigger batches with python -m sim run")
    assert not [t for t in at.table if "Which is better" in t.value.columns]
    assert len(at.metric) == len(HEADLINES)  # B's own results stay


def test_pin_takes_the_settings_changed_in_the_same_rerun() -> None:
    at = start(reps=20, view="Compare A and B")
    at.toggle(key=key(at, "fence3_on")).set_value(True)
    at.button(key="pin").click().run()
    ok(at)
    assert current(at).ring_fences[2].rule == "no_transfers_out"
    assert at.session_state["pinned"] == current(at)
    assert any("B is the same as A" in w.value for w in at.warning)


def test_a_file_too_big_for_the_app_runs_lowered_without_its_own_run() -> None:
    at = start(reps=20)
    doc = scenario_document(load_scenario(LIBRARY / "baseline.toml"))
    doc["replications"] = 1_000_000
    upload(at, "huge.toml", tomli_w.dumps(doc).encode())
    assert not at.exception
    (top,), (beside,) = problems(at)
    assert top == f"Simulated futures: {beside}"
    assert beside.startswith("1,000,000 replications of 5 years are too many for the app")
    assert not at.metric and not stale(at)  # a new file: nothing good to keep on screen
    # Lowered: this run only; the file's own million replications are not run (they would
    # take minutes and 100 GB: AppTest's 30 s timeout fails first), and no change is shown.
    at.number_input(key=key(at, "replications")).set_value(20).run()
    ok(at)
    assert current(at).replications == 20
    (warning,) = [w.value for w in at.warning]
    assert "No change from the file is shown" in warning and "1,000,000" in warning
    assert len(at.metric) == len(HEADLINES) and all(not m.delta for m in at.metric)


def test_headline_compares_the_same_year_after_a_horizon_change() -> None:
    at = start(reps=20)
    original = at.session_state["original"]
    ref = {r.detail: r for r in summarise(run(original)) if r.measure == "primary_care_share"}
    at.slider(key=key(at, "horizon_years")).set_value(3).run()
    ok(at)
    rows = summarise(run(current(at)))
    share = [r for r in rows if r.measure == "primary_care_share"][-1]
    assert share.detail == "2027/28"
    assert "In 2027/28, the final year" in captions(at)
    m = metric(at, "Primary-care share of budgets")
    assert m.value == display.value(share.mean, "fraction")
    change = display.delta(share.mean - ref["2027/28"].mean, "fraction")
    # A change that rounds to nothing says so, with no arrow (never a red "+0.00 pts").
    assert m.delta == ("no change" if change == display.delta(0.0, "fraction") else change)
    assert re.fullmatch(r"[+-]\d+\.\d\d pts|no change", m.delta)
    # Totals over 3 years against the file's 5: flagged, and no change shown.
    assert any("totals over the horizon cover different periods" in c.value for c in at.caption)
    for label in ("Money moved out of primary", "Spill-over cost", "System deficit"):
        assert not metric(at, label).delta, label
    # A year the file does not have: no change shown.
    at.slider(key=key(at, "horizon_years")).set_value(7).run()
    ok(at)
    assert "In 2031/32, the final year" in captions(at)
    assert not metric(at, "Primary-care share of budgets").delta
    # The same horizon: every headline has its change.
    at.slider(key=key(at, "horizon_years")).set_value(5).run()
    at.slider(key=key(at, "ae_per_appointment")).set_value(0.06).run()
    ok(at)
    assert all(m.delta for m in at.metric)


def test_decision_log_with_no_meeting_left_to_filter() -> None:
    # Under the recovery plan (the default) the board approves pauses in-year whatever its
    # voting rule. Under the alternative in-year model, the quota-pivot vote on transfers,
    # unanimity moves nothing: no meeting of replication 0 moves money, so "only meetings
    # that moved money" leaves none, and a text filter then has nothing to search.
    at = start(reps=20, view="Decision log")
    doc = scenario_document(load_scenario(LIBRARY / "baseline.toml"))
    doc["recovery"]["model"] = "board_vote"
    doc["replications"] = 20
    upload(at, "board_vote.toml", tomli_w.dumps(doc).encode())
    ok(at)
    assert at.dataframe, "under a majority rule the vote moves money"
    at.selectbox(key=key(at, "rule")).set_value("unanimity").run()
    ok(at)
    assert any("No meeting matches" in i.value for i in at.info)
    at.text_input(key="log_text").set_value("vote").run()
    ok(at)
    assert any("No meeting matches" in i.value for i in at.info)
    at.toggle(key="log_moved").set_value(False).run()
    ok(at)
    assert len(at.dataframe[0].value) > 0


def test_a_failing_view_is_one_line_and_keeps_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.app.run_cache

    def broken(*args: object) -> str:
        raise RuntimeError("cannot explain")

    # Where the app calls it (the run cache explains each meeting of a replication).
    monkeypatch.setattr(sim.app.run_cache, "explain", broken)
    at = start(reps=20, view="Decision log")
    assert not at.exception
    assert errors(at) == ["baseline_edited: Decision log failed: RuntimeError: cannot explain"]
    assert len(at.metric) == len(HEADLINES)


def test_reset_clears_a_bad_upload_error() -> None:
    at = start(reps=20)
    upload(at, "bad.toml", BAD_UPLOADS["schema"])
    assert errors(at)
    at.slider(key=key(at, "ae_per_appointment")).set_value(0.06).run()
    assert errors(at)  # still there: the upload is still refused
    at.button(key="reset").click().run()
    ok(at)
    upload(at, "bad.toml", BAD_UPLOADS["not TOML"])
    assert errors(at)
    at.selectbox(key="file_choice").set_value("no_spillover.toml").run()
    ok(at)


def download_url(data: bytes, mimetype: str, file_name: str) -> str:
    """The URL Streamlit serves these bytes at (AppTest cannot read a download's bytes)."""
    storage = MemoryMediaFileStorage("/mock/media")
    file_id = storage.load_and_get_id(data, mimetype, MediaFileKind.DOWNLOADABLE, file_name)
    return storage.get_url(file_id)


def test_downloaded_scenario_through_the_cli_gives_the_apps_measures(tmp_path: Path) -> None:
    at = start(reps=30)
    at.slider(key=key(at, "seats_primary_care")).set_value(3).run()
    at.toggle(key=key(at, "fence3_on")).set_value(True)
    at.slider(key=key(at, "ae_per_appointment")).set_value(0.045).run()
    ok(at)
    app_scenario = current(at)
    text: str = at.session_state["scenario_toml"]
    # The download button serves exactly this text, and it is the current scenario's.
    (button,) = [b for b in at.sidebar.get("download_button") if b.proto.label.startswith("Down")]
    assert button.proto.url == download_url(
        text.encode(), "application/toml", f"{app_scenario.name}.toml"
    )
    assert tomllib.loads(text) == scenario_document(app_scenario)
    assert "#   spill_over.ae_per_appointment: 0.033 -> 0.045" in text
    path = tmp_path / f"{app_scenario.name}.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert cli_main(["run", str(path), "--out", str(out), "-q"]) == 0
    from_cli = pq.read_table(out / app_scenario.name / "measures.parquet")
    # The same per-replication measures as the app's run of its scenario, and the same
    # headline numbers as on screen.
    assert from_cli.equals(measures_table(run(app_scenario)))
    assert sorted(set(from_cli["replication"].to_pylist())) == list(range(30))
    summary = (out / app_scenario.name / "summary.csv").read_text().splitlines()
    deficit = next(r for r in summarise(run(app_scenario)) if r.measure == "system_deficit")
    assert metric(at, "System deficit").value == display.value(deficit.mean, "£m")
    assert any(line.startswith("system_deficit,") for line in summary)


def warnings(at: AppTest) -> list[str]:
    """Warning boxes as plain lines (the app escapes Markdown and breaks lines)."""
    return [
        line
        for w in at.warning
        for line in re.sub(r"\\(.)", r"\1", w.value).replace("  \n", "\n").splitlines()
    ]


def test_implausible_settings_warn_as_the_cli_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = start(reps=20)
    assert not at.warning, "the baseline is plausible"
    # The allocation growth slider goes down to the format's -50% a year: below -10% is
    # possible but implausible, so the app warns, and still runs.
    at.slider(key=key(at, "growth_rate")).set_value(-0.15).run()
    ok(at)
    assert at.slider(key=key(at, "growth_rate")).value == -0.15
    reason = (
        "allocation growth of -15% a year has no precedent (settlements have not fallen "
        "below -10%); results compound over 5 years"
    )
    # At the top, in words, and beside the growth slider.
    assert warnings(at) == [
        "These settings run, but look implausible:",
        f"Allocation growth: {reason}",
        reason,
    ]
    assert len(at.metric) == len(HEADLINES)
    assert current(at).allocation.growth_rate == -0.15
    # The CLI gives the same warning for the downloaded file, on stderr, and exits 0.
    path = tmp_path / "falling.toml"
    path.write_text(at.session_state["scenario_toml"])
    capsys.readouterr()
    assert cli_main(["validate", str(path)]) == 0
    cli = capsys.readouterr().err.splitlines()
    assert cli == [f"{path}: warning: allocation.growth_rate: {reason}"]
    # Back to a plausible growth: no warning.
    at.slider(key=key(at, "growth_rate")).set_value(0.02).run()
    ok(at)
    assert not at.warning


def test_a_file_beyond_the_documented_spill_over_range_warns_and_keeps_its_value() -> None:
    at = start(reps=20)
    ae = at.slider(key=key(at, "ae_per_appointment"))
    assert (ae.min, ae.max) == (0.0, 0.1), "the range the studies support"
    doc = scenario_document(load_scenario(LIBRARY / "baseline.toml"))
    doc["spill_over"]["ae_per_appointment"] = 0.25
    doc["replications"] = 20
    upload(at, "steep.toml", tomli_w.dumps(doc).encode())
    ok(at)
    ae = at.slider(key=key(at, "ae_per_appointment"))
    assert (ae.value, ae.max) == (0.25, 0.25), "the slider reaches the file's value"
    assert current(at).spill_over.ae_per_appointment == 0.25
    reason = "0.25 is above the top of the range the studies support (0.1)"
    assert warnings(at) == [
        "These settings run, but look implausible:",
        f"Extra A&E visits: {reason}",
        reason,
    ]
    # The implied hospital cost per pound of unmet need, at the file's unit costs.
    pounds = current(at).spill_over.pounds_per_pound
    assert any(f"£{pounds:.2f}" in c.value for c in at.sidebar.caption)
    at.slider(key=key(at, "ae_per_appointment")).set_value(0.05).run()
    ok(at)
    assert at.slider(key=key(at, "ae_per_appointment")).value == 0.05
    assert not at.warning


def test_the_headline_shows_every_capped_sectors_displacement(baseline: Scenario) -> None:
    at = start()
    ok(at)
    scenario = current(at)
    rows = summarise(run(scenario))
    table = sector_table(at)
    assert table["Sector"] == [s.name for s in scenario.sectors]
    columns = {
        "real_growth": "Real growth of spending a year",
        "moved_out": "Money moved out in-year",
        "unmet_need": "Need left unmet",
    }
    for measure, label in columns.items():
        found = {r.detail: r for r in rows if r.measure == measure}
        for sector, cell in zip(table["Sector"], table[label], strict=True):
            if sector in found:
                assert cell == display.value(found[sector].mean, found[sector].unit), sector
            else:  # demand-led: nothing moved out or left unmet
                assert cell == "—", (measure, sector)
    capped = [s.name for s in scenario.sectors if s.spending == "capped"]
    assert [
        s for s, c in zip(table["Sector"], table["Need left unmet"], strict=True) if c != "—"
    ] == capped
    # Left shift, underlying deficit (final year) and deficit repaid are metrics.
    left = [r for r in rows if r.measure == "left_shift"][-1]
    assert metric(at, "Share of spending outside hospitals").value == display.value(
        left.mean, "fraction"
    )
    under = [r for r in rows if r.measure == "underlying_deficit"][-1]
    assert metric(at, "Underlying deficit").value == display.value(under.mean, "£m")
    repaid = next(r for r in rows if r.measure == "deficit_repaid")
    assert metric(at, "Deficit repaid").value == display.value(repaid.mean, "£m")
    # A change: each sector's cell gives its change from the file's own result.
    at.slider(key=key(at, "seats_primary_care")).set_value(4).run()
    ok(at)
    table = sector_table(at)
    new = {r.detail: r for r in summarise(run(current(at))) if r.measure == "unmet_need"}
    old = {r.detail: r for r in rows if r.measure == "unmet_need"}
    gp = table["Sector"].index("general practice")
    want = display.value(new["general practice"].mean, "£m")
    change = display.delta(new["general practice"].mean - old["general practice"].mean, "£m")
    assert table["Need left unmet"][gp] == f"{want} ({change})"
    assert any("in brackets, the change from the file's own result" in c for c in captions(at))

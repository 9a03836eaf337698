"""The session: the loaded scenario, the controls' keys and values, and the callbacks.

Each session keeps in ``st.session_state``: the scenario as loaded (``original``) and where
it came from (``source``), the last load error (``load_error``), the generation of control
keys (``gen``: a new one at each load or reset, so that no widget keeps a stale value), the
scenario the controls describe (``current``), the last scenario of valid settings
(``last_good``: its results stay on screen, marked stale, while a control is invalid), the
pinned scenario A (``pinned``) and the hand-off file (``scenario_toml``). The callbacks run before the script, when a file is
chosen or uploaded, or a button pressed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import streamlit as st

from sim.app.controller import fence_choices, settings_of
from sim.app.handoff import read_upload
from sim.app.screen import failure_line
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.loader import display_path, load_scenario

#: The scenario library: the repository's ``scenarios/`` folder (the app runs from a
#: checkout, ``make app``).
LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_FILE = LIBRARY / "baseline.toml"
#: The expiry choice of a ring-fence that does not expire.
NO_EXPIRY = "no expiry"


def control_key(name: str) -> str:
    """A control's widget key; a new generation of keys starts at each load or reset."""
    return f"{name}.{st.session_state['gen']}"


def set_controls(scenario: Scenario) -> None:
    """Set every control to the scenario's value (new widget keys, so nothing is stale)."""
    ss = st.session_state
    ss["gen"] = ss.get("gen", 0) + 1
    s = settings_of(scenario)
    values: dict[str, Any] = {
        "rule": s.rule,
        "quorum": s.quorum,
        "casting_vote": s.casting_vote,
        "intensity": s.intensity,
        "shock_frequency": s.shock_frequency,
        "ae_per_appointment": s.ae_per_appointment,
        "growth_rate": s.growth_rate,
        "horizon_years": s.horizon_years,
        "replications": s.replications,
        "seed": str(s.seed),
    }
    for c, n in s.seats.items():
        values[f"seats_{c}"] = n
    for i, (f, fs) in enumerate(zip(fence_choices(scenario), s.fences, strict=True)):
        values[f"fence{i}_on"] = fs.on
        values[f"fence{i}_until"] = NO_EXPIRY if fs.until is None else fs.until
        if f.rule.rule == "min_growth":
            values[f"fence{i}_overall"] = fs.level == "overall"
            number = fs.level if isinstance(fs.level, float) else scenario.allocation.growth_rate
            values[f"fence{i}_level"] = number
        elif f.level_field:
            values[f"fence{i}_level"] = fs.level
    for name, value in values.items():
        ss[control_key(name)] = value


def use_scenario(scenario: Scenario, source: str) -> None:
    """Make a validated scenario the loaded one and set the controls to it."""
    ss = st.session_state
    ss["original"] = scenario
    ss["source"] = source
    ss["load_error"] = None
    ss["last_good"] = None  # stale results of another file would mislead
    set_controls(scenario)


def load_file(path: Path) -> None:
    """Load a scenario file; a bad file leaves the current one and shows the CLI's error."""
    ss = st.session_state
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        ss["load_error"] = str(exc)
        return
    except Exception as exc:  # anything else is one line too: a callback's error is a traceback
        ss["load_error"] = failure_line(f"{display_path(path)}: cannot be read", exc)
        return
    use_scenario(scenario, display_path(path))


def library() -> dict[str, Path]:
    """The scenario library, and a file named on the command line that is not in it."""
    ss = st.session_state
    out = {p.name: p for p in sorted(LIBRARY.glob("*.toml"))}
    given = ss.get("cli_file")
    if isinstance(given, Path) and given.resolve() not in {p.resolve() for p in out.values()}:
        out[display_path(given)] = given
    return out


def start_file() -> Path:
    """The file named after ``--`` on the command line (``make app``), or the baseline."""
    for arg in sys.argv[1:]:
        if arg.endswith(".toml"):
            return Path(arg)
    return DEFAULT_FILE


def on_file_choice() -> None:
    """Callback of the file choice: load the chosen library file."""
    choice = st.session_state["file_choice"]
    files = library()
    if choice in files:
        load_file(files[choice])


def on_upload() -> None:
    """Callback of the upload: validate it and make it the loaded scenario, or show why not."""
    ss = st.session_state
    upload = ss.get("upload")
    if upload is None:
        return
    try:
        scenario = read_upload(upload.name, upload.getvalue())
    except ScenarioError as exc:
        ss["load_error"] = str(exc)
        return
    except Exception as exc:  # anything else is one line too: a callback's error is a traceback
        ss["load_error"] = failure_line(f"{upload.name} (upload): cannot be read", exc)
        return
    label = f"{upload.name} (upload)"
    use_scenario(scenario, label)
    ss["file_choice"] = label


def on_reset() -> None:
    """Callback of "Reset to file": every control back to the loaded scenario's value."""
    ss = st.session_state
    ss["load_error"] = None
    set_controls(ss["original"])


def on_pin() -> None:
    """Callback of "Pin current settings as A".

    The callback runs before the script, with the controls of this rerun not yet read: the
    page (:func:`sim.app.page.results_page`) pins the scenario it builds from them.
    """
    st.session_state["pin_requested"] = True


def on_unpin() -> None:
    """Callback of "Unpin A"."""
    st.session_state["pinned"] = None


def initialise() -> None:
    """At a session's first run: load the file named on the command line (or the baseline)."""
    ss = st.session_state
    if "original" in ss:
        return
    ss["gen"] = 0
    ss["pinned"] = None
    ss["original"] = None
    path = start_file()
    ss["cli_file"] = path
    load_file(path)
    for label, p in library().items():
        if p.resolve() == path.resolve():
            ss["file_choice"] = label

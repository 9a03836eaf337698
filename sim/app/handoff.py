"""The hand-off: the scenario the app ran as a complete TOML file, and uploads back in.

:func:`scenario_toml` writes every field out, headed by the changes from the file the app
started from, so that ``python -m sim run`` on the downloaded file gives exactly the app's
results; :func:`read_upload` validates an uploaded file exactly as the CLI validates a file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import tomli_w

from sim.report.settings_words import scenario_changes
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.loader import MAX_FILE_BYTES, parse_scenario, read_toml
from sim.scenario.messages import shown
from sim.scenario.overrides import variant_name
from sim.store.writer import scenario_document


def scenario_toml(scenario: Scenario, original: Scenario, source: str | None) -> str:
    """The scenario as a complete TOML file, headed by what changed from ``original``.

    Every field is written out (``extends`` is not used), so the file runs anywhere:
    ``python -m sim run`` on it simulates exactly ``scenario``.

    Args:
        scenario: the scenario the app ran.
        original: the scenario as loaded from its file.
        source: how to name the file it started from (a path, or an upload's name).
    """
    changes = [c.line() for c in scenario_changes(original, scenario)]
    head = [
        f"# Scenario {scenario.name!r}, exported from the ICB funding simulator app.",
        f"# Started from {one_line(source or 'a scenario')} (scenario {original.name!r}).",
    ]
    if changes:
        head.append(f"# Changed in the app ({len(changes)}):")
        head += [f"#   {line}" for line in changes]
        if scenario.name != original.name:
            head.append(
                f"# Renamed {scenario.name!r} so its outputs do not overwrite the original's."
            )
    else:
        head.append("# Nothing was changed in the app: this is the file as loaded, fully resolved.")
    head += [
        "# Every field is written out, so this file runs on its own and gives the app's results:",
        f"#   python -m sim run {scenario.name}.toml",
        "",
    ]
    return "\n".join(head) + "\n" + tomli_w.dumps(scenario_document(scenario))


def one_line(text: str) -> str:
    """Text safe in a one-line TOML comment: control characters (newlines) escaped.

    ``a.toml`` stays ``a.toml``; a name with a line break, say, is written as a JSON string
    (``"a\\n[board]"``), so it cannot start a line of TOML.
    """
    if text.isprintable():
        return text
    return json.dumps(text)


def read_upload(file_name: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario file exactly like a file given to the CLI.

    An upload cannot ``extends`` another file (its parent is not here) or declare a sweep
    (the app runs one scenario): both are reported in one line.

    Raises:
        ScenarioError: one line per problem, naming the upload.
    """
    source = f"{file_name} (upload)"
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(source, [Problem("", f"file is larger than {MAX_FILE_BYTES} bytes")])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.toml"
        path.write_bytes(data)
        doc = read_toml(path, source)
    if "extends" in doc:
        raise ScenarioError(
            source,
            [
                Problem(
                    "extends",
                    f"an upload cannot extend another file ({shown(doc['extends'])} is not "
                    "here); upload a complete scenario, such as one downloaded from this app",
                )
            ],
        )
    if "sweep" in doc:
        raise ScenarioError(
            source,
            [Problem("sweep", "the app runs one scenario; run sweeps with python -m sim run")],
        )
    return parse_scenario(doc, source, default_name=variant_name(Path(file_name).stem, []))

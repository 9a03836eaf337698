"""Settings given beside a scenario file: ``--set path.to.field=value`` and a sweep's values,
each set at a field path of the scenario's dictionary before it is validated, and the name of
the variant they make."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from typing import Any

from sim.scenario.errors import Problem, ScenarioError, echo, field_path
from sim.scenario.messages import shown

#: Deepest nesting of arrays and tables accepted. A scenario needs four levels
#: (``board.plan_tilt.trust.primary``); far deeper input would exhaust the recursion of the
#: TOML reader and of everything that reads the document after it.
MAX_NESTING = 16
NESTING = f"arrays or tables nested more than {MAX_NESTING} levels deep"


def variant_name(base: str, overrides: Sequence[str]) -> str:
    """A stable, readable name for a scenario with overrides (at most 80 characters)."""
    parts = [base]
    for item in overrides:
        key, _, value = item.partition("=")
        parts.append(f"{key.strip()}-{value.strip().strip(chr(34) + chr(39))}")
    full = safe_name("__".join(parts))
    if len(full) <= 80:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[:71]}-{digest}"


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def apply_override(data: dict[str, Any], item: str, source: str) -> None:
    """Set ``path.to.field[i].x=value`` in a scenario dictionary, in place."""
    set_path(data, *parse_override(item, source), source, "--set")


def parse_override(item: str, source: str) -> tuple[str, Any]:
    """``path.to.field=value`` as the path and the value: a TOML value, or else the text."""
    key, sep, text = item.partition("=")
    key, text = key.strip(), text.strip()
    if not sep or not key:
        raise ScenarioError.at(source, "--set", f"must be path.to.field=value, got {shown(item)}")
    try:
        document = tomllib.loads(f"v = {text}")
    except RecursionError:
        raise ScenarioError.at(source, f"--set {echo(key)}", NESTING) from None
    except ValueError:  # not a TOML value, or a whole number too long to read: the text
        return key, text
    # A line break could add more keys than v: such a value is text, not a TOML value.
    return key, document["v"] if list(document) == ["v"] else text


def set_path(data: dict[str, Any], key: str, value: Any, source: str, via: str) -> list[str | int]:
    """Set the field at the path ``key`` (``a.b[2].c``) to ``value``, in place; return the
    path's steps. Errors name the setting as ``via`` (``--set`` or ``sweep``) and ``key``."""
    label = f"{via} {echo(key)}" if via == "--set" else f"{via}.{echo(key)}"
    steps: list[str | int] = []
    for part in key.split("."):
        m = _PATH_PART.fullmatch(part)
        if not m:
            raise ScenarioError.at(source, label, f"not a field path: {shown(part)}")
        steps.append(m.group(1))
        steps += [int(i) for i in re.findall(r"\d+", m.group(2))]
    if len(steps) > MAX_NESTING:
        raise ScenarioError.at(source, label, f"more than {MAX_NESTING} steps deep")
    node: Any = data
    for here, step in enumerate(steps[:-1]):
        nxt = steps[here + 1]
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                where = field_path(tuple(steps[: here + 1]))
                raise ScenarioError.at(source, label, f"no item {where}")
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise ScenarioError.at(source, label, f"{shown(step)} is not in a table")
            node = node.setdefault(step, [] if isinstance(nxt, int) else {})
    last = steps[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ScenarioError(source, [Problem(label, f"no item {field_path(tuple(steps))}")])
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError.at(source, label, f"{shown(last)} is not in a table")
    return steps


def safe_name(stem: str) -> str:
    """A file stem as a scenario name: ASCII letters, digits and ``_.-`` (it names a folder
    on every system)."""
    ok = "".join(c if (c.isascii() and c.isalnum()) or c in "_.-" else "_" for c in stem)
    return ok.lstrip(".-") or "scenario"

"""The one scenario loader: TOML files (with ``extends``) to a validated :class:`Scenario`."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.consistency import check_consistency
from sim.scenario.errors import Problem, ScenarioError, field_path
from sim.scenario.format import Scenario
from sim.scenario.messages import problems_of
from sim.scenario.toml_text import shown

#: Largest scenario file accepted (bytes); also the app's upload limit.
MAX_FILE_BYTES = 1_000_000


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        # Tidy "dir/../parent.toml" (an ``extends`` path joined to its child's folder).
        return os.path.normpath(path)


def read_toml(path: Path, source: str | None = None) -> dict[str, Any]:
    """Read one TOML file (no ``extends`` handling), with one-line errors."""
    src = source or display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(src, [Problem("", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(src, [Problem("", f"cannot read file ({exc.strerror})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(src, [Problem("", f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(src, [Problem("", "file is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(src, [Problem("", f"invalid TOML: {exc}")]) from None


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: tables merge key by key, everything else is replaced.

    Arrays (sectors, members, ring-fences) are replaced whole, so a child file states the
    complete list it wants rather than patching items by position.
    """
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_file(path: Path, _chain: tuple[tuple[Path, str], ...] = ()) -> dict[str, Any]:
    """Read ``path`` and the files it ``extends``, merged into one dictionary.

    ``extends`` is resolved relative to the file that names it; ``name`` is never inherited.
    """
    real = path.resolve()
    src = display_path(path)
    if any(real == seen for seen, _ in _chain):
        # Name the files as the user gave them (not resolved), like every other message.
        cycle = " -> ".join([*(shown for _, shown in _chain), src])
        raise ScenarioError(_chain[0][1], [Problem("extends", f"cycle: {cycle}")])
    data = read_toml(path, src)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(src, [Problem("extends", f"must be a file name, got {shown(parent)}")])
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(
            src, [Problem("extends", f"parent file not found: {display_path(parent_path)}")]
        )
    if not parent_path.is_file():
        raise ScenarioError(
            src, [Problem("extends", f"parent is not a file: {display_path(parent_path)}")]
        )
    base = resolve_file(parent_path, (*_chain, (real, src)))
    base.pop("name", None)
    base.pop("sweep", None)  # a sweep belongs to the file that declares it
    return deep_merge(base, data)


def parse_scenario(
    data: dict[str, Any], source: str = "<scenario>", default_name: str | None = None
) -> Scenario:
    """Validate a scenario dictionary (already merged) with every cross-field check.

    Args:
        data: the scenario as parsed from TOML (``extends`` already resolved).
        source: how errors name the input (a file path, or ``<upload>``).
        default_name: name used when the data has none (the file's stem).

    Raises:
        ScenarioError: one line per problem, naming ``source``, the field and the reason.
    """
    data = dict(data)
    if "extends" in data:
        raise ScenarioError(source, [Problem("extends", "only files can extend other files")])
    if default_name and "name" not in data:
        data["name"] = default_name
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, problems_of(exc)) from None
    problems = check_consistency(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, merge and validate a scenario file; the one loader for CLI, app and tests.

    Args:
        path: the scenario file.
        overrides: ``path.to.field=value`` settings applied after ``extends`` is resolved
            (``value`` is read as a TOML value, or as text if it is not one). A scenario with
            overrides is named after them (``baseline__board.rule-two_thirds``) unless one
            of them sets ``name``.
    """
    p = Path(path)
    data = resolve_file(p)
    if "sweep" in data:
        raise ScenarioError(
            display_path(p),
            [Problem("sweep", "the file declares a sweep: load its variants with load_variants")],
        )
    return _with_overrides(p, data, overrides)


def load_variants(
    path: str | Path, overrides: Sequence[str] = ()
) -> list[Scenario | ScenarioError]:
    """Every variant of a scenario file: one per point of its ``[sweep]`` grid, or itself.

    A ``[sweep]`` table maps field paths to lists of values, e.g.
    ``"board.rule" = ["simple_majority", "two_thirds"]``; the variants are the grid of all
    combinations, each named after its settings. Each variant is validated on its own: an
    invalid one comes back as its :class:`ScenarioError`, and the others are unaffected.
    """
    p = Path(path)
    source = display_path(p)
    data = resolve_file(p)
    sweep = data.pop("sweep", None)
    if sweep is None:
        return [_attempt(p, data, overrides)]
    if not isinstance(sweep, dict) or not sweep:
        raise ScenarioError(
            source, [Problem("sweep", "must be a table of field paths to lists of values")]
        )
    axes = []
    for key, values in sweep.items():
        if not isinstance(values, list) or not values:
            raise ScenarioError(
                source, [Problem(f"sweep.{key}", "must be a non-empty list of values")]
            )
        for v in values:
            if isinstance(v, dict | list):
                raise ScenarioError(
                    source,
                    [
                        Problem(
                            f"sweep.{key}",
                            f"values must be numbers, text or true/false, got {shown(v)}",
                        )
                    ],
                )
        axes.append([f"{key}={json.dumps(v)}" for v in values])
    return [
        _attempt(p, copy.deepcopy(data), [*overrides, *combo]) for combo in itertools.product(*axes)
    ]


def _attempt(p: Path, data: dict[str, Any], overrides: Sequence[str]) -> Scenario | ScenarioError:
    try:
        return _with_overrides(p, data, overrides)
    except ScenarioError as exc:
        return exc


def _with_overrides(p: Path, data: dict[str, Any], overrides: Sequence[str]) -> Scenario:
    name = _safe_name(p.stem)
    if overrides:
        base = data.pop("name", None)
        for item in overrides:
            apply_override(data, item, display_path(p))
        if "name" not in data or not any(o.partition("=")[0].strip() == "name" for o in overrides):
            data.pop("name", None)
            name = variant_name(base if isinstance(base, str) else name, overrides)
    return parse_scenario(data, display_path(p), default_name=name)


def variant_name(base: str, overrides: Sequence[str]) -> str:
    """A stable, readable name for a scenario with overrides (at most 80 characters)."""
    parts = [base]
    for item in overrides:
        key, _, value = item.partition("=")
        parts.append(f"{key.strip()}-{value.strip().strip(chr(34) + chr(39))}")
    full = _safe_name("__".join(parts))
    if len(full) <= 80:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[:71]}-{digest}"


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def apply_override(data: dict[str, Any], item: str, source: str) -> None:
    """Set ``path.to.field[i].x=value`` in a scenario dictionary, in place."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            source, [Problem("--set", f"must be path.to.field=value, got {item!r}")]
        )
    try:
        value: Any = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    steps: list[str | int] = []
    for part in key.split("."):
        m = _PATH_PART.fullmatch(part)
        if not m:
            raise ScenarioError(source, [Problem(f"--set {key}", f"not a field path: {part!r}")])
        steps.append(m.group(1))
        steps += [int(i) for i in re.findall(r"\d+", m.group(2))]
    node: Any = data
    for here, step in enumerate(steps[:-1]):
        nxt = steps[here + 1]
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                where = field_path(tuple(steps[: here + 1]))
                raise ScenarioError(source, [Problem(f"--set {key}", f"no item {where}")])
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise ScenarioError(
                    source, [Problem(f"--set {key}", f"{step!r} is not in a table")]
                )
            node = node.setdefault(step, [] if isinstance(nxt, int) else {})
    last = steps[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ScenarioError(
                source, [Problem(f"--set {key}", f"no item {field_path(tuple(steps))}")]
            )
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(source, [Problem(f"--set {key}", f"{last!r} is not in a table")])


def _safe_name(stem: str) -> str:
    name = "".join(c if c.isalnum() or c in "_.-" else "_" for c in stem).lstrip(".-")
    return name or "scenario"

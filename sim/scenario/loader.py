"""The one scenario loader: TOML files (with ``extends``) to a validated :class:`Scenario`."""

from __future__ import annotations

import copy
import datetime
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
from pydantic_core import ErrorDetails

from sim.scenario.consistency import check_consistency
from sim.scenario.errors import Problem, ScenarioError, field_path
from sim.scenario.format import Scenario

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
        raise ScenarioError(src, [Problem("extends", f"must be a file name, got {_show(parent)}")])
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


#: Pydantic labels for the branches of a union (``float``, ``constrained-float``,
#: ``literal['overall']``, ``function-after[_month(), str]``, ...): not field names.
_BRANCH_LABEL = re.compile(
    r"^(float|int|str|bool|none|constrained-\w+|(literal|function-\w+|nullable|list|dict)\[.*\])$"
)
#: Error types meaning "the value is not of this type" (rather than "out of bounds").
_TYPE_ERRORS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _toml_type(value: Any) -> str:
    """The TOML name of a parsed value's type, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return "a date"
    return type(value).__name__


def _show(value: Any) -> str:
    """A parsed TOML value as written in TOML (``true``, ``'text'``, ``2027-04-01``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # 1e12 reads as 1000000000000, not 1000000000000.0
    if isinstance(value, int | float | str):
        return repr(value)
    if isinstance(value, datetime.date | datetime.time):
        return f"the date {value.isoformat()}"
    return _toml_type(value)


def _expected(err: ErrorDetails) -> str | None:
    """What a type error wanted (``a number``, ``'overall'``), or None for other errors."""
    if err["type"] == "literal_error":
        return str((err.get("ctx") or {}).get("expected"))
    return _TYPE_ERRORS.get(err["type"])


def _reason(err: ErrorDetails) -> str:
    """Translate a pydantic error into the project's wording."""
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    got = _show(err.get("input"))
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[kind]
        limit = _show(next(iter(ctx.values())))
        return f"must be {op} {limit}, got {got}"
    if kind in _TYPE_ERRORS:
        return f"must be {_TYPE_ERRORS[kind]}, got {got}"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        want = "a list" if kind == "list_type" else "a table"
        return f"must be {want}, got {_toml_type(err.get('input'))}"
    if kind == "literal_error":
        expected = str(ctx.get("expected"))
        one_of = "one of " if "," in expected or " or " in expected else ""
        return f"must be {one_of}{expected}, got {got}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"must have {bound} {n} item(s), got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {got}"
    if kind == "month":
        # The custom error's template uses {got!r}, which pydantic does not format.
        return f"must be a month like '2027-04', got {_show(ctx.get('got'))}"
    return str(err["msg"]).splitlines()[0]


def _field(loc: tuple[int | str, ...]) -> tuple[str, bool]:
    """A location as a field path without union-branch labels, and whether it had any."""
    kept: list[int | str] = []
    branch = False
    for i, part in enumerate(loc):
        if part == "[key]":  # the previous part is a dictionary key that is itself invalid
            continue
        is_key = i + 1 < len(loc) and loc[i + 1] == "[key]"
        if isinstance(part, str) and not is_key and _BRANCH_LABEL.match(part):
            branch = True
            continue
        kept.append(part)
    return field_path(tuple(kept)), branch


def _problems(exc: ValidationError) -> list[Problem]:
    """One problem per field: the branches of a union (a number or 'overall') give one line."""
    groups: dict[str, list[ErrorDetails]] = {}
    unions: set[str] = set()
    for err in exc.errors():
        path, branch = _field(tuple(err["loc"]))
        groups.setdefault(path, []).append(err)
        if branch:
            unions.add(path)
    out = []
    for path, errs in groups.items():
        if path in unions and len(errs) > 1:
            # A branch whose type matched failed a bound: that is the relevant message.
            bounded = [e for e in errs if _expected(e) is None]
            if bounded:
                out.append(Problem(path, _reason(bounded[0])))
                continue
            wanted = " or ".join(dict.fromkeys(str(_expected(e)) for e in errs))
            out.append(Problem(path, f"must be {wanted}, got {_show(errs[0].get('input'))}"))
        else:
            out.append(Problem(path, _reason(errs[0])))
    return out


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
        raise ScenarioError(source, _problems(exc)) from None
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
                            f"values must be numbers, text or true/false, got {_show(v)}",
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

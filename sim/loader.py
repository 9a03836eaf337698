"""The one scenario loader: TOML files (with ``extends``) to a validated :class:`Scenario`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.consistency import check_consistency
from sim.errors import Problem, ScenarioError, field_path
from sim.scenario import Scenario

#: Largest scenario file accepted (bytes); also the app's upload limit.
MAX_FILE_BYTES = 1_000_000


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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


def resolve_file(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and the files it ``extends``, merged into one dictionary.

    ``extends`` is resolved relative to the file that names it; ``name`` is never inherited.
    """
    real = path.resolve()
    src = display_path(path)
    if real in _chain:
        cycle = " -> ".join(display_path(p) for p in (*_chain, real))
        raise ScenarioError(display_path(_chain[0]), [Problem("extends", f"cycle: {cycle}")])
    data = read_toml(path, src)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(src, [Problem("extends", f"must be a file name, got {parent!r}")])
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(
            src, [Problem("extends", f"parent file not found: {display_path(parent_path)}")]
        )
    base = resolve_file(parent_path, (*_chain, real))
    base.pop("name", None)
    return deep_merge(base, data)


def _reason(err: ErrorDetails) -> str:
    """Translate a pydantic error into the project's wording."""
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    got = err.get("input")
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
        limit = next(iter(ctx.values()))
        return f"must be {op} {limit}, got {got!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {got!r}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {got!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {got!r}"
    if kind == "string_type":
        return f"must be a string, got {got!r}"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        want = "a list" if kind == "list_type" else "a table"
        return f"must be {want}, got {type(got).__name__}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {got!r}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"must have {bound} {n} item(s), got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {got!r}"
    return str(err["msg"])


def _problems(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if p
            not in ("float", "int", "str", "literal['overall']", "function-after[_month(), str]")
        )
        out.append(Problem(field_path(loc), _reason(err)))
    # Union branches repeat the same location; keep the first message per field.
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.field not in seen:
            seen.add(p.field)
            unique.append(p)
    return unique


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


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge and validate a scenario file; the one loader for CLI, app and tests."""
    p = Path(path)
    data = resolve_file(p)
    return parse_scenario(data, display_path(p), default_name=_safe_name(p.stem))


def _safe_name(stem: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in stem) or "scenario"

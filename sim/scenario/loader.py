"""The one scenario loader: TOML files (with ``extends``) to a validated :class:`Scenario`."""

from __future__ import annotations

import copy
import datetime
import itertools
import json
import os
import re
import stat
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.consistency import check_consistency
from sim.scenario.errors import Problem, ScenarioError, echo, echo_path, field_path
from sim.scenario.format import Scenario
from sim.scenario.messages import problems_of, shown
from sim.scenario.overrides import (
    MAX_NESTING,
    NESTING,
    parse_override,
    safe_name,
    set_path,
    variant_name,
)
from sim.scenario.toml_text import deep_merge, leaf_paths, sets_path, too_deep

#: Largest scenario file accepted (bytes); also the app's upload limit.
MAX_FILE_BYTES = 1_000_000
#: Most variants a ``[sweep]`` may give by default (``--max-variants`` sets another limit).
#: Each variant is validated before anything runs (about 5 ms each), and each is a run.
MAX_VARIANTS = 1_000
#: Top-level keys of a scenario file: a parent with any other key is not a scenario file.
FILE_KEYS = frozenset(
    {"extends", "sweep", *(f.alias or n for n, f in Scenario.model_fields.items())}
)


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        # Tidy "dir/../parent.toml" (an ``extends`` path joined to its child's folder).
        return os.path.normpath(path)


def read_toml(path: Path, source: str | None = None) -> dict[str, Any]:
    """Read one TOML file (no ``extends`` handling), with one-line errors.

    A UTF-8 byte-order mark (which some Windows editors write) is accepted, and at most
    :data:`MAX_FILE_BYTES` are read, so that a device or endless file cannot exhaust memory.
    """
    src = source or display_path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError.at(src, "", "file not found") from None
    except OSError as exc:
        raise ScenarioError.at(src, "", f"cannot read file ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError.at(src, "", f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ScenarioError.at(src, "", "file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError.at(src, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        # The reader recurses once per level of nesting (hundreds of levels reach the limit).
        raise ScenarioError.at(src, "", f"invalid TOML: {NESTING}") from None
    except ValueError as exc:
        # int() refuses a whole number of thousands of digits (a guard against slow parsing).
        reason = (
            f"a whole number has more than {sys.get_int_max_str_digits()} digits"
            if "integer string conversion" in str(exc)
            else echo(str(exc), 120)
        )
        raise ScenarioError.at(src, "", f"invalid TOML: {reason}") from None
    _check_nesting(data, src)
    return data


def _check_nesting(data: dict[str, Any], source: str) -> None:
    deep = too_deep(data, MAX_NESTING)
    if deep is not None:
        raise ScenarioError.at(source, field_path((deep,)), NESTING)


#: Where inherited values come from: a key path (tables only) to the parent file that set it.
Origins = dict[tuple[str, ...], str]


class _Cycle(ScenarioError):
    """An ``extends`` cycle, reported once by the file the command named (not wrapped)."""


def resolve_file(path: Path) -> dict[str, Any]:
    """Read ``path`` and the files it ``extends``, merged into one dictionary.

    ``extends`` is resolved relative to the file that names it; ``name`` is never inherited.
    """
    return _resolve(path, ())[0]


def _resolve(path: Path, chain: tuple[tuple[Path, str], ...]) -> tuple[dict[str, Any], Origins]:
    """The merged document of ``path`` and its parents, and which parent set which value."""
    real = path.resolve()
    src = display_path(path)
    if any(real == seen for seen, _ in chain):
        # Name the files as the user gave them (not resolved), like every other message.
        cycle = " -> ".join([*(name for _, name in chain), src])
        raise _Cycle(chain[0][1], [Problem("extends", f"cycle: {cycle}")])
    data = read_toml(path, src)
    if chain:
        foreign = sorted(k for k in data if k not in FILE_KEYS)
        if foreign:
            # Not a scenario file: refuse it whole, so that none of its values is echoed.
            keys = ", ".join(repr(echo(k)) for k in foreign[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise ScenarioError.at(
                src, "", f"not a scenario file ({keys}{more}: not scenario fields)"
            )
    parent = data.pop("extends", None)
    if parent is None:
        return data, {}
    parent_path = _parent_file(path, parent, src)
    parent_src = display_path(parent_path)
    try:
        base, origins = _resolve(parent_path, (*chain, (real, src)))
    except _Cycle:
        raise
    except ScenarioError as exc:
        # Say that the parent failed, naming it as the parent, on the child's own line.
        raise ScenarioError(
            src,
            [
                Problem("extends", f"parent file {echo_path(parent_src)}: {where}{p.reason}")
                for p in exc.problems
                for where in [f"{p.field}: " if p.field else ""]
            ],
        ) from None
    base.pop("name", None)
    base.pop("sweep", None)  # a sweep belongs to the file that declares it
    origins = {**dict.fromkeys(leaf_paths(base), parent_src), **origins}
    return deep_merge(base, data), {k: v for k, v in origins.items() if not sets_path(data, k)}


def _parent_file(path: Path, parent: Any, src: str) -> Path:
    """The file an ``extends`` names: a regular ``*.toml`` file (a link to one is followed)."""
    if not isinstance(parent, str) or not parent or "\0" in parent:  # no file name holds NUL
        raise ScenarioError.at(src, "extends", f"must be a file name, got {shown(parent)}")
    parent_path = path.parent / parent
    name = echo_path(display_path(parent_path))
    if not parent.endswith(".toml"):
        raise ScenarioError.at(
            src, "extends", f"must name a .toml scenario file, got {shown(parent)}"
        )
    try:
        mode = parent_path.stat().st_mode
    except FileNotFoundError:
        raise ScenarioError.at(src, "extends", f"parent file not found: {name}") from None
    except OSError as exc:  # a name too long, a folder that is a file, no permission
        raise ScenarioError.at(
            src, "extends", f"cannot read parent file {name} ({exc.strerror})"
        ) from None
    if not stat.S_ISREG(mode):
        raise ScenarioError.at(src, "extends", f"parent is not a regular file: {name}")
    if parent_path.resolve().suffix != ".toml":
        raise ScenarioError.at(
            src, "extends", f"parent is a link to a file that is not .toml: {name}"
        )
    return parent_path


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
        raise ScenarioError.at(source, "extends", "only files can extend other files")
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
    data, origins = _resolve(p, ())
    if "sweep" in data:
        raise ScenarioError.at(
            display_path(p),
            "sweep",
            "the file declares a sweep: load its variants with load_variants",
        )
    return _variant(p, data, origins, overrides)


def load_variants(
    path: str | Path, overrides: Sequence[str] = (), max_variants: int = MAX_VARIANTS
) -> list[Scenario | ScenarioError]:
    """Every variant of a scenario file: one per point of its ``[sweep]`` grid, or itself.

    A ``[sweep]`` table maps field paths to lists of values, e.g.
    ``"board.rule" = ["simple_majority", "two_thirds"]``; the variants are the grid of all
    combinations, each named after its settings. Each variant is validated on its own: an
    invalid one comes back as its :class:`ScenarioError`, and the others are unaffected.
    A grid of more than ``max_variants`` is refused, counted from the lists' lengths before
    any variant is made.
    """
    p = Path(path)
    source = display_path(p)
    data, origins = _resolve(p, ())
    sweep = data.pop("sweep", None)
    if sweep is None:
        return [_attempt(p, data, origins, overrides)]
    if not isinstance(sweep, dict) or not sweep:
        raise ScenarioError.at(source, "sweep", "must be a table of field paths to lists of values")
    for key, values in sweep.items():
        if not isinstance(values, list) or not values:
            raise ScenarioError.at(
                source, f"sweep.{echo(key)}", "must be a non-empty list of values"
            )
    count = 1
    for values in sweep.values():
        count *= len(values)
        if count > 10**18:  # refused whatever the limit: no need to count every digit
            break
    if count > max_variants:
        many = f"{count:,}" if count <= 10**18 else f"more than {10**18:,}"
        raise ScenarioError.at(
            source,
            "sweep",
            f"gives {many} variants, more than the limit of {max_variants:,} "
            "(--max-variants sets another)",
        )
    for key, values in sweep.items():
        wrong = next(
            (v for v in values if isinstance(v, dict | list | datetime.date | datetime.time)), None
        )
        if wrong is not None:
            raise ScenarioError.at(
                source,
                f"sweep.{echo(key)}",
                f"values must be numbers, text or true/false, got {shown(wrong)}",
            )
    axes = [[(key, v) for v in values] for key, values in sweep.items()]
    return [
        _attempt(p, copy.deepcopy(data), origins, overrides, combo)
        for combo in itertools.product(*axes)
    ]


def _attempt(
    p: Path,
    data: dict[str, Any],
    origins: Origins,
    overrides: Sequence[str],
    sweep: Sequence[tuple[str, Any]] = (),
) -> Scenario | ScenarioError:
    try:
        return _variant(p, data, origins, overrides, sweep)
    except ScenarioError as exc:
        return exc


def _variant(
    p: Path,
    data: dict[str, Any],
    origins: Origins,
    overrides: Sequence[str],
    sweep: Sequence[tuple[str, Any]] = (),
) -> Scenario:
    """A file's document with its ``--set`` overrides and sweep settings, validated; a
    problem with a value a parent file set names that parent."""
    source = display_path(p)
    name = safe_name(p.stem)
    settings = [(*parse_override(item, source), "--set") for item in overrides]
    settings += [(key, value, "sweep") for key, value in sweep]
    if settings:
        base = data.pop("name", None)
        for key, value, via in settings:
            steps = set_path(data, key, value, source, via)
            top = tuple(itertools.takewhile(lambda s: isinstance(s, str), steps))
            # The value is the command's now, not the parent's (nor any it was inside).
            origins = {k: v for k, v in origins.items() if k[: len(top)] != top[: len(k)]}
        if not any(key == "name" for key, _, _ in settings):
            data.pop("name", None)
            labels = [*overrides, *(f"{k}={json.dumps(v)}" for k, v in sweep)]
            name = variant_name(base if isinstance(base, str) else name, labels)
        _check_nesting(data, source)
    try:
        return parse_scenario(data, source, default_name=name)
    except ScenarioError as exc:
        inherited = {field_path(keys): parent for keys, parent in origins.items()}
        raise ScenarioError(source, [_attributed(q, inherited) for q in exc.problems]) from None


def _attributed(problem: Problem, inherited: dict[str, str]) -> Problem:
    """``problem``, saying which parent file set the value it is about, if one did."""
    field = problem.field
    for end in [m.start() for m in re.finditer(r"[.\[]", field)] + [len(field)]:
        if field[:end] in inherited:
            parent = echo_path(inherited[field[:end]])
            return Problem(field, f"{problem.reason} (set in parent file {parent})")
    return problem

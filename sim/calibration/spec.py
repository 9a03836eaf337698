"""What a calibration fits: its scenario, its targets (published figures and the model
measure each one is compared with) and its free parameters with their ranges.

A calibration file is TOML (``data/calibration.toml`` is the shipped one)::

    scenario = "../scenarios/history_2016_2023.toml"   # relative to this file
    tolerance = 0.005

    [[targets]]
    measure = "real_growth"          # a measure of the registry (docs/measures.md)
    detail = "acute"                 # its detail: here, a sector of the scenario
    table = "sector_real_growth"     # data/history/<table>.csv
    items = ["acute"]                # the figures; several are averaged

    [[parameters]]
    name = "acute need growth"
    set = "sectors[acute].need_growth"   # a field path; [name] picks an item by its name
    low = 0.0
    high = 0.1
    why = "real growth of acute activity net of productivity: not published"
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, ValidationError, model_validator

from sim.analysis.measures import MEASURES
from sim.calibration.history import DATA_DIR, DataError, read_table
from sim.scenario.fields import Strict

#: A table type a TOML file is validated as.
M = TypeVar("M", bound=Strict)

#: The calibration file shipped with the project.
DEFAULT_SPEC = DATA_DIR / "calibration.toml"


class Target(Strict):
    """A published figure and the model measure it is compared with."""

    measure: str = Field(description="A headline measure of the registry.")
    detail: str = Field(description="The measure's detail (a sector, a year, 'cumulative').")
    table: str = Field(description="The data table the figures come from.")
    items: Annotated[list[str], Field(min_length=1)] = Field(
        description="The figures of the table; the target is their mean."
    )
    year: str | None = Field(None, description="The figures' year, where items have several.")
    sd: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None, description="How closely the model should match it (default: the file's sd)."
    )

    @property
    def label(self) -> str:
        """How the target is named in tables and charts."""
        return self.detail


class Parameter(Strict):
    """A free behavioural parameter: the scenario field it sets, and its range."""

    name: str = Field(description="Plain words, for tables and charts.")
    set: str = Field(
        description="The field: a path like sectors[acute].need_growth, where [...] is an "
        "index, an item's name or a table's key."
    )
    low: float
    high: float
    why: str = Field("", description="Why it is free and where its range comes from.")

    @model_validator(mode="after")
    def _range(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class CalibrationSpec(Strict):
    """A calibration: scenario, targets and free parameters."""

    scenario: str = Field(description="The scenario file, relative to the calibration file.")
    description: str = ""
    sd: Annotated[float, Field(gt=0, le=1)] = Field(
        0.005, description="Default closeness of fit of every target (a standard deviation)."
    )
    tolerance: Annotated[float, Field(gt=0, le=1)] = Field(
        0.005, description="Largest error per target for the shipped scenario to count as fitted."
    )
    targets: Annotated[list[Target], Field(min_length=1)]
    parameters: Annotated[list[Parameter], Field(min_length=1)]


class SpecError(ValueError):
    """A calibration file that cannot be used: one line naming the file and the reason."""


def read_model(path: Path, model: type[M]) -> M:
    """A TOML file validated as ``model``; a SpecError names the file and the first problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not TOML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SpecError(f"{path}: {where}: {first['msg']}") from None


def check_measures(path: Path, table: str, measures: list[str]) -> None:
    """Every name is a measure of the registry (a SpecError naming the entry otherwise)."""
    known = {m.name for m in MEASURES}
    for i, name in enumerate(measures):
        if name not in known:
            raise SpecError(f"{path}: {table}[{i}].measure: no measure {name!r}")


def load_spec(path: Path = DEFAULT_SPEC) -> tuple[CalibrationSpec, Path]:
    """The calibration file and the path of its scenario."""
    spec = read_model(path, CalibrationSpec)
    check_measures(path, "targets", [t.measure for t in spec.targets])
    return spec, (path.parent / spec.scenario).resolve()


def target_values(spec: CalibrationSpec, data_dir: Path = DATA_DIR) -> list[float]:
    """Each target's published value (the mean of its figures)."""
    out = []
    for t in spec.targets:
        rows = read_table(t.table, data_dir)
        values = []
        for item in t.items:
            found = [f for f in rows if f.item == item and (t.year is None or f.year == t.year)]
            if len(found) != 1:
                raise DataError(f"data table {t.table}: {len(found)} figures for {item!r}")
            values.append(found[0].value)
        out.append(sum(values) / len(values))
    return out


_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\]")


def _steps(path: str) -> list[str]:
    """``sectors[acute].need_growth`` as steps; ``[...]`` holds an index, an item's name (in
    a list of named tables) or a key (in a table)."""
    steps, at = [], 0
    while at < len(path):
        m = _STEP.match(path, at)
        if m is None:
            raise SpecError(f"{path}: not a field path at {path[at:]!r}")
        steps.append(m.group(1) or m.group(2).strip().strip("\"'"))
        at = m.end()
    if not steps:
        raise SpecError("an empty field path")
    return steps


class _Unset(LookupError):
    """A table has no such key: unset (a default applies), or not a field at all, which
    validating the scenario then says."""


def _child(node: Any, step: str, path: str, create: bool) -> Any:
    if isinstance(node, list):
        if step.isdigit() and int(step) < len(node):
            return node[int(step)]
        for item in node:
            if isinstance(item, dict) and item.get("name") == step:
                return item
        raise SpecError(f"{path}: no item {step!r}")
    if isinstance(node, dict):
        if step not in node:
            if not create:
                raise _Unset(step)
            node[step] = {}
        return node[step]
    raise SpecError(f"{path}: {step!r} is not in a table")


def set_value(data: dict[str, Any], path: str, value: float) -> None:
    """Set the field at ``path`` (tables on the way are created) to ``value``, in place."""
    *head, last = _steps(path)
    node: Any = data
    for step in head:
        node = _child(node, step, path, create=True)
    if isinstance(node, list):
        if not (last.isdigit() and int(last) < len(node)):
            raise SpecError(f"{path}: no item {last!r}")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError(f"{path}: {last!r} is not in a table")


def current_value(data: dict[str, Any], path: str, strict: bool = False) -> float:
    """The value of the field at ``path`` in a scenario dictionary: 0 where it is unset, or
    with ``strict`` a SpecError for a path that names no field, or no number."""
    node: Any = data
    try:
        for step in _steps(path):
            node = _child(node, step, path, create=False)
    except _Unset:
        return 0.0
    except SpecError as exc:
        if strict:
            raise SpecError(str(exc).split(": ", 1)[-1]) from None
        return 0.0
    if isinstance(node, bool) or not isinstance(node, int | float):
        if strict and node is not None:
            raise SpecError(f"{path} is not a number")
        return 0.0
    return float(node)


def with_values(data: dict[str, Any], spec: CalibrationSpec, values: list[float]) -> dict[str, Any]:
    """A copy of the scenario dictionary with the free parameters set to ``values``."""
    out = copy.deepcopy(data)
    for p, v in zip(spec.parameters, values, strict=True):
        set_value(out, p.set, float(v))
    return out

"""Global sensitivity of the headline measures: Morris screening, then Sobol' indices.

The uncertain inputs and their ranges come from a sensitivity file (``data/sensitivity.toml``
is the shipped one, its ranges documented in docs/sensitivity.md). Each input is a factor
varied uniformly over its range; a group of shares that must sum to 1 (the sector split, the
place populations) is one factor group: each share is multiplied by a factor in
``[1 - spread, 1 + spread]`` and the group renormalised, so every sampled scenario is valid.

The method is the usual two stages (Saltelli et al., *Global Sensitivity Analysis*, 2008):

1. **Morris** elementary effects on every factor (``trajectories x (factors + 1)`` runs):
   ``mu*`` ranks what matters, cheaply.
2. **Sobol'** first-order and total indices (Saltelli sampling, ``N x (k + 2)`` runs) on the
   ``k`` factors Morris ranks highest, the others held at the scenario's values: ``S1`` is
   the share of a measure's variance a factor explains alone, ``ST`` with its interactions.

Sampling and analysis (:func:`morris_stage`, :func:`sobol_stage`) are separate from running
the model, so that a toy function checks them against known indices.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import Field
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.calibration.history import DATA_DIR
from sim.calibration.spec import SpecError, check_measures, current_value, read_model, set_value
from sim.scenario.fields import Strict
from sim.units.money import split

Floats = npt.NDArray[np.float64]
#: The sensitivity file shipped with the project.
DEFAULT_SENSITIVITY = DATA_DIR / "sensitivity.toml"
#: Levels of the Morris grid (the usual choice).
MORRIS_LEVELS = 4


class Factor(Strict):
    """An uncertain input: the scenario field and its documented range."""

    name: str
    set: str = Field(description="The field path, as in a calibration file.")
    low: float
    high: float
    why: str = Field("", description="Where the range comes from.")


class Shares(Strict):
    """A group of shares that must sum to 1, varied together."""

    name: str
    items: str = Field(description="The list of tables holding the shares, e.g. 'sectors'.")
    field: str = Field(description="The share field of each item, e.g. 'share'.")
    spread: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.2, description="Each share is multiplied by a factor in [1 - spread, 1 + spread]."
    )
    why: str = ""


class Output(Strict):
    """A headline measure to explain; detail 'last' is the final financial year."""

    measure: str
    detail: str


class SensitivitySpec(Strict):
    """The uncertain inputs and the measures whose sensitivity is reported."""

    factors: list[Factor] = Field(default_factory=list)
    shares: list[Shares] = Field(default_factory=list)
    outputs: Annotated[list[Output], Field(min_length=1)]


def load_sensitivity(path: Path = DEFAULT_SENSITIVITY) -> SensitivitySpec:
    """The sensitivity file, checked (a :class:`SpecError` names the file and the field)."""
    spec = read_model(path, SensitivitySpec)
    check_measures(path, "outputs", [o.measure for o in spec.outputs])
    if not spec.factors and not spec.shares:
        raise SpecError(f"{path}: no factors and no shares to vary")
    for f in spec.factors:
        if not f.low < f.high:
            raise SpecError(f"{path}: factor {f.name!r}: low must be below high")
    return spec


@dataclass(frozen=True)
class Design:
    """The factors as SALib sees them: one variable per factor and per share of a group."""

    #: SALib's problem: names, bounds and groups.
    problem: dict[str, Any]
    #: The group (factor or share group) of each variable, in order.
    groups: list[str]
    #: The scenario's own value of each variable (1 for a share multiplier): the point
    #: that leaves the scenario as it is (checked before a study runs).
    nominal: Floats


def design(spec: SensitivitySpec, base: dict[str, Any], only: list[str] | None = None) -> Design:
    """The SALib problem for the factors (all, or the groups named in ``only``)."""
    names, bounds, groups, nominal = [], [], [], []
    for f in spec.factors:
        if only is None or f.name in only:
            names.append(f.name)
            bounds.append([f.low, f.high])
            groups.append(f.name)
            nominal.append(current_value(base, f.set))
    for g in spec.shares:
        if only is None or g.name in only:
            items = base.get(g.items)
            if not isinstance(items, list) or len(items) < 2:
                raise SpecError(f"shares {g.name!r}: the scenario has no list {g.items!r}")
            for i, item in enumerate(items):
                names.append(f"{g.name}: {item.get('name', i)}")
                bounds.append([1.0 - g.spread, 1.0 + g.spread])
                groups.append(g.name)
                nominal.append(1.0)
    if not names:
        raise SpecError("no factors to vary")
    problem = {"num_vars": len(names), "names": names, "bounds": bounds, "groups": groups}
    return Design(problem=problem, groups=groups, nominal=np.array(nominal))


def apply_sample(
    spec: SensitivitySpec, base: dict[str, Any], d: Design, row: Floats
) -> dict[str, Any]:
    """The scenario dictionary at one sampled point: factors set, share groups renormalised.

    Variables not in the design keep the scenario's values.
    """
    out = copy.deepcopy(base)
    by_name = dict(zip(d.problem["names"], row, strict=True))
    for f in spec.factors:
        if f.name in by_name:
            set_value(out, f.set, float(by_name[f.name]))
    for g in spec.shares:
        items = out.get(g.items)
        if not isinstance(items, list):
            continue
        factors = [by_name.get(f"{g.name}: {it.get('name', i)}") for i, it in enumerate(items)]
        if all(x is None for x in factors):
            continue
        original = [it[g.field] for it in items]
        raw = [
            float(v) * (1.0 if x is None else float(x))
            for v, x in zip(original, factors, strict=True)
        ]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in original):
            # Whole numbers (place populations): the group keeps its total, divided by
            # largest remainder, so every value stays a whole number.
            parts = split(np.array(sum(original)), np.array(raw))
            for it, n in zip(items, parts, strict=True):
                it[g.field] = int(n)
        else:
            total = sum(raw)
            shares = [round(r / total, 12) for r in raw]
            shares[-1] = round(1.0 - sum(shares[:-1]), 12)  # sums to 1 within rounding
            for it, v in zip(items, shares, strict=True):
                it[g.field] = v
    return out


@dataclass(frozen=True)
class MorrisResult:
    """Morris indices of one output: per group, ``mu*`` (its confidence) and ``sigma``."""

    output: str
    groups: list[str]
    mu_star: Floats
    mu_star_conf: Floats
    sigma: Floats


@dataclass(frozen=True)
class SobolResult:
    """Sobol' indices of one output: per group, first-order and total, with confidences."""

    output: str
    groups: list[str]
    s1: Floats
    s1_conf: Floats
    st: Floats
    st_conf: Floats


def morris_points(d: Design, trajectories: int, seed: int) -> Floats:
    """The Morris sample: ``trajectories x (groups + 1)`` points."""
    out: Floats = morris_sample.sample(
        d.problem, N=trajectories, num_levels=MORRIS_LEVELS, seed=seed
    )
    return out


def morris_stage(
    d: Design, x: Floats, y: Floats, outputs: list[str], seed: int
) -> list[MorrisResult]:
    """Morris indices of each output column of ``y`` (shape (points, outputs))."""
    out = []
    for k, name in enumerate(outputs):
        r = morris_analyze.analyze(
            d.problem, x, y[:, k], num_levels=MORRIS_LEVELS, seed=seed, print_to_console=False
        )
        out.append(
            MorrisResult(
                output=name,
                groups=[str(g) for g in r["names"]],
                mu_star=np.nan_to_num(np.asarray(r["mu_star"], dtype=np.float64)),
                mu_star_conf=np.nan_to_num(np.asarray(r["mu_star_conf"], dtype=np.float64)),
                # SALib gives no sigma for a group of several variables: NaN, not 0.
                sigma=np.asarray(r["sigma"], dtype=np.float64),
            )
        )
    return out


def ranked(results: list[MorrisResult]) -> list[str]:
    """Groups by importance: their largest ``mu*`` over outputs, each output's scaled to 1."""
    score: dict[str, float] = {}
    for r in results:
        top = float(r.mu_star.max(initial=0.0))
        for g, m in zip(r.groups, r.mu_star, strict=True):
            score[g] = max(score.get(g, 0.0), float(m) / top if top > 0 else 0.0)
    return sorted(score, key=lambda g: -score[g])


def sobol_points(d: Design, samples: int, seed: int) -> Floats:
    """The Saltelli sample: ``samples x (groups + 2)`` points (``samples`` a power of 2)."""
    out: Floats = sobol_sample.sample(
        d.problem, samples, calc_second_order=False, scramble=True, seed=seed
    )
    return out


def sobol_stage(d: Design, y: Floats, outputs: list[str], seed: int) -> list[SobolResult]:
    """Sobol' indices of each output column of ``y`` (shape (points, outputs))."""
    out = []
    groups = list(dict.fromkeys(d.groups))
    for k, name in enumerate(outputs):
        col = y[:, k]
        if np.ptp(col) == 0:
            zero = np.zeros(len(groups))
            out.append(SobolResult(name, groups, zero, zero, zero, zero))
            continue
        r = sobol_analyze.analyze(
            d.problem, col, calc_second_order=False, seed=seed, print_to_console=False
        )
        out.append(
            SobolResult(
                output=name,
                groups=groups,
                s1=np.asarray(r["S1"], dtype=np.float64),
                s1_conf=np.asarray(r["S1_conf"], dtype=np.float64),
                st=np.asarray(r["ST"], dtype=np.float64),
                st_conf=np.asarray(r["ST_conf"], dtype=np.float64),
            )
        )
    return out

"""Simulated moments: the model's value of each target at a parameter vector.

Every evaluation runs the same replication indices under the same seed (common random
numbers), so that the only thing that changes between two evaluations is the parameters:
the objective is then a deterministic, piecewise-smooth function that a gradient-based
optimiser can follow, and differences between nearby points are not swamped by noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.analysis.measures import headline_measures
from sim.calibration.history import DATA_DIR
from sim.calibration.spec import (
    CalibrationSpec,
    SpecError,
    current_value,
    load_spec,
    target_values,
    with_values,
)
from sim.engine.runner import run
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.loader import display_path, parse_scenario, resolve_file

Floats = npt.NDArray[np.float64]


@dataclass
class Problem:
    """A calibration ready to evaluate: the scenario, the targets and the free parameters."""

    spec: CalibrationSpec
    scenario_path: Path
    base: dict[str, Any]
    #: Published value of each target, shape (K,).
    targets: Floats
    #: How closely each target should be met (a standard deviation), shape (K,).
    sds: Floats
    replications: int
    seed: int
    #: The scenario as validated, with every default filled in (where starts are read).
    parsed: dict[str, Any] = field(default_factory=dict)
    #: Model evaluations so far (each a run of ``replications`` replications).
    evaluations: int = field(default=0)

    @property
    def lower(self) -> Floats:
        return np.array([p.low for p in self.spec.parameters])

    @property
    def upper(self) -> Floats:
        return np.array([p.high for p in self.spec.parameters])

    @property
    def start(self) -> Floats:
        """The scenario's own values of the free parameters, clipped into their ranges."""
        doc = self.parsed or self.base
        values = np.array([current_value(doc, p.set) for p in self.spec.parameters])
        out: Floats = np.clip(values, self.lower, self.upper)
        return out

    def scenario(self, values: Floats) -> Scenario:
        """The scenario with the free parameters at ``values``."""
        source = display_path(self.scenario_path)
        data = with_values(self.base, self.spec, [float(v) for v in values])
        data["seed"], data["replications"] = self.seed, self.replications
        return parse_scenario(data, source, self.scenario_path.stem)

    def draws(self, values: Floats) -> Floats:
        """Each target's value in each replication, shape (R, K)."""
        res = run(self.scenario(values))
        self.evaluations += 1
        found = {(m.name, m.detail): m.values for m in headline_measures(res)}
        cols = []
        for t in self.spec.targets:
            key = (t.measure, t.detail)
            if key not in found:
                raise SpecError(f"the model has no measure {t.measure} for {t.detail!r}")
            cols.append(np.asarray(found[key], dtype=np.float64))
        return np.column_stack(cols)

    def residuals(self, values: Floats) -> Floats:
        """(model mean - history) / sd for each target, shape (K,)."""
        out: Floats = (self.draws(values).mean(axis=0) - self.targets) / self.sds
        return out


def prepare(
    spec_path: Path,
    replications: int | None = None,
    seed: int | None = None,
    data_dir: Path = DATA_DIR,
) -> Problem:
    """Read a calibration file, its scenario and its targets.

    Raises:
        SpecError, DataError, ScenarioError: naming the file and the reason.
    """
    spec, scenario_path = load_spec(spec_path)
    base = resolve_file(scenario_path)
    if "sweep" in base:
        raise SpecError(
            f"{display_path(scenario_path)}: a calibration needs one scenario, not a sweep"
        )
    targets = np.array(target_values(spec, data_dir))
    sds = np.array([t.sd or spec.sd for t in spec.targets])
    plain = parse_scenario(base, display_path(scenario_path), scenario_path.stem)
    problem = Problem(
        spec=spec,
        scenario_path=scenario_path,
        base=base,
        targets=targets,
        sds=sds,
        replications=replications or plain.replications,
        seed=plain.seed if seed is None else seed,
        parsed=plain.model_dump(by_alias=True),
    )
    check(problem, spec_path)
    return problem


def check(problem: Problem, spec_path: Path) -> None:
    """Every free parameter names a field of the scenario that takes its whole range, and
    every target a measure the model gives, before any fitting: a one-line SpecError
    naming the calibration file otherwise."""
    where = display_path(spec_path)
    for i, p in enumerate(problem.spec.parameters):
        try:
            current_value(problem.parsed, p.set, strict=True)
        except SpecError as exc:
            raise SpecError(f"{where}: parameters[{i}].set: {exc}") from None
    for corner in (problem.lower, problem.upper):
        for i, p in enumerate(problem.spec.parameters):
            values = problem.start.copy()
            values[i] = corner[i]
            try:
                problem.scenario(values)
            except ScenarioError as exc:
                reason = str(exc).split(": ", 1)[-1]
                raise SpecError(
                    f"{where}: parameters[{i}] ({p.name}) at {corner[i]:g}: {reason}"
                ) from None
    sample = problem.scenario(problem.start)
    found = {(m.name, m.detail) for m in headline_measures(run(sample, range(1), check=False))}
    for i, t in enumerate(problem.spec.targets):
        if (t.measure, t.detail) not in found:
            raise SpecError(
                f"{where}: targets[{i}].detail: the model gives no {t.measure} for "
                f"{t.detail!r} in this scenario"
            )

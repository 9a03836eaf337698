"""A sensitivity study: Morris on every factor, then Sobol' on the ones that matter.

Both stages' points run through the batch machinery (:mod:`sim.calibration.sample_runs`)
into ``<out>/sensitivity-<scenario>/samples/``; the results are written beside them
(:mod:`sim.calibration.report`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.analysis.measures import headline_measures, info
from sim.batch.backends import Backend
from sim.calibration.outputs import claim
from sim.calibration.sample_runs import evaluate, output_key, point_scenarios
from sim.calibration.sensitivity import (
    MorrisResult,
    Output,
    SensitivitySpec,
    SobolResult,
    apply_sample,
    design,
    morris_points,
    morris_stage,
    ranked,
    sobol_points,
    sobol_stage,
)
from sim.calibration.spec import SpecError, current_value, set_value
from sim.engine.runner import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import display_path, parse_scenario, resolve_file

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Study:
    """What a sensitivity study found."""

    scenario: str
    out: Path
    outputs: list[str]
    morris: list[MorrisResult]
    #: The groups Sobol' was computed for (Morris's highest), and its results.
    chosen: list[str]
    sobol: list[SobolResult]
    runs: int
    replications: int
    seed: int


def output_label(o: Output) -> str:
    """An output in plain words: the measure's label and its detail."""
    detail = "final year" if o.detail == "last" else o.detail
    return f"{info(o.measure).label} ({detail})"


def check_study(spec: SensitivitySpec, base: dict[str, Any], spec_path: Path, source: str) -> None:
    """Every factor names a field the scenario takes over its whole range, every share group
    a list of items with that field, and every output a measure the model gives, before
    anything runs: a one-line SpecError naming the sensitivity file otherwise."""
    where = display_path(spec_path)
    parsed = parse_scenario(base, source).model_dump(by_alias=True)
    for i, f in enumerate(spec.factors):
        try:
            alone = copy.deepcopy(parsed)
            set_value(alone, f.set, current_value(parsed, f.set, strict=True))
            parse_scenario(alone, source)
        except SpecError as exc:
            raise SpecError(f"{where}: factors[{i}].set: {exc}") from None
        except ScenarioError as exc:
            reason = str(exc).split(": ", 1)[-1]
            raise SpecError(f"{where}: factors[{i}].set: {reason}") from None
    for i, g in enumerate(spec.shares):
        items = parsed.get(g.items)
        if not isinstance(items, list) or len(items) < 2:
            raise SpecError(f"{where}: shares[{i}].items: the scenario has no list {g.items!r}")
        if not all(
            isinstance(it, dict) and isinstance(it.get(g.field), int | float) for it in items
        ):
            raise SpecError(f"{where}: shares[{i}].field: no number {g.field!r} in every item")
    d = design(spec, parsed)
    lo, hi = np.array(d.problem["bounds"]).T
    for k, name in enumerate(d.problem["names"]):
        for corner in (lo, hi):
            row = d.nominal.copy()
            row[k] = corner[k]
            try:
                parse_scenario(apply_sample(spec, parsed, d, row), source)
            except ScenarioError as exc:
                reason = str(exc).split(": ", 1)[-1]
                raise SpecError(f"{where}: {name} at {corner[k]:g}: {reason}") from None
    sample = parse_scenario(parsed, source)
    found = {(m.name, m.detail) for m in headline_measures(run(sample, range(1), check=False))}
    for i, o in enumerate(spec.outputs):
        if output_key(sample, o) not in found:
            raise SpecError(
                f"{where}: outputs[{i}].detail: the model gives no {o.measure} for "
                f"{o.detail!r} in this scenario"
            )


def run_study(
    path: Path,
    spec: SensitivitySpec,
    *,
    spec_path: Path,
    out: Path,
    backend: Backend,
    replications: int,
    seed: int | None,
    trajectories: int,
    samples: int,
    top: int,
    resume: bool,
    say: Callable[..., None],
) -> Study:
    """Run both stages on the scenario file at ``path``."""
    source = display_path(path)
    base: dict[str, Any] = resolve_file(path)
    if "sweep" in base:
        raise SpecError(f"{source}: a sensitivity study needs one scenario, not a sweep")
    plain = parse_scenario(base, source, path.stem)
    base = {**base, "name": plain.name, "replications": replications}
    base["seed"] = plain.seed if seed is None else seed
    check_study(spec, base, spec_path, source)
    folder = out / f"sensitivity-{plain.name}"
    claim(folder, "sensitivity")
    samples_dir = folder / "samples"
    outputs = [output_label(o) for o in spec.outputs]

    def progress(stage: str) -> Callable[[int, int], None]:
        return lambda done, total: say(f"sensitivity: {stage}: {done} of {total} runs")

    d = design(spec, base)
    x = morris_points(d, trajectories, base["seed"] % 2**32)
    runs = point_scenarios(x, lambda row: apply_sample(spec, base, d, row), plain.name, "m", source)
    y = evaluate(runs, spec.outputs, samples_dir, backend, resume, progress("Morris"))
    morris = morris_stage(d, x, y, outputs, base["seed"] % 2**32)
    say(f"sensitivity: Morris done ({len(runs)} runs)", final=True)
    chosen = ranked(morris)[: max(1, top)]
    d2 = design(spec, base, only=chosen)
    x2 = sobol_points(d2, samples, base["seed"] % 2**32)
    runs2 = point_scenarios(
        x2, lambda row: apply_sample(spec, base, d2, row), plain.name, "s", source
    )
    y2 = evaluate(runs2, spec.outputs, samples_dir, backend, resume, progress("Sobol'"))
    sobol = sobol_stage(d2, y2, outputs, base["seed"] % 2**32)
    say(f"sensitivity: Sobol' done ({len(runs2)} runs)", final=True)
    return Study(
        scenario=plain.name,
        out=folder,
        outputs=outputs,
        morris=morris,
        chosen=list(dict.fromkeys(d2.groups)),
        sobol=sobol,
        runs=len(runs) + len(runs2),
        replications=replications,
        seed=base["seed"],
    )

"""A sensitivity study: Morris on every factor, then Sobol' on the ones that matter.

Both stages' points run through the batch machinery (:mod:`sim.calibration.sample_runs`)
into ``<out>/sensitivity-<scenario>/samples/``; the results are written beside them
(:mod:`sim.calibration.report`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.analysis.measures import info
from sim.batch.backends import Backend
from sim.calibration.outputs import claim
from sim.calibration.sample_runs import evaluate, point_scenarios
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
from sim.calibration.spec import SpecError
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


def run_study(
    path: Path,
    spec: SensitivitySpec,
    *,
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

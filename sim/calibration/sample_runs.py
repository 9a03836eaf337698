"""Running a sensitivity design's points through the batch machinery.

Each point is a scenario of its own (named ``<scenario>__<stage><index>``), run by
:func:`sim.batch.scheduler.run_batch` on the chosen backend (here, worker processes or a
Dask cluster) into the sensitivity's ``samples/`` folder, and read back with
:class:`sim.store.run_dir.RunDir`, the one reader of a finished run. With ``resume`` a point
whose outputs are already there for exactly that scenario (by hash) is not run again, so an
interrupted analysis picks up where it stopped. Every point runs the same replication
indices under the same seed (common random numbers): differences between points are the
factors' effects, not noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.batch.backends import Backend
from sim.batch.scheduler import run_batch
from sim.calibration.sensitivity import Output
from sim.scenario.format import Scenario
from sim.scenario.loader import parse_scenario
from sim.store.run_dir import RunDir
from sim.units.calendar import Calendar

Floats = npt.NDArray[np.float64]


class SampleRunError(RuntimeError):
    """A point of the design could not be run: names it and the reason."""


def output_key(scenario: Scenario, output: Output) -> tuple[str, str]:
    """The (measure, detail) an output reads in a run of ``scenario`` ('last' resolved)."""
    if output.detail == "last":
        cal = Calendar(scenario.start_year, scenario.horizon_years)
        return output.measure, cal.financial_year(scenario.horizon_years - 1)
    return output.measure, output.detail


def point_scenarios(
    rows: Floats,
    make: Callable[[Floats], dict[str, Any]],
    name: str,
    stage: str,
    source: str,
) -> list[Scenario]:
    """One scenario per sampled point, validated (an invalid point is a SampleRunError)."""
    out = []
    for i, row in enumerate(rows):
        data = make(row)
        data["name"] = f"{name}__{stage}{i:04d}"
        try:
            out.append(parse_scenario(data, f"{source} ({stage} point {i})"))
        except Exception as exc:
            raise SampleRunError(f"{stage} point {i}: {exc}") from None
    return out


def evaluate(
    scenarios: Sequence[Scenario],
    outputs: Sequence[Output],
    out_dir: Path,
    backend: Backend,
    resume: bool,
    on_done: Callable[[int, int], None] | None = None,
) -> Floats:
    """Each output's mean over replications at each point, shape (points, outputs)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [sc for sc in scenarios if not (resume and RunDir(out_dir / sc.name).is_up_to_date(sc))]
    done = len(scenarios) - len(todo)
    if on_done is not None:
        on_done(done, len(scenarios))
    if todo:
        for outcome in run_batch(todo, out_dir, backend):
            if outcome.error is not None:
                raise SampleRunError(f"{outcome.scenario.name}: run failed: {outcome.error}")
            done += 1
            if on_done is not None:
                on_done(done, len(scenarios))
    y = np.empty((len(scenarios), len(outputs)))
    for i, sc in enumerate(scenarios):
        found = {(m.name, m.detail): m.values for m in RunDir(out_dir / sc.name).measures()}
        for k, o in enumerate(outputs):
            key = output_key(sc, o)
            if key not in found:
                raise SampleRunError(f"{sc.name}: no measure {key[0]} for {key[1]!r}")
            y[i, k] = float(np.mean(found[key]))
    return y

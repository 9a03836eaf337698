"""A snapshot of the baseline summary, so that any change in results shows up in review.

Regenerate after an intended model change with ``SNAPSHOT_UPDATE=1 make test`` and explain
the diff of ``tests/snapshots/baseline_summary.csv`` in the change description.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from sim import run
from sim.analysis.summary import summarise
from sim.scenario.format import Scenario
from sim.store.writer import write_summary_csv
from tests.paths import SNAPSHOTS

SNAPSHOT = SNAPSHOTS / "baseline_summary.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_baseline_summary_matches_snapshot(baseline: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "summary.csv"
    write_summary_csv(summarise(run(baseline)), out)
    if os.environ.get("SNAPSHOT_UPDATE"):
        SNAPSHOT.write_text(out.read_text())
    got, want = _read(out), _read(SNAPSHOT)
    assert [(r["measure"], r["detail"]) for r in got] == [(r["measure"], r["detail"]) for r in want]
    for g, w in zip(got, want, strict=True):
        for col in ("n", "mean", "sd", "ci95_low", "ci95_high", "p05", "p50", "p95"):
            a, b = float(g[col]), float(w[col])
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (
                g["measure"],
                g["detail"],
                col,
                a,
                b,
            )

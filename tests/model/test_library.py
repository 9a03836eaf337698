"""The scenario library (scenarios/*.toml): every file opens with its question, validates,
runs, conserves money and keeps its ring-fences."""

from __future__ import annotations

from pathlib import Path

from sim import run
from sim.scenario.loader import load_scenario
from tests.invariants import assert_conserved, assert_ring_fences_hold


def test_every_scenario_in_the_library_validates(root: Path) -> None:
    files = sorted((root / "scenarios").glob("*.toml"))
    assert files
    for f in files:
        load_scenario(f)


def test_every_scenario_in_the_library_runs(root: Path) -> None:
    for f in sorted((root / "scenarios").glob("*.toml")):
        text = f.read_text()
        assert text.startswith("#"), f"{f.name} must open with a comment: its question and sources"
        res = run(load_scenario(f), replications=range(3))
        assert_conserved(res)
        assert_ring_fences_hold(res)

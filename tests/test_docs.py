"""The documentation stays true to the code."""

from __future__ import annotations

from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.scenario.reference import BEGIN, END, render


def test_scenario_reference_is_current(root: Path) -> None:
    text = (root / "docs" / "scenarios.md").read_text()
    committed = text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"
    assert committed == render(), "regenerate docs/scenarios.md: python -m sim schema --markdown"


def test_every_scenario_in_the_library_validates(root: Path) -> None:
    files = sorted((root / "scenarios").glob("*.toml"))
    assert files
    for f in files:
        load_scenario(f)


def test_every_scenario_in_the_library_runs(root: Path) -> None:
    from sim import run
    from tests.invariants import assert_conserved, assert_ring_fences_hold

    for f in sorted((root / "scenarios").glob("*.toml")):
        text = f.read_text()
        assert text.startswith("#"), f"{f.name} must open with a comment: its question and sources"
        res = run(load_scenario(f), replications=range(3))
        assert_conserved(res)
        assert_ring_fences_hold(res)

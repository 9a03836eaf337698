"""The documentation stays true to the code."""

from __future__ import annotations

from pathlib import Path

from sim.analysis.measures import REGISTRY, headline_measures, markdown
from sim.scenario.loader import load_scenario
from sim.scenario.reference import BEGIN, END, render


def test_scenario_reference_is_current(root: Path) -> None:
    text = (root / "docs" / "scenarios.md").read_text()
    committed = text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"
    assert committed == render(), "regenerate docs/scenarios.md: python -m sim schema --markdown"


def test_measure_reference_is_current(root: Path) -> None:
    committed = (root / "docs" / "measures.md").read_text()
    assert committed == markdown(), "regenerate docs/measures.md: python -m sim measures --markdown"


def test_every_measure_a_run_gives_is_in_the_registry(root: Path) -> None:
    from sim import run

    # Two places, so the fairness measures are computed too.
    res = run(load_scenario(root / "scenarios" / "board_22_places.toml"), replications=range(2))
    names = {m.name for m in headline_measures(res)}
    assert names == set(REGISTRY), (
        "every measure computed is registered, and every registered one computed"
    )
    for m in headline_measures(res):
        assert m.unit == REGISTRY[m.name].unit


def test_architecture_names_every_layer_of_the_import_contract(root: Path) -> None:
    import tomllib

    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    packages = [name.strip() for row in layers for name in row.split("|")]
    page = (root / "docs" / "architecture.md").read_text()
    diagram = (root / "docs" / "architecture.dot").read_text()
    for name in packages:
        assert f"`{name}`" in page, f"docs/architecture.md does not describe {name}"
        if name != "sim.version":
            assert name in diagram, f"docs/architecture.dot does not draw {name}"
    # Every package of sim/ is in the contract, so none escapes the layering.
    on_disk = {f"sim.{p.name}" for p in (root / "sim").iterdir() if (p / "__init__.py").exists()}
    assert on_disk <= {n for n in packages} | {
        n.rsplit(".", 1)[0] for n in packages if n.startswith("sim.scenario.")
    }

"""Reproducible bytes: the same scenario and seed give the same files, byte for byte, so runs
can be compared by hash; and the deficit's sign in the files is the one the docs give."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import load_scenario, run
from sim.analysis.monthly import Digest, Sketch
from sim.analysis.summary import measures_from_table
from sim.cli import main
from sim.store.outputs import Outputs
from sim.store.tables import bands_table
from sim.store.writer import part_tables
from sim.units.money import PENCE_PER_MILLION
from tests.paths import ROOT, SCENARIOS

#: A single place and several places (labels by place and sector differ).
FILES = ("baseline.toml", "board_22_places.toml")
#: The docs that give the deficit's sign in the files.
DOCS = ("batch.md", "model.md")


def _hashes(run_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(run_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("file", FILES)
def test_label_dictionaries_hold_each_label_once(file: str) -> None:
    """A dictionary with a label twice (each month of a financial year, or two sectors of
    one kind) is what made Arrow's Parquet writer write different bytes each time."""
    sc = load_scenario(SCENARIOS / file).model_copy(update={"replications": 3})
    res = run(sc)
    tables = part_tables(res, Outputs("full"))
    tables["bands"] = bands_table(Sketch.from_digest(Digest.from_results(res)))
    for name, table in tables.items():
        for column in table.column_names:
            if pa.types.is_dictionary(table.schema.field(column).type):
                labels = table[column].combine_chunks().dictionary.to_pylist()
                assert len(labels) == len(set(labels)), f"{name}.{column}: {labels}"


def test_same_scenario_and_seed_give_the_same_bytes(tmp_path: Path) -> None:
    """Two runs in one process (the bytes used to depend on the memory the writer was
    given); every file of both runs, the Parquet parts, the CSV files, the manifest and the
    report."""
    files = [str(SCENARIOS / f) for f in FILES]
    for out in ("a", "b"):
        args = ["run", *files, "-n", "5", "--seed", "11", "--out", str(tmp_path / out), "-q"]
        args += ["--outputs", "full"]
        assert main(args) == 0
    for f in FILES:
        name = load_scenario(SCENARIOS / f).name
        a, b = _hashes(tmp_path / "a" / name), _hashes(tmp_path / "b" / name)
        assert a.keys() == b.keys() and "timeseries.parquet/part-00000000.parquet" in a
        assert "bands.parquet" in a
        assert a == b, [k for k in a if a[k] != b[k]]
    report = [(tmp_path / d / "report.html").read_bytes() for d in ("a", "b")]
    assert report[0] == report[1]


def test_the_deficit_in_the_files_is_positive_when_owed(tmp_path: Path) -> None:
    """``deficit_pence`` in monthly.parquet is what the system owes (positive = debt), as
    docs/batch.md and docs/model.md say; the last month's is the ``system_deficit``
    measure, and the in-memory deficit account is its negative."""
    sc = load_scenario(SCENARIOS / "baseline.toml").model_copy(update={"replications": 8})
    args = ["run", str(SCENARIOS / "baseline.toml"), "-n", "8", "--out", str(tmp_path)]
    assert main([*args, "--outputs", "full"]) == 0
    monthly = pq.read_table(tmp_path / "baseline" / "monthly.parquet")
    months = 12 * sc.horizon_years
    owed = np.asarray(monthly["deficit_pence"]).reshape(8, months)
    res = run(sc)
    np.testing.assert_array_equal(owed, -res.system_series["deficit"])
    measures = measures_from_table(pq.read_table(tmp_path / "baseline" / "measures.parquet"))
    (system_deficit,) = [m for m in measures if m.name == "system_deficit"]
    np.testing.assert_allclose(owed[:, -1] / PENCE_PER_MILLION, system_deficit.values)
    assert (owed[:, -1] > 0).any(), "the baseline ends some replications in debt"
    batch, model = (" ".join((ROOT / "docs" / f).read_text().split()) for f in DOCS)
    assert "`deficit_pence` (positive = owed" in batch
    assert "`deficit` (negative = debt)" not in model
    assert "give what is owed instead, positive = owed, as `deficit_pence` in" in model

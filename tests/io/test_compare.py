"""python -m sim compare: run directories and scenario files, paired by replication."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim import load_scenario
from sim.analysis.compare import short_detail
from sim.analysis.measures import ALL_SPENDING
from sim.cli import main


def test_compare_run_directories_and_files_agree(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = (
        root / "scenarios" / "board_10_statutory.toml",
        root / "scenarios" / "board_ccg_like.toml",
    )
    assert main(["run", str(a), str(b), "-n", "8", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert (
        main(["compare", str(tmp_path / "board_10_statutory"), str(tmp_path / "board_ccg_like")])
        == 0
    )
    from_dirs = capsys.readouterr().out
    assert main(["compare", str(a), str(b), "-n", "8"]) == 0
    from_files = capsys.readouterr().out
    assert from_dirs == from_files
    assert "primary_care_share" in from_dirs and "P(B>A)" in from_dirs
    # Every measure of the runs, each sector's rows of the per-sector measures, and the
    # "better" column from the registry's direction (lower is better for these two).
    table = [re.split(r"\s{2,}", x) for x in from_dirs.splitlines()[3:] if x[:1].islower()]
    got = {(r[0], r[1]) for r in table}
    run_b = pq.read_table(tmp_path / "board_ccg_like" / "measures.parquet").to_pydict()
    assert got == {
        (m, short_detail(d)) for m, d in zip(run_b["measure"], run_b["detail"], strict=True)
    }
    sectors = load_scenario(b).sectors
    assert {d for m, d in got if m == "real_growth"} == {s.name for s in sectors} | {ALL_SPENDING}
    capped = {s.name for s in sectors if s.spending == "capped"}
    for row in table:
        if row[0] in ("moved_out", "unmet_need"):
            assert row[1] in capped, row
            difference = float(row[4].replace(",", ""))
            better = row[7] if len(row) > 7 else ""
            assert better == ("" if difference == 0 else "A" if difference > 0 else "B"), row
    assert {"left_shift", "underlying_deficit", "deficit_repaid"} <= {m for m, _ in got}


def test_compare_refuses_unpaired_runs(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = root / "scenarios" / "baseline.toml"
    assert main(["run", str(base), "-n", "4", "--out", str(tmp_path / "x")]) == 0
    assert main(["run", str(base), "-n", "6", "--out", str(tmp_path / "y")]) == 0
    capsys.readouterr()
    assert (
        main(["compare", str(tmp_path / "x" / "baseline"), str(tmp_path / "y" / "baseline")]) == 2
    )
    assert "different replications" in capsys.readouterr().err

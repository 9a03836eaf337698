"""python -m sim compare: run directories and scenario files, paired by replication."""

from __future__ import annotations

from pathlib import Path

import pytest

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

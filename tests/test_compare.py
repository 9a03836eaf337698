"""Paired comparison of two scenarios by replication (common random numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from sim.analysis.compare import NotPaired, breach_chance, paired_rows
from sim.cli import main


def table(reps: list[int], measure: str, values: list[float], unit: str = "£m") -> pa.Table:
    n = len(reps)
    return pa.table(
        {
            "replication": reps,
            "measure": [measure] * n,
            "detail": ["cumulative"] * n,
            "unit": [unit] * n,
            "value": values,
        }
    )


def test_paired_difference_and_its_interval() -> None:
    a = table([0, 1, 2, 3], "system_deficit", [10.0, 20.0, 30.0, 40.0])
    b = table([3, 2, 1, 0], "system_deficit", [43.0, 31.0, 22.0, 11.0])  # any row order
    (row,) = paired_rows(a, b, {"system_deficit": 0.5})
    d = np.array([1.0, 2.0, 1.0, 3.0])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert row.difference == pytest.approx(1.75)
    assert (row.ci95_low, row.ci95_high) == pytest.approx((1.75 - half, 1.75 + half))
    assert row.p_b_higher == 1.0
    assert row.better == "A"  # a higher deficit is worse
    assert row.replications_needed == int(np.ceil((1.96 * d.std(ddof=1) / 0.5) ** 2))


def test_runs_with_different_replications_are_not_paired() -> None:
    with pytest.raises(NotPaired):
        paired_rows(
            table([0, 1], "system_deficit", [1.0, 2.0]), table([0, 2], "system_deficit", [1.0, 2.0])
        )


def test_breach_chance() -> None:
    t = table([0, 1, 2, 3], "system_deficit", [0.0, 5.0, 12.0, 30.0])
    assert breach_chance(t, 10.0) == (0.5, 0.0)


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

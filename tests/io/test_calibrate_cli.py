"""``python -m sim calibrate`` and ``python -m sim sensitivity``: what they write, their
one-line errors, resuming, and never replacing a folder that is not theirs."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sim.cli import main
from tests.paths import ROOT, SCENARIOS

DATA = ROOT / "data"


def _spec(tmp_path: Path, parameters: int = 1) -> Path:
    """The shipped calibration file with only its first parameters free (fast)."""
    doc = tomllib.loads((DATA / "calibration.toml").read_text(encoding="utf-8"))
    doc["scenario"] = str(SCENARIOS / "history_2016_2023.toml")
    doc["parameters"] = doc["parameters"][:parameters]
    path = tmp_path / "calibration.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def test_calibrate_writes_its_fit_and_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "calibrate",
            str(_spec(tmp_path)),
            "-n",
            "4",
            "--screen",
            "0",
            "--backtest",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    folder = out / "calibration-history_2016_2023"
    for name in (
        "parameters.csv",
        "fit.csv",
        "fitted.toml",
        "fit.svg",
        "backtest.csv",
        "backtest.svg",
        "manifest.json",
    ):
        assert (folder / name).is_file(), name
    rows = list(csv.DictReader((folder / "fit.csv").open()))
    assert [r["target"] for r in rows][:2] == ["acute", "mental health"]
    assert all(
        float(r["model_p05"]) <= float(r["model_mean"]) <= float(r["model_p95"]) for r in rows
    )
    fitted = tomllib.loads((folder / "fitted.toml").read_text())
    assert list(fitted["fitted"]) == ["sectors[acute].need_growth"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["complete"] is True
    text = capsys.readouterr().out
    assert "acute need growth" in text and "Backtest" in text


def test_a_bad_calibration_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("scenario = 3\n", encoding="utf-8")
    assert main(["calibrate", str(bad), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(bad)) and "\n" not in err and "Traceback" not in err
    assert main(["calibrate", str(tmp_path / "missing.toml"), "-q"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_calibrate_never_replaces_a_folder_that_is_not_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "out" / "calibration-history_2016_2023"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes")
    code = main(
        [
            "calibrate",
            str(_spec(tmp_path)),
            "-n",
            "3",
            "--screen",
            "0",
            "--out",
            str(tmp_path / "out"),
            "-q",
        ]
    )
    assert code == 1
    assert "has no manifest.json of ours" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert (mine / "notes.txt").read_text() == "my notes"


def _sensitivity_spec(tmp_path: Path) -> Path:
    doc = {
        "factors": [
            {
                "name": "acute need growth",
                "set": "sectors[acute].need_growth",
                "low": 0.01,
                "high": 0.04,
            },
            {"name": "plan pace", "set": "planning.pace", "low": 0.2, "high": 0.8},
        ],
        "shares": [{"name": "sector split", "items": "sectors", "field": "share", "spread": 0.2}],
        "outputs": [
            {"measure": "primary_care_share", "detail": "last"},
            {"measure": "system_deficit", "detail": "end of horizon"},
        ],
    }
    path = tmp_path / "sensitivity.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def test_sensitivity_runs_through_the_batch_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = [
        "sensitivity",
        str(SCENARIOS / "baseline.toml"),
        "--spec",
        str(_sensitivity_spec(tmp_path)),
        "-n",
        "3",
        "--trajectories",
        "2",
        "--samples",
        "4",
        "--top",
        "2",
        "--out",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    folder = out / "sensitivity-baseline"
    samples = sorted(p.name for p in (folder / "samples").iterdir())
    # Morris: 2 trajectories x (3 groups + 1); Sobol': 4 x (2 groups + 2).
    assert len([s for s in samples if "__m" in s]) == 8
    assert len([s for s in samples if "__s" in s]) == 16
    first = (folder / "sobol.csv").read_text()
    stamps = {p.name: p.stat().st_mtime_ns for p in (folder / "samples").iterdir()}
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert (folder / "sobol.csv").read_text() == first
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "samples").iterdir()} == stamps
    rows = list(csv.DictReader((folder / "morris.csv").open()))
    assert {r["factor"] for r in rows} == {"acute need growth", "plan pace", "sector split"}
    assert (folder / "sensitivity.svg").read_text().startswith("<svg")


def test_a_bad_sensitivity_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('[[outputs]]\nmeasure = "nope"\ndetail = "x"\n', encoding="utf-8")
    assert main(["sensitivity", str(SCENARIOS / "baseline.toml"), "--spec", str(bad), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(bad)) and "no measure 'nope'" in err and "\n" not in err


def test_sensitivity_gives_the_same_indices_on_worker_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _sensitivity_spec(tmp_path)
    common = [
        "sensitivity",
        str(SCENARIOS / "baseline.toml"),
        "--spec",
        str(spec),
        "-n",
        "2",
        "--trajectories",
        "2",
        "--samples",
        "2",
        "--top",
        "1",
        "-q",
    ]
    assert main([*common, "--out", str(tmp_path / "one")]) == 0
    assert main([*common, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    for name in ("morris.csv", "sobol.csv"):
        one = (tmp_path / "one" / "sensitivity-baseline" / name).read_text()
        two = (tmp_path / "two" / "sensitivity-baseline" / name).read_text()
        assert one == two, name


def test_a_time_budget_stops_the_fit_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["calibrate", str(_spec(tmp_path, parameters=2)), "-n", "3", "--budget", "0.01"]
    assert main([*args, "--out", str(out), "-q"]) == 0
    manifest = json.loads((out / "calibration-history_2016_2023" / "manifest.json").read_text())
    assert manifest["converged"] is False
    assert manifest["evaluations"] >= 1


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["parameters"][0].update(set="sectors[acuet].need_growth"), "no item 'acuet'"),
        (lambda d: d["parameters"][0].update(high=0.9), "must be between -0.5 and 0.5"),
        (lambda d: d["targets"][0].update(detail="accute"), "gives no real_growth for 'accute'"),
    ],
)
def test_a_calibration_that_cannot_run_is_refused_before_fitting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, reason: str
) -> None:
    doc = tomllib.loads(_spec(tmp_path).read_text(encoding="utf-8"))
    edit(doc)
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["calibrate", str(bad), "-n", "2", "--screen", "0", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(bad)) and reason in err and "\n" not in err
    assert not out.exists()


def test_calibrate_results_are_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = str(_spec(tmp_path))
    common = ["calibrate", spec, "-n", "2", "--screen", "0", "--out", str(out), "-q"]
    assert main([*common, "--backtest"]) == 0
    folder = out / "calibration-history_2016_2023"
    assert (folder / "backtest.csv").exists()
    assert main(common) == 0
    # No stale backtest beside a manifest that says there was none.
    assert not (folder / "backtest.csv").exists() and not (folder / "backtest.svg").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["factors"][1].update(set="planning.pacee"), "factors[1].set"),
        (lambda d: d["factors"][0].update(set="sectors[acuet].need_growth"), "no item 'acuet'"),
        (lambda d: d["outputs"][0].update(detail="first year"), "outputs[0].detail"),
        (lambda d: d["shares"][0].update(field="shar"), "shares[0].field"),
    ],
)
def test_a_sensitivity_study_that_cannot_run_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, reason: str
) -> None:
    doc = tomllib.loads(_sensitivity_spec(tmp_path).read_text(encoding="utf-8"))
    edit(doc)
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(doc), encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "sensitivity",
            str(SCENARIOS / "baseline.toml"),
            "--spec",
            str(bad),
            "-n",
            "2",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(bad)) and reason in err and "\n" not in err
    assert not out.exists()

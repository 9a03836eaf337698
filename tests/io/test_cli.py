"""The command line: outputs as contracted, exit codes, provenance, explanations."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import tomli_w

from sim import load_scenario, run
from sim.analysis.explain import explain as explain_meeting
from sim.cli import main
from sim.scenario.loader import parse_scenario
from sim.store.writer import (
    FULL_OUTPUT_FILES,
    decisions_table,
    scenario_hash,
    transfers_table,
)
from tests.paths import ROOT, SCENARIOS

BASELINE: dict[str, Any] = tomllib.loads((SCENARIOS / "baseline.toml").read_text())
KINDS = "'primary', 'secondary', 'community', 'mental_health' or 'other'"


def test_run_writes_the_contracted_files(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(baseline_path), "--replications", "6", "--seed", "7", "--outputs", "full"]
    code = main([*args, "--out", str(tmp_path)])
    assert code == 0
    out_dir = tmp_path / "baseline"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(FULL_OUTPUT_FILES)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 6
    assert manifest["scenario"]["replications"] == 6
    assert manifest["package_version"]
    sc = load_scenario(baseline_path).model_copy(update={"replications": 6, "seed": 7})
    assert manifest["scenario_hash"] == scenario_hash(sc)
    ts = pq.read_table(out_dir / "timeseries.parquet")
    months, sectors = 60, len(sc.sectors)
    assert ts.num_rows == 6 * months * sectors
    assert {
        "replication",
        "month",
        "period",
        "financial_year",
        "place",
        "sector",
        "kind",
        "budget_pence",
        "need_pence",
        "spend_pence",
        "unmet_pence",
    } <= set(ts.column_names)
    # The files carry the same numbers as the results API.
    res = run(sc)
    np.testing.assert_array_equal(
        ts.column("spend_pence").to_numpy(), res.series["spend"].reshape(-1)
    )
    tr = pq.read_table(out_dir / "transfers.parquet")
    # Every transfer but monthly spending, which is the time series' spend_pence.
    journal = res.transfers()
    spending = np.array([journal.reasons[k] == "spending" for k in journal.reason])
    assert tr.column("amount_pence").to_numpy().sum() == journal.amount[~spending].sum()
    assert journal.amount[spending].sum() == ts.column("spend_pence").to_numpy().sum()
    reasons = set(tr.column("reason").to_pylist())
    assert reasons >= {"annual plan", "allocation from NHS England"}
    assert "spending" not in reasons
    printed = capsys.readouterr().out
    assert "primary_care_share" in printed and "95% CI" in printed


def test_a_batch_writes_one_report_of_its_scenarios(root: Path, tmp_path: Path) -> None:
    files = [root / "scenarios" / f for f in ("board_10_statutory.toml", "board_ccg_like.toml")]
    assert main(["run", *map(str, files), "-n", "3", "--out", str(tmp_path), "-q"]) == 0
    html = (tmp_path / "report.html").read_text()
    assert 'data-variant="board_10_statutory"' in html and 'data-variant="board_ccg_like"' in html
    # A resumed batch still reports every scenario of the command, skipped or run.
    more = [*files, root / "scenarios" / "baseline.toml"]
    assert main(["run", *map(str, more), "-n", "3", "--out", str(tmp_path), "-q", "--resume"]) == 0
    html = (tmp_path / "report.html").read_text()
    names = ("board_10_statutory", "board_ccg_like", "baseline")
    assert all(f'data-variant="{n}"' in html for n in names)


def test_rerun_replaces_outputs_whole(baseline_path: Path, tmp_path: Path) -> None:
    assert main(["run", str(baseline_path), "-n", "2", "--out", str(tmp_path)]) == 0
    assert main(["run", str(baseline_path), "-n", "3", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "baseline" / "manifest.json").read_text())
    assert manifest["replications"] == 3
    # No temporary leftovers.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline", "report.html"]


def test_a_bad_file_does_not_stop_the_good_ones(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "nowhere.toml"\n')
    code = main(["run", str(bad), str(baseline_path), "-n", "2", "--out", str(tmp_path / "out")])
    assert code == 2
    assert (tmp_path / "out" / "baseline" / "summary.csv").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "extends: parent file not found" in err[0]


def test_a_failing_run_exits_1(
    baseline_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("sim.batch.chunks.run", broken)
    assert main(["run", str(baseline_path), "-n", "2", "--out", str(tmp_path)]) == 1


def test_validate_and_schema(baseline_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(baseline_path)]) == 0
    assert "ok: baseline" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert "ring_fences" in schema["properties"]


def test_bad_arguments_exit_2(baseline_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(baseline_path), "--replications", "0"])
    assert info.value.code == 2


def test_module_entry_point(baseline_path: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(baseline_path), "-n", "3", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_set_overrides_a_field_and_names_the_variant(baseline_path: Path, tmp_path: Path) -> None:
    from sim.scenario.loader import load_scenario

    sc = load_scenario(
        baseline_path, ["board.rule=two_thirds", "sectors[1].need_growth=0.03", "seed=7"]
    )
    assert sc.board.rule == "two_thirds" and sc.sectors[1].need_growth == 0.03 and sc.seed == 7
    assert sc.name == "baseline__board.rule-two_thirds__sectors_1_.need_growth-0.03__seed-7"
    assert load_scenario(baseline_path, ["name=variant", "board.quorum=0.6"]).name == "variant"
    code = main(
        [
            "run",
            str(baseline_path),
            "-n",
            "2",
            "--out",
            str(tmp_path),
            "--set",
            "board.rule=unanimity",
        ]
    )
    assert code == 0
    manifest = json.loads(
        (tmp_path / "baseline__board.rule-unanimity" / "manifest.json").read_text()
    )
    assert manifest["scenario"]["board"]["rule"] == "unanimity"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sectors[9].share=0.5", "--set sectors[9].share: no item sectors[9]"),
        ("allocation.growth_rat=0.1", "allocation.growth_rat: unknown field (check the spelling)"),
        ("board.rule=two-thirds", "board.rule: must be one of"),
        ("no equals sign", "--set: must be path.to.field=value, got 'no equals sign'"),
    ],
)
def test_bad_overrides_are_one_line_errors(
    baseline_path: Path, override: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(baseline_path), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_a_sweep_runs_every_variant_and_reports_the_bad_ones(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'extends = "{(root / "scenarios" / "baseline.toml").as_posix()}"\n'
        "[sweep]\n"
        '"board.rule" = ["simple_majority", "two_thirds"]\n'
        '"board.quorum" = [0.5, 1.5]\n'
    )
    code = main(["run", str(sweep), "-n", "2", "--out", str(tmp_path / "out")])
    assert code == 2  # the two quorum = 1.5 variants are invalid, and said so once
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{sweep}: board.quorum: must be between 0 and 1, got 1.5 (in 2 of 4 variants)"]
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made.pop(0) == "report.html"
    assert made == [
        "sweep__board.rule-simple_majority__board.quorum-0.5",
        "sweep__board.rule-two_thirds__board.quorum-0.5",
    ]
    manifest = json.loads((tmp_path / "out" / made[1] / "manifest.json").read_text())
    assert manifest["scenario"]["board"]["rule"] == "two_thirds"
    assert "sweep" not in manifest["scenario"]


def test_directories_and_globs(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(root / "scenarios")]) == 0
    by_dir = capsys.readouterr().out.splitlines()
    assert main(["validate", str(root / "scenarios" / "board_*.toml")]) == 0
    by_glob = capsys.readouterr().out.splitlines()
    assert len(by_dir) == len(list((root / "scenarios").glob("*.toml")))
    assert by_glob == [line for line in by_dir if line.startswith("ok: board_")]
    assert main(["validate", str(tmp_path / "nothing*.toml")]) == 2
    assert "no files match" in capsys.readouterr().err


def test_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys as _sys

    from sim.cli.run import progress_bar as _progress_bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(_sys, "stderr", term)
    with _progress_bar("baseline", 60, quiet=False) as progress:
        assert progress is not None
        progress.within(10.5)  # within a chunk running here
        assert "10/60" in term.getvalue()
        for _ in range(3):
            progress.chunk(20)
    assert "60/60" in term.getvalue()
    with _progress_bar("baseline", 60, quiet=True) as progress:
        assert progress is None
    monkeypatch.setattr(_sys, "stderr", io.StringIO())  # not a terminal
    with _progress_bar("baseline", 60, quiet=False) as progress:
        assert progress is None


def test_resume_skips_only_up_to_date_outputs(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(baseline_path), "-n", "2", "--out", str(tmp_path), "--resume"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "up to date, skipped" in capsys.readouterr().out
    assert main([*args[:3], "3", *args[4:]]) == 0  # a different scenario (3 replications) reruns
    assert "skipped" not in capsys.readouterr().out


def test_an_interrupt_keeps_finished_outputs_and_says_what_to_rerun(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.batch.chunks

    real = sim.batch.chunks.run
    calls = []

    def interrupted(*a: object, **k: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.batch.chunks, "run", interrupted)
    files = [
        str(root / "scenarios" / f) for f in ("board_10_statutory.toml", "board_ccg_like.toml")
    ]
    assert main(["run", *files, "-n", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "not finished: board_ccg_like" in err and "--resume" in err
    assert (tmp_path / "board_10_statutory" / "manifest.json").exists()
    assert not (tmp_path / "board_ccg_like").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["board_10_statutory"]  # no half-written files


def test_a_run_too_big_for_memory_is_refused(
    baseline_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sim.batch.sizing.MEMORY_PER_CELL", 10**12)
    assert main(["run", str(baseline_path), "-n", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "refused: needs about" in err and "replications" in err


def test_run_refuses_invalid_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # so the message names the file as typed
    data = copy.deepcopy(BASELINE)
    data["horizon_years"] = 5.5
    (tmp_path / "bad.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    code = main(["run", "bad.toml", "--out", "runs", "-n", "2"])
    out = capsys.readouterr()
    assert (code, out.err) == (2, "bad.toml: horizon_years: must be a whole number, got 5.5\n")
    assert not (tmp_path / "runs").exists()


def test_command_line_subprocess(tmp_path: Path) -> None:
    """``python -m sim validate BAD``: exit code 2, the one-line message, no traceback."""
    bad = tmp_path / "bad.toml"
    data = copy.deepcopy(BASELINE)
    data["sectors"][1]["kind"] = "mental-health"
    bad.write_text(tomli_w.dumps(data), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"{bad}: sectors[1].kind: must be one of {KINDS}, got 'mental-health'\n"
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr + proc.stdout


def test_explain_from_a_run_directory(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def explain(meeting: int) -> int:
        args = ["explain", str(tmp_path), "--scenario", "baseline", "--replication", "1"]
        return main([*args, "--meeting", str(meeting)])

    # A lean run (the default) has no transfer records to explain from: one line, exit 2.
    assert main(["run", str(baseline_path), "-n", "3", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert explain(5) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--outputs full" in err, err
    # A sample of two replications explains replication 1.
    args = ["run", str(baseline_path), "-n", "3", "--out", str(tmp_path), "--outputs", "sample=2"]
    assert main(args) == 0
    capsys.readouterr()
    assert explain(5) == 0
    text = capsys.readouterr().out
    assert "meeting 5" in text and "recovery plan pausing £" in text and "by consensus" in text
    decisions = pq.read_table(tmp_path / "baseline" / "decisions.parquet")
    assert {"proposal_pence", "cover", "moved_pence", "pivot", "present", "bound_rules"} <= set(
        decisions.column_names
    )
    # The files and the results API tell the same story.
    manifest = tmp_path / "baseline" / "manifest.json"
    res = run(parse_scenario(json.loads(manifest.read_text())["scenario"], str(manifest)))
    in_memory = explain_meeting(res.scenario, decisions_table(res), transfers_table(res), 1, 5)
    assert in_memory == text.rstrip("\n")
    assert explain(999) == 2
    power = (tmp_path / "baseline" / "power.csv").read_text().splitlines()
    blocs = [line.split(",") for line in power[1:] if ",bloc," in line]
    assert abs(sum(float(b[6]) for b in blocs) - 1.0) < 1e-9


def test_implausible_settings_warn_but_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A minimum share above 50% and growth below -10% a year are possible: warnings on
    stderr, exit 0, and the run goes ahead (an impossible combination is an error instead)."""
    child = tmp_path / "odd.toml"
    child.write_text(
        f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\n'
        "[allocation]\ngrowth_rate = -0.2\ngrowth_by_year = {}\n"
        '[[ring_fences]]\nname = "Big primary"\nrule = "min_share"\nkind = "primary"\n'
        "min_share = 0.51\n"
    )
    capsys.readouterr()
    assert main(["validate", str(child)]) == 0
    out, err = capsys.readouterr()
    assert "ok: odd" in out
    lines = err.strip().splitlines()
    assert any(
        "warning: ring_fences[0].min_share: a minimum share of 51%" in line for line in lines
    )
    assert any(
        "warning: allocation.growth_rate: allocation growth of -20% a year" in line
        for line in lines
    )
    assert all(": warning: " in line for line in lines), lines
    assert main(["run", str(child), "-n", "2", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert (tmp_path / "out" / "odd" / "summary.csv").exists()
    child.write_text(child.read_text().replace("0.51", "1.0"))
    assert main(["validate", str(child)]) == 2
    assert "cannot all hold" in capsys.readouterr().err


def test_a_folder_of_the_users_named_like_a_scenario_is_never_deleted(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder the simulator did not write (no manifest.json) is refused, whole, with a
    one-line message and exit 1; an earlier run of ours is still replaced."""
    out = tmp_path / "out"
    mine = out / "baseline"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my own notes\n")
    capsys.readouterr()
    assert main(["run", str(baseline_path), "-n", "2", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "baseline: refused:" in err and "no manifest.json" in err and "Traceback" not in err
    assert (mine / "notes.txt").read_text() == "my own notes\n"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    # A run directory of ours is replaced as before.
    (mine / "notes.txt").unlink()
    assert main(["run", str(baseline_path), "-n", "2", "--out", str(out), "--quiet"]) == 0
    assert main(["run", str(baseline_path), "-n", "3", "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((mine / "manifest.json").read_text())
    assert manifest["replications"] == 3


def test_the_writer_itself_refuses_to_replace_what_it_did_not_write(
    baseline: Any, tmp_path: Path
) -> None:
    from sim.store.writer import write_run

    res = run(baseline, replications=range(2))
    target = tmp_path / "baseline"
    target.mkdir()
    (target / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FileExistsError, match=r"no manifest\.json"):
        write_run(res, tmp_path)
    assert (target / "data.csv").read_text() == "a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline"]  # no temporary left behind

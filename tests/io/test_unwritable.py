"""Never success when nothing was written: an output that is a file, a directory that cannot
be written, a full disk (while a scenario or the report is written) are each one line on
standard error and exit status 1, and what was already published stays as it was."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim import load_scenario
from sim.batch.backends import InProcess
from sim.batch.scheduler import run_batch
from sim.cli import main
from sim.store.run_dir import RunDir
from sim.store.writer import OUTPUT_FILES
from tests.paths import SCENARIOS

BASELINE = SCENARIOS / "baseline.toml"
OTHER = SCENARIOS / "board_ccg_like.toml"


def _run(
    capsys: pytest.CaptureFixture[str], out: Path, *files: Path, resume: bool = False
) -> tuple[int, str, str]:
    args = ["run", *map(str, files or (BASELINE,)), "-n", "3", "--out", str(out), "-q"]
    code = main(args + ["--resume"] * resume)
    got = capsys.readouterr()
    return code, got.out, got.err


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_run_batch_reports_a_scenario_whose_outputs_cannot_be_started(tmp_path: Path) -> None:
    """The writer fails before any chunk is submitted: the failure is still reported (it
    used to end the batch with no outcome at all, and the command with exit status 0)."""
    out = tmp_path / "a-file"
    out.write_text("mine")
    sc = load_scenario(BASELINE).model_copy(update={"replications": 2})
    outcomes = list(run_batch([sc], out, InProcess()))
    assert [o.scenario.name for o in outcomes] == ["baseline"]
    assert outcomes[0].path is None
    assert outcomes[0].error is not None and "cannot write outputs" in outcomes[0].error
    assert out.read_text() == "mine"


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    out.write_text("my notes")
    code, stdout, err = _run(capsys, out)
    assert code == 1
    line = _one_line(err)
    assert line.startswith(f"--out {out}: ") and "is a file, not a directory" in line
    assert stdout == ""
    assert out.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").write_text("my notes")
    out = tmp_path / "notes" / "runs"
    code, stdout, err = _run(capsys, out)
    assert code == 1
    assert "Not a directory" in _one_line(err)
    assert stdout == ""


def _refuse_temporaries(
    monkeypatch: pytest.MonkeyPatch, under: Path, error: OSError
) -> Callable[..., Any]:
    """Make every temporary directory under ``under`` fail as the file system would (root
    can write a read-only directory, so chmod alone cannot stand for it here)."""
    real = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        where = Path(kwargs.get("dir") or (args[2] if len(args) > 2 else "."))
        if where.resolve().is_relative_to(under.resolve()):
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return real


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(errno.EACCES, "Permission denied"),
        OSError(errno.EROFS, "Read-only file system"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
    ids=["not-writable", "read-only", "full"],
)
def test_a_directory_that_cannot_be_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: OSError,
) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    _refuse_temporaries(monkeypatch, out, error)
    code, stdout, err = _run(capsys, out)
    assert code == 1
    line = _one_line(err)
    assert line.startswith(f"--out {out}: ") and str(error.strerror) in line
    assert stdout == ""
    assert list(out.iterdir()) == []


def test_a_full_disk_while_the_report_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runs are published before the report: a disk that fills while report.html is
    written leaves them intact, and the previous report as it was."""
    out = tmp_path / "runs"
    out.mkdir()
    (out / "report.html").write_text("the previous report")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, stdout, err = _run(capsys, out, BASELINE, OTHER)
    assert code == 1
    line = _one_line(err)
    assert line.startswith(f"report: cannot write {out / 'report.html'}: No space left on device")
    assert "report:" not in stdout and "board_ccg_like: 3 replications" in stdout
    for name in ("baseline", "board_ccg_like"):
        run_dir = RunDir(out / name)
        run_dir.check(OUTPUT_FILES)
        assert run_dir.manifest["replications"] == 3
        assert run_dir.bands().n == 3
    assert (out / "report.html").read_text() == "the previous report"
    assert _hidden(out) == [], "no temporary file left"
    monkeypatch.undo()
    # --resume then writes the report alone.
    code, stdout, err = _run(capsys, out, BASELINE, OTHER, resume=True)
    assert (code, err) == (0, "")
    assert stdout.count("up to date, skipped") == 2
    assert 'data-variant="board_ccg_like"' in (out / "report.html").read_text()


def test_a_full_disk_mid_batch_keeps_the_scenarios_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second scenario's part files hit a full disk: the first stays published and
    whole, the second leaves nothing, and the messages say so, one line each."""
    import sim.store.writer

    out = tmp_path / "runs"
    real = sim.store.writer.RunWriter.add

    def add(self: sim.store.writer.RunWriter, chunk: Any) -> None:
        if self.scenario.name == "board_ccg_like":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, chunk)

    monkeypatch.setattr(sim.store.writer.RunWriter, "add", add)
    code, stdout, err = _run(capsys, out, BASELINE, OTHER)
    assert code == 1
    assert "Traceback" not in err
    assert err.splitlines() == [
        "board_ccg_like: run failed: cannot write outputs: [Errno 28] No space left on device",
        "1 scenario(s) failed and were not written: board_ccg_like. Rerun the same command "
        "with --resume to run only those.",
    ]
    assert "baseline: 3 replications" in stdout and "board_ccg_like: 3" not in stdout
    RunDir(out / "baseline").check(OUTPUT_FILES)
    assert sorted(p.name for p in out.iterdir()) == ["baseline", "report.html"]

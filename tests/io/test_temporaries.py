"""Nothing left behind: the hidden temporaries of a run that was killed are removed by the
next run (or ``--resume``), and only those: a live run's, another machine's and anything the
user made are left alone; a previous run caught half-replaced is put back."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.store.run_dir import RunDir
from sim.store.temporaries import owner_of, owner_tag, remove_stale, temporary_dir
from sim.store.writer import OUTPUT_FILES
from tests.paths import ROOT, SCENARIOS

BASELINE = SCENARIOS / "baseline.toml"


def _hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _tag(pid: int | None = None, start: int | None = None, **parts: str) -> str:
    """An owner tag like this process's, with some parts replaced."""
    _, host, boot, my_pid, my_start = owner_tag().split("-")
    host, boot = parts.get("host", host), parts.get("boot", boot)
    return f"icbsim-{host}-{boot}-{pid or my_pid}-{my_start if start is None else start}"


def _temporary(out: Path, what: str, tag: str, rest: str = "abcd1234") -> Path:
    path = out / f".{what}.{tag}.{rest}"
    (path / "timeseries.parquet").mkdir(parents=True)
    (path / "timeseries.parquet" / "part-00000000.parquet").write_bytes(b"PAR1")
    return path


def test_the_owner_is_in_the_name(tmp_path: Path) -> None:
    path = temporary_dir(tmp_path, "baseline")
    owner = owner_of(path)
    assert path.name.startswith(f".baseline.{owner_tag()}.")
    assert owner is not None and owner.pid == os.getpid() and not owner.is_gone()
    assert owner_of(tmp_path / ".baseline.abcd1234") is None
    assert owner_of(tmp_path / f"baseline.{owner_tag()}.x") is None, "not hidden: not ours"


def test_only_temporaries_of_ended_processes_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = [
            _temporary(tmp_path, "baseline", _tag(dead)),
            _temporary(tmp_path, "baseline", _tag(dead), "abcd1234.removed"),
            _temporary(tmp_path, "baseline.old", _tag(dead)),
            _temporary(tmp_path, "baseline", _tag(boot="0badb007")),  # before a restart
            # A live process id with another start time: the id was reused after the owner
            # ended.
            _temporary(tmp_path, "baseline", _tag(sleeper.pid, start=1)),
        ]
        report = tmp_path / f".report.{_tag(dead)}.k2j3h4l5.html.tmp"
        report.write_text("<html>")
        gone.append(report)
        kept = [
            _temporary(tmp_path, "baseline", _tag()),  # this process: alive
            _temporary(tmp_path, "baseline", _tag(sleeper.pid, start=0)),  # alive
            _temporary(tmp_path, "baseline", _tag(dead, host="0badc0de")),  # another host's
            _temporary(tmp_path, "baseline", "icbsim-xyz"),  # not a tag
            _temporary(tmp_path, "my_notes", "kept"),
        ]
        (tmp_path / ".baseline.abcd1234").mkdir()  # an untagged hidden folder (the user's?)
        (tmp_path / f"notes.{_tag(dead)}.txt").write_text("not hidden")
        cleaned = remove_stale(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sorted(cleaned.removed) == sorted(gone)
    assert cleaned.restored == ()
    for p in gone:
        assert not p.exists(), p.name
    for p in kept:
        assert (p / "timeseries.parquet" / "part-00000000.parquet").exists(), p.name
    assert (tmp_path / ".baseline.abcd1234").is_dir()
    assert (tmp_path / f"notes.{_tag(dead)}.txt").exists()


def _start_killable_run(out: Path) -> subprocess.Popen[bytes]:
    args = ["run", str(BASELINE), "-n", "2000", "--chunk-size", "25", "--out", str(out), "-q"]
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_once_a_part_is_written(child: subprocess.Popen[bytes], out: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if out.is_dir() and any(out.glob(".baseline.*/decisions.parquet/part-*.parquet")):
            break
        time.sleep(0.05)
    assert child.poll() is None, "the run ended before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()


@pytest.mark.parametrize("resume", [False, True], ids=["next-run", "resume"])
def test_a_killed_run_leaves_nothing_after_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resume: bool
) -> None:
    out = tmp_path / "runs"
    child = _start_killable_run(out)
    _kill_once_a_part_is_written(child, out)
    left = _hidden(out)
    assert left and all(name.startswith(".baseline.icbsim-") for name in left), left
    assert not (out / "baseline").exists()
    mine = out / ".my-own-notes"
    mine.mkdir()
    code = main(["run", str(BASELINE), "-n", "3", "--out", str(out), "-q", *["--resume"] * resume])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"{out}: removed {len(left)} temporary file(s) of runs that were killed" in printed
    assert _hidden(out) == [".my-own-notes"]
    RunDir(out / "baseline").check(OUTPUT_FILES)


def test_a_previous_run_caught_half_replaced_is_put_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed between the two renames that replace a run: the previous run is in
    ``.baseline.old.<owner>.<random>/previous`` and ``baseline/`` is missing. The next run
    puts it back (so --resume finds it up to date) rather than removing it."""
    out = tmp_path / "runs"
    args = ["run", str(BASELINE), "-n", "3", "--out", str(out), "-q"]
    assert main(args) == 0
    before = (out / "baseline" / "manifest.json").read_text()
    old = out / f".baseline.old.{_tag(_dead_pid())}.abcd1234"
    old.mkdir()
    os.replace(out / "baseline", old / "previous")
    half_written = out / f".baseline.{_tag(_dead_pid())}.efgh5678"
    shutil.copytree(old / "previous", half_written)
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: put back the previous run of baseline" in printed
    assert "baseline: outputs up to date, skipped (--resume)" in printed
    assert (out / "baseline" / "manifest.json").read_text() == before
    assert _hidden(out) == []

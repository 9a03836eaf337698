"""Batch runs: identical outputs for any workers, chunk size and backend; bounded memory;
a lost worker or an interrupt loses nothing finished and says what to rerun."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import load_scenario
from sim.batch.backends import InProcess, ProcessPool
from sim.batch.scheduler import run_batch
from sim.cli import main
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.tables import FULL_OUTPUT_FILES, OUTPUT_FILES

LIBRARY = ("baseline.toml", "council_red_lines.toml", "primary_care_ringfence.toml")


def _decoded(table: pa.Table) -> pa.Table:
    """A table with dictionary columns decoded and one chunk per column (the same content
    read from any number of part files compares equal)."""
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        cols.append(col.combine_chunks())
    return pa.table(cols, names=table.column_names)


def _contents(run_dir: Path, files: Sequence[str] = FULL_OUTPUT_FILES) -> dict[str, Any]:
    """Everything a run wrote, in a form that ignores only how it was chunked."""
    out: dict[str, Any] = {}
    for name in files:
        path = run_dir / name
        if name.endswith(".parquet"):
            out[name] = _decoded(pq.read_table(path))
        elif name == "manifest.json":
            doc = json.loads(path.read_text())
            doc.pop("chunks")
            doc.pop("outputs")
            doc.pop("files")
            out[name] = doc
        else:
            out[name] = path.read_text()
    return out


def _same(a: Path, b: Path, files: Sequence[str] = FULL_OUTPUT_FILES) -> None:
    ca, cb = _contents(a, files), _contents(b, files)
    assert ca.keys() == cb.keys()
    for name in ca:
        if isinstance(ca[name], pa.Table):
            assert ca[name].equals(cb[name]), f"{a.name}/{name} differs"
        else:
            assert ca[name] == cb[name], f"{a.name}/{name} differs"


def _run(files: Sequence[Path], out: Path, *extra: str) -> int:
    return main(["run", *map(str, files), "-n", "24", "--out", str(out), "-q", *extra])


@pytest.fixture(scope="module")
def reference(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """The library subset run here in one chunk per scenario, every output written."""
    files = [root / "scenarios" / f for f in LIBRARY]
    out = tmp_path_factory.mktemp("reference")
    assert _run(files, out, "--outputs", "full") == 0
    return files, out


@pytest.mark.parametrize("extra", [(), ("--chunk-size", "5"), ("--workers", "2")])
def test_lean_outputs_are_the_full_runs_for_any_workers_and_chunks(
    reference: tuple[list[Path], Path], tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """The default (lean) writes exactly its files, the same as a full run's, bands too:
    they are merged chunk by chunk, exactly, whatever the chunks."""
    files, ref = reference
    assert _run(files, tmp_path, *extra) == 0
    for f in files:
        name = load_scenario(f).name
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(OUTPUT_FILES)
        _same(ref / name, tmp_path / name, OUTPUT_FILES)
    assert (tmp_path / "report.html").read_bytes() == (ref / "report.html").read_bytes()


@pytest.mark.parametrize(
    "extra",
    [
        ("--chunk-size", "5"),
        ("--workers", "2"),
        ("--workers", "2", "--chunk-size", "7"),
    ],
    ids=["chunks-of-5", "2-workers", "2-workers-chunks-of-7"],
)
def test_outputs_are_identical_for_any_workers_and_chunks(
    reference: tuple[list[Path], Path], tmp_path: Path, extra: tuple[str, ...]
) -> None:
    files, ref = reference
    assert _run(files, tmp_path, "--outputs", "full", *extra) == 0
    for f in files:
        name = load_scenario(f).name
        _same(ref / name, tmp_path / name)
    if "--chunk-size" in extra:
        parts = list((tmp_path / "baseline" / "timeseries.parquet").iterdir())
        assert len(parts) == -(-24 // int(extra[-1]))


def test_dask_local_cluster_gives_identical_outputs(
    reference: tuple[list[Path], Path], tmp_path: Path
) -> None:
    """The Dask path, against a LocalCluster on loopback, to the penny."""
    files, ref = reference
    assert (
        _run(
            files,
            tmp_path,
            "--outputs",
            "full",
            "--dask",
            "local",
            "--workers",
            "2",
            "--chunk-size",
            "9",
        )
        == 0
    )
    for f in files:
        name = load_scenario(f).name
        _same(ref / name, tmp_path / name)


def test_dask_scheduler_address_is_used(reference: tuple[list[Path], Path], tmp_path: Path) -> None:
    """``--dask tcp://HOST:PORT`` runs on an existing scheduler and its workers."""
    from distributed import LocalCluster

    files, ref = reference
    with LocalCluster(
        n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert (
            _run(files[:1], tmp_path, "--outputs", "full", "--dask", cluster.scheduler_address) == 0
        )
    _same(ref / "baseline", tmp_path / "baseline")


def test_an_unreachable_scheduler_is_a_clear_error(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["run", str(baseline_path), "-n", "2", "--out", str(tmp_path), "-q"]
    code = main([*args, "--dask", f"tcp://127.0.0.1:{port}"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"--dask tcp://127.0.0.1:{port}: cannot reach the dask scheduler")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:abc", "tcp://127.0.0.1:99999", "foo", "http://127.0.0.1:80"]
)
def test_a_bad_dask_address_is_a_one_line_error(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(baseline_path), "--out", str(tmp_path), "--dask", address])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "must be 'local' or a scheduler address" in err[-1] and "Traceback" not in err[-1]


class _Recording(InProcess):
    """Runs here, but holds chunks back to record how many are in flight at once."""

    def __init__(self, window: int) -> None:
        super().__init__()
        self.window = window
        self.workers = window
        self.in_flight = 0
        self.most = 0

    def submit(
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Any:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        return super().submit(scenario, chunk, index, check, directory, outputs)

    def wait_any(self, handles: Sequence[Any]) -> set[Any]:
        self.in_flight -= 1
        return {handles[0]}


def test_chunks_in_flight_are_bounded(baseline: Scenario, tmp_path: Path) -> None:
    """Memory stays bounded: never more chunks in flight than the window."""
    backend = _Recording(window=3)
    sc = baseline.model_copy(update={"replications": 40, "horizon_years": 2})
    batch = run_batch([sc], tmp_path, backend, chunk_size=3)
    outcomes = list(batch)
    assert backend.most == 3
    assert outcomes[0].path is not None
    assert len(list((outcomes[0].path / "decisions.parquet").iterdir())) == 14


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _pool_workers() -> list[int]:
    """The pool's worker processes: children of this process forked from it (the same
    command line), or children of this process's forkserver child."""
    me = os.getpid()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    children = {p for p, pp in parents.items() if pp == me}
    forked = [p for p in children if _cmdline(p) == _cmdline(me)]
    servers = {p for p in children if b"forkserver" in _cmdline(p)}
    return forked + [p for p, pp in parents.items() if pp in servers]


def _kill_a_worker_soon(stop: threading.Event) -> threading.Thread:
    def kill() -> None:
        while not stop.is_set():
            workers = _pool_workers()
            if workers:
                time.sleep(0.3)  # let it start a chunk
                os.kill(workers[0], signal.SIGKILL)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def test_a_killed_worker_fails_only_its_scenario_and_resume_reruns_it(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scenario whose chunk was lost is not published, the next one runs on a new pool,
    the message says what to rerun, and ``--resume`` completes the batch."""
    big = root / "scenarios" / "baseline.toml"
    small = root / "scenarios" / "board_ccg_like.toml"
    # The big scenario's chunks fill the pool's window; the small one comes after them.
    args = ["run", str(big), str(small), "-n", "400", "--out", str(tmp_path), "-q"]
    args += ["--workers", "2", "--chunk-size", "10"]
    stop = threading.Event()
    killer = _kill_a_worker_soon(stop)
    try:
        code = main(args)
    finally:
        stop.set()
        killer.join()
    err = capsys.readouterr().err
    assert code == 1
    assert "baseline: run failed: a worker process died" in err
    assert "rerun" in err.lower() and "--resume" in err
    # Nothing partial: the finished scenario and the report of it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board_ccg_like", "report.html"]
    assert main([*args, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "board_ccg_like: outputs up to date, skipped (--resume)" in out
    assert (tmp_path / "baseline" / "manifest.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "baseline",
        "board_ccg_like",
        "report.html",
    ]
    assert 'data-variant="baseline"' in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_pool_workers_give_identical_outputs_however_they_start(
    baseline: Scenario, tmp_path: Path, method: str
) -> None:
    """Forked workers (which inherit this process's modules) and forkserver workers write
    the same files as this process, to the penny; leaving the ``with`` block stops them."""
    sc = baseline.model_copy(update={"replications": 12, "horizon_years": 2})
    with InProcess() as here:
        list(run_batch([sc], tmp_path / "here", here, chunk_size=5))
    with ProcessPool(2, method) as pool:
        assert pool.method == method
        outcomes = list(run_batch([sc], tmp_path / "pool", pool, chunk_size=5))
        workers = list(pool._pool._processes.values())
        assert len(workers) == 2 and all(p.is_alive() for p in workers)
    assert [o.error for o in outcomes] == [None]
    assert not any(p.is_alive() for p in workers)
    _same(tmp_path / "here" / sc.name, tmp_path / "pool" / sc.name, OUTPUT_FILES)


def test_an_interrupt_in_a_pool_run_keeps_finished_scenarios_only(
    root: Path, tmp_path: Path
) -> None:
    first = load_scenario(root / "scenarios" / "board_ccg_like.toml")
    second = load_scenario(root / "scenarios" / "baseline.toml")
    scenarios = [s.model_copy(update={"replications": 40}) for s in (first, second)]
    written: list[int] = []

    def interrupt_in_second(replications: int) -> None:
        written.append(replications)
        if len(written) == 6:  # the first scenario's 4 chunks are done, the second's started
            raise KeyboardInterrupt

    backend = ProcessPool(2)
    finished = []
    with pytest.raises(KeyboardInterrupt):
        try:
            for outcome in run_batch(
                scenarios, tmp_path, backend, 10, on_chunk=interrupt_in_second
            ):
                finished.append(outcome.scenario.name)
        finally:
            backend.close()
    assert finished == ["board_ccg_like"]
    assert [p.name for p in tmp_path.iterdir()] == ["board_ccg_like"]
    with (tmp_path / "board_ccg_like" / "summary.csv").open() as fh:
        assert all(row["n"] == "40" for row in csv.DictReader(fh))


def test_a_model_error_in_one_scenario_spares_the_others(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.batch.chunks

    real: Callable[..., Any] = sim.batch.chunks.run

    def fails_for_red_lines(scenario: Scenario, *a: Any, **k: Any) -> Any:
        if scenario.name == "council_red_lines":
            raise ArithmeticError("conservation broken")
        return real(scenario, *a, **k)

    monkeypatch.setattr(sim.batch.chunks, "run", fails_for_red_lines)
    scenarios = [
        load_scenario(root / "scenarios" / f).model_copy(update={"replications": 6})
        for f in ("council_red_lines.toml", "baseline.toml")
    ]
    # A window of 3: the failing scenario's other chunks in flight are cancelled.
    backend = _Recording(window=3)
    outcomes = {o.scenario.name: o for o in run_batch(scenarios, tmp_path, backend, 2)}
    assert outcomes["council_red_lines"].error == "ArithmeticError: conservation broken"
    assert outcomes["baseline"].error is None
    assert [p.name for p in tmp_path.iterdir()] == ["baseline"]


class _Breaks(_Recording):
    """A pool that breaks when asked to run the chunk after ``after`` chunks."""

    def __init__(self, after: int) -> None:
        super().__init__(window=2)
        self.after, self.submitted, self.restarts = after, 0, 0

    def submit(
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        self.submitted += 1
        if self.submitted == self.after + 1:
            raise BrokenProcessPool("a worker died")
        return super().submit(scenario, chunk, index, check, directory, outputs)

    def restart(self) -> None:
        self.restarts += 1


def test_a_pool_broken_between_chunks_fails_the_scenarios_in_flight_only(
    root: Path, tmp_path: Path
) -> None:
    """The pool can break while no chunk is being waited for (between two chunks): the
    scenarios with chunks in flight fail, later ones run on the new pool."""
    names = ("board_ccg_like.toml", "baseline.toml", "board_10_statutory.toml")
    scenarios = [
        load_scenario(root / "scenarios" / f).model_copy(update={"replications": 4}) for f in names
    ]
    backend = _Breaks(after=3)  # ccg 2 chunks, then baseline's 1st; its 2nd breaks the pool
    outcomes = {o.scenario.name: o for o in run_batch(scenarios, tmp_path, backend, 2)}
    assert backend.restarts == 1
    assert outcomes["baseline"].error == "a worker process died (killed, or out of memory)"
    assert outcomes["board_ccg_like"].path is not None
    assert outcomes["board_10_statutory"].path is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board_10_statutory", "board_ccg_like"]


class _LosesTheCluster(_Recording):
    def __init__(self) -> None:
        super().__init__(window=2)
        self.waits = 0

    def wait_any(self, handles: Sequence[Any]) -> set[Any]:
        self.waits += 1
        if self.waits == 3:
            raise OSError("scheduler-connection-lost")
        return super().wait_any(handles)


def test_a_lost_cluster_fails_every_unfinished_scenario_cleanly(root: Path, tmp_path: Path) -> None:
    scenarios = [
        load_scenario(root / "scenarios" / f).model_copy(update={"replications": 4})
        for f in ("board_ccg_like.toml", "baseline.toml", "board_10_statutory.toml")
    ]
    outcomes = list(run_batch(scenarios, tmp_path, _LosesTheCluster(), 2))
    assert [o.scenario.name for o in outcomes] == [
        "board_ccg_like",
        "baseline",
        "board_10_statutory",
    ]
    assert outcomes[0].path is not None
    for o in outcomes[1:]:
        assert o.error == "lost the cluster (OSError: scheduler-connection-lost)"
    assert [p.name for p in tmp_path.iterdir()] == ["board_ccg_like"]


def test_outputs_that_cannot_be_written_fail_only_their_scenario(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write error (a full disk, say) fails that scenario, leaves its previous complete
    run in place and no temporary files, and the batch goes on."""
    import sim.store.writer

    scenarios = [
        load_scenario(root / "scenarios" / f).model_copy(update={"replications": 4})
        for f in ("baseline.toml", "board_ccg_like.toml")
    ]
    list(run_batch(scenarios[:1], tmp_path, InProcess()))  # a previous run of baseline
    before = (tmp_path / "baseline" / "manifest.json").read_text()
    real = sim.store.writer.plan_rows

    def full_disk(compromise: Any, scenario: Scenario, *a: Any) -> Any:
        if scenario.name == "baseline":
            raise OSError(28, "No space left on device")
        return real(compromise, scenario, *a)

    monkeypatch.setattr(sim.store.writer, "plan_rows", full_disk)
    again = [s.model_copy(update={"replications": 5}) for s in scenarios]
    outcomes = {o.scenario.name: o for o in run_batch(again, tmp_path, _Recording(window=3), 2)}
    assert "No space left on device" in str(outcomes["baseline"].error)
    assert outcomes["board_ccg_like"].path is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline", "board_ccg_like"]
    assert (tmp_path / "baseline" / "manifest.json").read_text() == before


def test_future_protocol_of_the_in_process_backend(baseline: Scenario) -> None:
    """An in-process chunk is finished when submitted (progress reported within it)."""
    seen: list[float] = []
    backend = InProcess(seen.append)
    sc = baseline.model_copy(update={"horizon_years": 1})
    handle = backend.submit(sc, range(3), 0, True, None)
    assert isinstance(handle, Future) and handle.done()
    assert handle.result().replications == 3
    assert set(handle.result().parts) == {"decisions", "measures"}  # lean by default
    assert seen[-1] == pytest.approx(3.0) and seen == sorted(seen)
    full = backend.submit(sc, range(3), 0, True, None, Outputs("full"))
    assert set(full.result().parts) == {
        "timeseries",
        "transfers",
        "decisions",
        "monthly",
        "measures",
    }


def test_a_worker_cannot_write_into_an_aborted_run(baseline: Scenario, tmp_path: Path) -> None:
    """Chunks written directly by workers: once a run is aborted, a late chunk fails
    instead of recreating the run's temporary directory."""
    from sim.engine.runner import run
    from sim.store.writer import RunWriter, encode_chunk

    sc = baseline.model_copy(update={"replications": 2, "horizon_years": 1})
    res = run(sc)
    writer = RunWriter(sc, tmp_path)
    writer.add(encode_chunk(res, 0, directory=writer.directory))
    assert not writer.chunks[0].parts  # nothing sent: written in place
    writer.abort()
    with pytest.raises(OSError):
        encode_chunk(res, 1, directory=writer.directory)
    assert list(tmp_path.iterdir()) == []

"""Batch runs: scenarios split into chunks of replications, simulated in this process, in a
local process pool or on a Dask cluster, and streamed to disk a chunk at a time.

Every backend runs the same function, :func:`simulate_chunk`, on the same chunks. A chunk's
numbers depend only on the scenario and its replication indices (each replication draws
from its own seeded streams), so the outputs are identical, to the penny, however many
workers ran them, in whatever order, on whichever machines. A worker sends back its chunk
as Parquet bytes (:class:`~sim.store.writer.ChunkOutput`), which this process writes straight to
the run's temporary directory; at most a few chunks are in flight at once, so memory stays
bounded however many replications a run has. Chunks of all scenarios of a batch share one
queue, so workers stay busy from one scenario to the next.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import math
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sim.analysis.summary import SummaryRow
from sim.engine.runner import run
from sim.engine.simulation import Progress
from sim.model.power import VotingPower
from sim.scenario.format import Scenario
from sim.store.writer import ChunkOutput, RunWriter, encode_chunk
from sim.version import __version__

#: Bytes of memory a run needs per replication-month-place-sector while a chunk is
#: simulated and encoded (about 390 measured on the baseline, 10 years).
MEMORY_PER_CELL = 500
#: Bytes of disk its output files take per replication-month-place-sector (with a margin).
DISK_PER_CELL = 50
#: Largest chunk by default, in replication-months × places × sectors: about 2 GB of memory
#: per worker at :data:`MEMORY_PER_CELL`.
CHUNK_CELLS = 4_000_000


def cells_per_replication(scenario: Scenario) -> int:
    """Replication-months × places × sectors of one replication."""
    return 12 * scenario.horizon_years * len(scenario.places) * len(scenario.sectors)


def plan_chunks(
    replications: int, cells: int, workers: int = 1, chunk_size: int | None = None
) -> list[range]:
    """Contiguous chunks of replication indices ``0 .. replications - 1``.

    With ``chunk_size`` the chunks have that many replications (the last may have fewer).
    Otherwise chunks are as large as :data:`CHUNK_CELLS` allows (large chunks vectorise
    best), but at least two per worker when there are several, as equal in size as
    possible, and as many as a multiple of ``workers`` so that no worker idles at the end.
    """
    if replications < 1:
        raise ValueError("no replications to run")
    if chunk_size is not None:
        size = max(1, chunk_size)
        return [range(i, min(i + size, replications)) for i in range(0, replications, size)]
    cap = max(1, CHUNK_CELLS // max(cells, 1))
    count = math.ceil(replications / cap)
    if workers > 1:
        # At least two chunks a worker: side-by-side workers run smaller chunks faster
        # (they share the memory bandwidth), and the last chunks balance better.
        count = max(count, 2 * workers)
    count = min(replications, math.ceil(count / workers) * workers)
    small, extra = divmod(replications, count)
    bounds = [k * small + min(k, extra) for k in range(count + 1)]
    return [range(a, b) for a, b in itertools.pairwise(bounds)]


def simulate_chunk(
    scenario: Scenario,
    start: int,
    stop: int,
    index: int,
    check: bool = True,
    directory: str | None = None,
    progress: Progress | None = None,
) -> ChunkOutput:
    """Simulate replications ``start .. stop - 1`` and encode them for disk: written to the
    run's temporary ``directory`` when the worker shares this machine's disk, else as bytes
    sent back."""
    began = time.perf_counter()
    res = run(scenario, range(start, stop), check=check, progress=progress)
    return encode_chunk(res, index, time.perf_counter() - began, directory)


class Handle(Protocol):
    """A submitted chunk: a concurrent.futures or dask.distributed future."""

    def result(self) -> Any: ...
    def cancel(self) -> bool: ...


class Backend(Protocol):
    """Where chunks run."""

    #: Chunks the backend can run at once.
    workers: int
    #: Chunks submitted ahead at most (bounds the memory held by finished, unwritten chunks).
    window: int

    #: Whether the workers write to this machine's disk (so they write part files directly).
    shared_disk: bool

    def submit(
        self, scenario: Scenario, chunk: range, index: int, check: bool, directory: str | None
    ) -> Handle: ...
    def wait_any(self, handles: Sequence[Handle]) -> set[Handle]: ...
    def restart(self) -> None: ...
    def close(self) -> None: ...


class InProcess:
    """Runs each chunk here and now, reporting progress within the chunk."""

    workers = 1
    window = 1  # each chunk is written before the next is simulated
    shared_disk = True

    def __init__(self, progress: Callable[[float], None] | None = None) -> None:
        self.progress = progress

    def submit(
        self, scenario: Scenario, chunk: range, index: int, check: bool, directory: str | None
    ) -> Handle:
        fut: Future[ChunkOutput] = Future()
        step: Progress | None = None
        if self.progress is not None:
            report, n = self.progress, len(chunk)
            step = lambda done, total: report(n * done / max(total, 1))  # noqa: E731
        try:
            out = simulate_chunk(
                scenario, chunk.start, chunk.stop, index, check, directory, progress=step
            )
            fut.set_result(out)
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def wait_any(self, handles: Sequence[Handle]) -> set[Handle]:
        return set(handles)

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass


def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool:
    """A local pool of worker processes."""

    shared_disk = True

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.window = 2 * workers
        self._pool = self._start()
        # Start every worker now (rather than at the first chunk), so that start-up is not
        # counted as running time and a pool that cannot start fails before any chunk.
        for f in [self._pool.submit(_worker_version) for _ in range(workers)]:
            f.result()

    def _start(self) -> ProcessPoolExecutor:
        # forkserver: workers start from a clean, single-threaded server process that has
        # imported the model once, rather than forking this (possibly threaded) process.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # pyarrow imports pandas (when installed) on its first write: once, here.
            extra = ["pandas"] if importlib.util.find_spec("pandas") else []
            context.set_forkserver_preload(["sim.batch.scheduler", *extra])
        return ProcessPoolExecutor(self.workers, context, initializer=_ignore_interrupts)

    def submit(
        self, scenario: Scenario, chunk: range, index: int, check: bool, directory: str | None
    ) -> Handle:
        return self._pool.submit(
            simulate_chunk, scenario, chunk.start, chunk.stop, index, check, directory
        )

    def wait_any(self, handles: Sequence[Handle]) -> set[Handle]:
        done, _ = wait(handles, return_when=FIRST_COMPLETED)  # type: ignore[arg-type]
        return set(done)

    def close(self) -> None:
        # Stop at once: an interrupted batch must not wait for chunks nobody will write.
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)

    def restart(self) -> None:
        """A new pool after a worker died (a broken pool runs nothing more)."""
        self.close()
        self._pool = self._start()


#: Seconds to wait for a scheduler's first worker.
WORKER_WAIT_S = 30


def _reachable(address: str) -> None:
    """Fail fast (OSError) if nothing listens at a ``tcp://HOST:PORT`` address."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.hostname and parts.port:
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()


def _worker_version() -> str:
    return __version__


class DaskCluster:
    """A dask.distributed cluster: ``local`` starts a LocalCluster on this machine, any
    other address (``tcp://HOST:PORT``) connects to a running scheduler."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        try:
            # Typed as Any: distributed's own annotations are partial.
            dd: Any = importlib.import_module("distributed")
        except ImportError:
            raise RuntimeError("needs dask.distributed: pip install 'icb-sim[dask]'") from None
        self._cluster: Any = None
        self.client: Any
        # A LocalCluster's workers share this disk; remote workers send their chunks back.
        self.shared_disk = address == "local"
        if address == "local":
            # Workers started while Ctrl-C is ignored inherit that, and leave an interrupt
            # to this process, which stops them (rather than each printing a traceback).
            main = threading.current_thread() is threading.main_thread()
            old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self._cluster = dd.LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=40,  # logging.ERROR
                )
            finally:
                if main:
                    signal.signal(signal.SIGINT, old)
            self.client = dd.Client(self._cluster)
        else:
            try:
                _reachable(address)
                self.client = dd.Client(address, timeout="20s")
            except OSError as exc:
                raise RuntimeError(f"cannot reach the dask scheduler at {address}: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            versions = self.client.run(_worker_version)
        except Exception as exc:
            self.close()
            if type(exc).__name__ == "TimeoutError":
                raise RuntimeError(
                    f"no dask workers joined the scheduler within {WORKER_WAIT_S} s; "
                    "start some with 'dask worker ADDRESS'"
                ) from None
            raise RuntimeError(
                f"dask workers cannot run the simulator ({type(exc).__name__}: {exc}); "
                "install icb-sim on every worker"
            ) from None
        wrong = sorted({v for v in versions.values() if v != __version__})
        if wrong:
            self.close()
            raise RuntimeError(
                f"dask workers run icb-sim {', '.join(wrong)}, this machine {__version__}: "
                "install the same version everywhere"
            )
        # Every worker thread runs a chunk at a time.
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.window = 2 * self.workers

    def submit(
        self, scenario: Scenario, chunk: range, index: int, check: bool, directory: str | None
    ) -> Handle:
        fut: Handle = self.client.submit(
            simulate_chunk, scenario, chunk.start, chunk.stop, index, check, directory, pure=False
        )
        return fut

    def wait_any(self, handles: Sequence[Handle]) -> set[Handle]:
        dd: Any = importlib.import_module("distributed")
        done, _ = dd.wait(list(handles), return_when="FIRST_COMPLETED")
        return set(done)

    def restart(self) -> None:
        pass  # the scheduler replaces lost workers itself

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(
    workers: int = 1, dask: str | None = None, progress: Callable[[float], None] | None = None
) -> Backend:
    """The backend for ``--workers`` and ``--dask``."""
    if dask is not None:
        return DaskCluster(dask, workers)
    if workers > 1:
        return ProcessPool(workers)
    return InProcess(progress)


@dataclass
class Outcome:
    """What became of one scenario of a batch."""

    scenario: Scenario
    path: Path | None = None
    summary: list[SummaryRow] = field(default_factory=list)
    compositions: list[tuple[int, VotingPower]] = field(default_factory=list)
    error: str | None = None
    #: Seconds the chunks took to simulate and encode, summed over workers.
    chunk_seconds: float = 0.0


@dataclass
class _Open:
    writer: RunWriter
    remaining: int


class _Batch:
    """The bookkeeping of one :func:`run_batch`: open writers, chunks in flight, outcomes."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        out_dir: Path,
        backend: Backend,
        chunk_size: int | None,
        check: bool,
    ) -> None:
        self.scenarios, self.out_dir, self.backend, self.check = scenarios, out_dir, backend, check
        tasks = [
            (k, chunk, i)
            for k, sc in enumerate(scenarios)
            for i, chunk in enumerate(
                plan_chunks(sc.replications, cells_per_replication(sc), backend.workers, chunk_size)
            )
        ]
        self.chunks_of = Counter(k for k, _, _ in tasks)
        self.queue = iter(tasks)
        self.open: dict[int, _Open] = {}
        self.outcomes = {k: Outcome(sc) for k, sc in enumerate(scenarios)}
        self.pending: dict[Handle, tuple[int, range, int]] = {}
        self.failed: list[int] = []

    def fail(self, k: int, message: str) -> None:
        """Fail scenario ``k``: remove what it wrote, cancel its chunks in flight."""
        if self.outcomes[k].error is not None:
            return
        self.outcomes[k].error = message
        self.failed.append(k)
        if k in self.open:
            self.open.pop(k).writer.abort()
        for h, (j, _, _) in list(self.pending.items()):
            if j == k:
                h.cancel()
                del self.pending[h]

    def fill(self) -> None:
        """Submit chunks until the backend's window is full or the queue is empty."""
        while len(self.pending) < self.backend.window:
            task = next(self.queue, None)
            if task is None:
                return
            k = task[0]
            if self.outcomes[k].error is not None:
                continue
            if k not in self.open:
                try:
                    writer = RunWriter(self.scenarios[k], self.out_dir)
                except OSError as exc:
                    self.fail(k, f"cannot write outputs: {exc}")
                    continue
                self.open[k] = _Open(writer, self.chunks_of[k])
            directory = self.open[k].writer.directory if self.backend.shared_disk else None
            handle = self.backend.submit(self.scenarios[k], task[1], task[2], self.check, directory)
            self.pending[handle] = task

    def lose_everything_in_flight(self, why: str) -> None:
        """Fail every scenario with a chunk in flight (a broken pool loses them all)."""
        for k in sorted({k for k, _, _ in self.pending.values()}):
            self.fail(k, why)
        self.pending.clear()

    def write(self, k: int, out: ChunkOutput) -> bool:
        """Write a chunk; publish its scenario if it was the last. Whether it published."""
        run_ = self.open[k]
        try:
            run_.writer.add(out)
            self.outcomes[k].chunk_seconds += out.seconds
            run_.remaining -= 1
            if run_.remaining:
                return False
            path, rows = run_.writer.commit()
        except OSError as exc:
            self.fail(k, f"cannot write outputs: {exc}")
            return False
        del self.open[k]
        first = run_.writer.chunks[min(run_.writer.chunks)]
        self.outcomes[k].path, self.outcomes[k].summary = path, rows
        self.outcomes[k].compositions = first.compositions
        return True

    def abort(self) -> None:
        """Remove every unfinished scenario's outputs and cancel every chunk in flight."""
        for run_ in self.open.values():
            run_.writer.abort()
        self.open.clear()
        for h in self.pending:
            h.cancel()
        self.pending.clear()


POOL_LOST = "a worker process died (killed, or out of memory)"


def run_batch(
    scenarios: Sequence[Scenario],
    out_dir: Path,
    backend: Backend,
    chunk_size: int | None = None,
    check: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[Outcome]:
    """Run scenarios on a backend and write each one's outputs under ``out_dir``.

    Yields each scenario's :class:`Outcome` as it is finished and published, or as it
    fails. A failure is that scenario's alone: a model error, outputs that cannot be
    written, or a worker process that died (which loses every chunk in flight with the
    pool: those scenarios fail and the rest go on in a new pool). A lost cluster fails
    every scenario not yet finished. ``on_chunk(replications)`` is called as each chunk is
    written. On an interrupt every unfinished scenario's partial output is removed and the
    interrupt raised; finished scenarios stay published.
    """
    batch = _Batch(scenarios, out_dir, backend, chunk_size, check)
    reported: set[int] = set()

    def failures() -> Iterator[Outcome]:
        for k in batch.failed:
            if k not in reported:
                reported.add(k)
                yield batch.outcomes[k]

    try:
        while True:
            try:
                batch.fill()
            except BrokenProcessPool:  # the pool broke between two chunks
                batch.lose_everything_in_flight(POOL_LOST)
                backend.restart()
                yield from failures()
                continue
            if not batch.pending:
                break
            try:
                done = backend.wait_any(list(batch.pending))
            except Exception as exc:  # the cluster itself is gone: nothing more can run
                why = f"lost the cluster ({type(exc).__name__}: {exc})"
                batch.lose_everything_in_flight(why)
                for k in range(len(scenarios)):
                    if batch.outcomes[k].path is None:
                        batch.fail(k, why)
                yield from failures()
                return
            for h in done:
                if h not in batch.pending:
                    continue  # cancelled when its scenario failed
                k, chunk, _ = batch.pending.pop(h)
                try:
                    out: ChunkOutput = h.result()
                except BrokenProcessPool:
                    batch.fail(k, POOL_LOST)
                    batch.lose_everything_in_flight(POOL_LOST)
                    backend.restart()
                    break
                except Exception as exc:
                    name = type(exc).__name__
                    why = "a worker process died" if name == "KilledWorker" else str(exc)
                    batch.fail(k, f"{name}: {why}")
                    continue
                if k not in batch.open:
                    continue
                published = batch.write(k, out)
                if on_chunk is not None:
                    on_chunk(len(chunk))
                if published:
                    yield batch.outcomes[k]
            yield from failures()
    except BaseException:
        batch.abort()
        raise

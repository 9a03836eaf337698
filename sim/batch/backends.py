"""Where chunks run: in this process, in a local process pool, or on a Dask cluster; each
backend runs :func:`sim.batch.chunks.simulate_chunk` on the chunks it is given.

Every backend is a context manager, like the EMA workbench's evaluators::

    with ProcessPool(workers=2) as backend:
        for outcome in run_batch(scenarios, out, backend): ...

The workers are started (and their imports paid) once, when the backend is made, not per
chunk; leaving the ``with`` block stops them.
"""

from __future__ import annotations

import importlib
import multiprocessing
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from sim.batch.chunks import simulate_chunk
from sim.batch.dask_cluster import DaskCluster
from sim.batch.protocol import Backend, Closing, Handle, worker_version
from sim.batch.workers import (
    ONE_THREAD,
    WORKER_MODULES,
    environment,
    ignore_interrupts,
    start_method,
)
from sim.engine.schedule import Progress
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.writer import ChunkOutput

__all__ = ["Backend", "DaskCluster", "Handle", "InProcess", "ProcessPool", "make_backend"]


class InProcess(Closing):
    """Runs each chunk here and now, reporting progress within the chunk."""

    workers = 1
    window = 1  # each chunk is written before the next is simulated
    shared_disk = True

    def __init__(self, progress: Callable[[float], None] | None = None) -> None:
        self.progress = progress

    def submit(
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Handle:
        fut: Future[ChunkOutput] = Future()
        step: Progress | None = None
        if self.progress is not None:
            report, n = self.progress, len(chunk)
            step = lambda done, total: report(n * done / max(total, 1))  # noqa: E731
        try:
            out = simulate_chunk(
                scenario, chunk.start, chunk.stop, index, check, directory, step, outputs
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


class ProcessPool(Closing):
    """A local pool of worker processes, started once (see :func:`start_method`)."""

    shared_disk = True

    def __init__(self, workers: int, method: str | None = None) -> None:
        self.workers = workers
        self.window = 2 * workers
        self._method = method
        self._pool = self._start()
        # Start every worker now (rather than at the first chunk), so that start-up is not
        # counted as running time and a pool that cannot start fails before any chunk.
        for f in [self._pool.submit(worker_version) for _ in range(workers)]:
            f.result()

    def _start(self) -> ProcessPoolExecutor:
        method = self._method or start_method()
        self.method = method
        context = multiprocessing.get_context(method)
        if method == "fork":
            # Imported here once, before the fork, rather than by every worker at its first
            # chunk (this process imports them anyway when it writes the run's files).
            for name in WORKER_MODULES:
                importlib.import_module(name)
        if method == "forkserver":
            # The server imports the model once; every worker forks from it.
            context.set_forkserver_preload(list(WORKER_MODULES))
        with (
            warnings.catch_warnings(),
            environment(ONE_THREAD if method != "fork" else {}),
        ):
            # Python 3.12+ warns of fork whenever native threads exist; start_method() has
            # checked that no Python thread can hold a lock across the fork.
            warnings.filterwarnings("ignore", ".*fork.*", DeprecationWarning)
            pool = ProcessPoolExecutor(self.workers, context, initializer=ignore_interrupts)
            if method == "fork":
                # Fork every worker now, while this process is still single-threaded (the
                # executor starts its management thread at the first submit).
                pool.submit(worker_version).result()
        return pool

    def submit(
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Handle:
        return self._pool.submit(
            simulate_chunk,
            scenario,
            chunk.start,
            chunk.stop,
            index,
            check,
            directory,
            None,
            outputs,
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
        # A worker busy in native code may not stop on SIGTERM in time: kill it, so that no
        # process outlives the backend.
        for p in processes:
            if p.is_alive():
                p.kill()
                p.join(timeout=5)

    def restart(self) -> None:
        """A new pool after a worker died (a broken pool runs nothing more)."""
        self.close()
        self._pool = self._start()


def make_backend(
    workers: int = 1, dask: str | None = None, progress: Callable[[float], None] | None = None
) -> Backend:
    """The backend for ``--workers`` and ``--dask``."""
    if dask is not None:
        return DaskCluster(dask, workers)
    if workers > 1:
        return ProcessPool(workers)
    return InProcess(progress)

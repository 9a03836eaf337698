"""Where chunks run: in this process, in a local process pool, or on a Dask cluster; each
backend runs :func:`sim.batch.chunks.simulate_chunk` on the chunks it is given."""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from sim.batch.chunks import simulate_chunk
from sim.engine.schedule import Progress
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.writer import ChunkOutput
from sim.version import __version__


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
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
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
            context.set_forkserver_preload(["sim.batch.chunks", *extra])
        return ProcessPoolExecutor(self.workers, context, initializer=_ignore_interrupts)

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
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Handle:
        fut: Handle = self.client.submit(
            simulate_chunk,
            scenario,
            chunk.start,
            chunk.stop,
            index,
            check,
            directory,
            None,
            outputs,
            pure=False,
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

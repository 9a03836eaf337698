"""The Dask backend: a LocalCluster started here, or a running scheduler's cluster."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from sim.batch.chunks import simulate_chunk
from sim.batch.protocol import Closing, Handle, worker_version
from sim.batch.workers import ONE_THREAD, WORKER_MODULES, environment
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.version import __version__

#: Seconds to wait for a scheduler's first worker.
WORKER_WAIT_S = 30


def _reachable(address: str) -> None:
    """Fail fast (OSError) if nothing listens at a ``tcp://HOST:PORT`` address."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.hostname and parts.port:
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()


#: Dask settings of a LocalCluster, for its CPU: every worker process forks from one
#: forkserver that has imported Dask and the model once (spawned workers import both
#: themselves, about 1.5 CPU s each); the statistical profiler that samples every worker
#: thread's stack each 10 ms is off, and the monitors that feed the dashboard (there is
#: none) and check the event loop's health sample less often; the memory monitor that
#: restarts a worker near its limit looks every half second rather than ten times a
#: second. Together they halve an idle cluster's CPU (34 to 16 ms a second, measured).
#: Dask's default ``MALLOC_TRIM_THRESHOLD_`` of 64 KiB (memory handed back to the system as
#: soon as it is freed) is dropped: a chunk allocates and frees large arrays event after
#: event, and on this machine every page taken back and touched afresh is dear (a chunk
#: took 25-40% more CPU in a Dask worker with it, and ten times the page faults).
LOCAL_DASK = {
    "distributed.worker.multiprocessing-method": "forkserver",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.tick.interval": "1s",
    # Chunks are as equal as possible and one a worker at a time: nothing to steal or move.
    "distributed.scheduler.work-stealing": False,
    "distributed.scheduler.active-memory-manager.start": False,
}


@contextlib.contextmanager
def dask_config(dd: Any) -> Iterator[None]:
    """:data:`LOCAL_DASK` while a LocalCluster starts its workers."""
    dask: Any = importlib.import_module("dask")
    with dask.config.set(LOCAL_DASK):
        # Dask sets the forkserver's preload (its own packages) the first time it asks
        # for the context; the model is added to that list, so that the server imports it.
        context = dd.utils.get_mp_context()
        preload = ["distributed", "dask", "numpy", *WORKER_MODULES]
        context.set_forkserver_preload(list(dict.fromkeys(preload)))
        with environment(ONE_THREAD):
            yield


class DaskCluster(Closing):
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
                with dask_config(dd):
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
            versions = self.client.run(worker_version)
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

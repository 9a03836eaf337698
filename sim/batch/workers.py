"""How worker processes on this machine start: forked from this process where that is
safe, else from a forkserver that imports the model once, with one thread each for the
numerical libraries."""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator


def ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: What a worker process imports before its first chunk, when it does not inherit them.
#: pyarrow imports pandas (when installed) on its first write.
WORKER_MODULES = ("sim.batch.chunks", *(["pandas"] if importlib.util.find_spec("pandas") else []))

#: One thread each for the numerical libraries of a worker started afresh: workers are
#: one per core already, and a second thread each would only contend for the same cores.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` while processes are started (they copy it), then as
    it was (this process keeps its own settings)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_method() -> str | None:
    """How to start pool workers: ``fork`` where that is safe, else ``forkserver``.

    A forked worker inherits this process's imports and loaded modules, so it costs no CPU
    to start; a forkserver's workers need the model imported once more, in the server
    (about 1-2 CPU s, as much as the whole of a small batch's parallel gain). Forking is
    safe on Linux while this process runs no other Python thread (a thread could hold a
    lock that the child would inherit held); the native libraries' own threads (OpenBLAS,
    Arrow, jemalloc) re-initialise themselves in a forked child. A progress bar's monitor
    thread, or a pool restarted while the old one's threads wind down, means forkserver.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else None

"""What the app's runs hold in memory between script runs, and how it is kept small.

A finished :class:`~sim.engine.results.Results` is compact (about 35 bytes a
replication-month-place-sector), but it builds large caches on first use: its monthly series
(64 bytes a cell) and its table of every transfer. Kept, they made a run at the app's
largest size hold about 0.8 GB after it had been shown. The app builds what it draws from a
copy of the results (:func:`uncached`) that is dropped once used, measures what each run
holds (:func:`held_bytes`) to bound the run cache by bytes, and hands memory freed after a
large run back to the system (:func:`release_freed_memory`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from sim.engine.results import Results


def uncached(res: Results) -> Results:
    """The same results, sharing their arrays, without the caches built on first use: what
    is built from the copy goes when the copy goes."""
    return replace(res, _series=None, _transfers=None, _meetings=None)


def held_bytes(*objects: Any) -> int:
    """Bytes of the arrays (NumPy and Arrow) reachable from ``objects`` through dataclasses,
    dicts, lists and tuples, each buffer counted once."""
    seen: set[int] = set()
    counted: set[int] = set()  # arrays owning their memory (a view counts as its owner)
    total = 0
    todo = list(objects)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            owner = obj
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            if id(owner) not in counted:
                counted.add(id(owner))
                total += owner.nbytes
        elif isinstance(obj, (pa.Table, pa.Array, pa.ChunkedArray, pa.RecordBatch)):
            total += obj.nbytes
        elif is_dataclass(obj) and not isinstance(obj, type):
            todo.extend(getattr(obj, f.name) for f in fields(obj))
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
    return total


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_freed_memory() -> None:
    """Give memory freed by a large run back to the system.

    glibc keeps freed memory for reuse: after a run at the app's largest size the process
    held several hundred MB it no longer used, which looked like memory held between runs.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

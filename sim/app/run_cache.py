"""Runs, cached by scenario hash and shared by every session of the server.

A :class:`Run` is a finished run and what the page draws from it, each part built on first
use; :func:`get_run` finds a scenario's run in the server's :class:`RunStore` or runs it now
(with a progress bar if it is slow). :class:`Showing` is what every view draws from.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from sim.analysis.explain import explain
from sim.analysis.monthly import Digest
from sim.analysis.summary import SummaryRow, summarise
from sim.app.memory import held_bytes, release_freed_memory, uncached
from sim.engine.results import Results
from sim.engine.runner import run
from sim.scenario.format import Scenario
from sim.store.tables import decisions_table, measures_table, transfers_table
from sim.store.writer import scenario_hash

#: Runs kept in memory, and the most bytes of arrays they may hold together (unless the two
#: newest alone hold more: they are never dropped). Two runs at the app's largest size hold
#: about 500 MB; 500 replications of the baseline about 10 MB.
KEEP_RUNS = 8
KEEP_BYTES = 600 * 2**20
#: A run taking longer than this (seconds) shows a progress bar.
PROGRESS_AFTER = 0.25


@dataclass
class Run:
    """A finished run and what the page draws from it (each part built on first use).

    ``results`` holds no caches (:func:`sim.app.memory.uncached`): every part is built from
    a copy of them that is then dropped, so that a run keeps only what the page draws.
    """

    results: Results
    summary: list[SummaryRow]
    _digest: Digest | None = None
    _measures: pa.Table | None = None
    _decisions: pa.Table | None = None
    _explained: dict[int, dict[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.results = uncached(self.results)

    def row(self, measure: str, last: bool = False) -> SummaryRow | None:
        """The summary row of a measure (its last one: the final year of a yearly measure)."""
        rows = [r for r in self.summary if r.measure == measure]
        return (rows[-1] if last else rows[0]) if rows else None

    def rows(self, measure: str) -> list[SummaryRow]:
        """Every summary row of a measure, in order (one per year, sector or rule)."""
        return [r for r in self.summary if r.measure == measure]

    def find(self, measure: str, detail: str) -> SummaryRow | None:
        """The summary row of a measure with this detail (e.g. the same year), or None."""
        return next((r for r in self.summary if (r.measure, r.detail) == (measure, detail)), None)

    def prepare(self) -> tuple[Digest, pa.Table]:
        """The digest and the measures, built now if not yet: together, as both read the
        monthly series (built once for them on a copy of the results and dropped after),
        and the memory that frees given back."""
        if self._digest is None or self._measures is None:
            work = uncached(self.results)
            self._digest, self._measures = Digest.from_results(work), measures_table(work)
            del work
            release_freed_memory()
        return self._digest, self._measures

    @property
    def digest(self) -> Digest:
        """The monthly digest (bands of budgets, shares, money moved, deficits)."""
        return self.prepare()[0]

    @property
    def measures(self) -> pa.Table:
        """Per-replication measures (``measures.parquet``)."""
        return self.prepare()[1]

    @property
    def decisions(self) -> pa.Table:
        """Every board meeting (``decisions.parquet``)."""
        if self._decisions is None:
            self._decisions = decisions_table(uncached(self.results))
        return self._decisions

    def explanations(self, replication: int) -> dict[int, str]:
        """Every meeting of a replication explained in words (:func:`sim.analysis.explain.explain`),
        from that replication's transfers alone (:func:`one_replication`)."""
        if replication not in self._explained:
            d = self.decisions.filter(pc.equal(self.decisions["replication"], replication))
            t = transfers_table(one_replication(self.results, replication))
            meetings = sorted(set(d["meeting"].to_pylist()))
            self._explained[replication] = {
                m: explain(self.results.scenario, d, t, replication, m) for m in meetings
            }
        return self._explained[replication]

    def held_bytes(self) -> int:
        """Bytes of the arrays the run holds now (its parts built so far included)."""
        return held_bytes(self.results, self._digest, self._measures, self._decisions)


def one_replication(res: Results, replication: int) -> Results:
    """A copy of the results whose journal holds the transfers of one replication only.

    What a replication's explanations read: built in milliseconds, where the table of every
    transfer took seconds and, kept, was the largest part of a run at the app's largest
    size (about 150 MB).
    """
    for entries, reps in res.journals:
        found = np.flatnonzero(reps == replication)
        if not found.size:
            continue
        at = int(found[0])  # the replication's row in this chunk's entries
        mine = []
        for e in entries:
            if e.rows is None:  # a line for every row of the chunk
                mine.append(replace(e, amount=e.amount[at : at + 1], rows=found[:1]))
                continue
            lines = np.flatnonzero(e.rows == at)
            if lines.size:
                mine.append(replace(e, amount=e.amount[lines], rows=e.rows[lines]))
        return replace(uncached(res), journals=[(mine, reps)])
    raise KeyError(f"replication {replication} is not in the run")


class RunStore:
    """Recent runs by scenario hash, shared by every session of the server.

    Holds at most ``size`` runs and at most ``max_bytes`` of arrays in all, measured as the
    runs are when one is added (a part a view builds later counts from then on), dropping
    the oldest first but never the two newest (a session's current run and its file's own).
    """

    def __init__(self, size: int, max_bytes: int) -> None:
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._size = size
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: str) -> Run | None:
        """The run of a scenario hash, or None (a run found is kept longest)."""
        with self._lock:
            found = self._runs.get(key)
            if found is None:
                return None
            self._runs.move_to_end(key)
            return found

    def put(self, key: str, value: Run) -> None:
        """Keep a run, dropping the oldest beyond the limits (never the two newest)."""
        with self._lock:
            self._runs[key] = value
            self._runs.move_to_end(key)
            held = {k: r.held_bytes() for k, r in self._runs.items()}
            while len(self._runs) > 2 and (
                len(self._runs) > self._size or sum(held.values()) > self._max_bytes
            ):
                oldest, _ = self._runs.popitem(last=False)
                del held[oldest]

    def keys(self) -> list[str]:
        """The scenario hashes of the runs kept, oldest first."""
        with self._lock:
            return list(self._runs)

    def held_bytes(self) -> int:
        """Bytes of arrays the kept runs hold now."""
        with self._lock:
            return sum(r.held_bytes() for r in self._runs.values())


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """The server's run cache (``st.cache_resource.clear()`` empties it)."""
    return RunStore(KEEP_RUNS, KEEP_BYTES)


def get_run(scenario: Scenario, what: str, slot: Any) -> Run:
    """The scenario's run: from the cache, or run now with a progress bar if it is slow.

    ``slot`` is the page's progress placeholder (an ``st.empty()`` made on every script
    run, so that the page's layout does not shift when a run is not cached).
    """
    key = scenario_hash(scenario)
    found = run_store().get(key)
    if found is not None:
        return found
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - start > PROGRESS_AFTER:
            slot.progress(
                done / max(total, 1),
                text=f"Running {what}: {scenario.replications:,} replications, "
                f"month {done:,} of {total:,}",
            )

    results = run(scenario, progress=progress)
    slot.empty()
    made = Run(results, summarise(results))
    made.prepare()  # now, with the run: the headline's view and most others draw from them
    run_store().put(key, made)
    return made


@dataclass(frozen=True)
class Showing:
    """What the views draw: the run of the current settings, their scenario, and the page's
    progress placeholder (for a view that runs another scenario, as "Compare A and B")."""

    run: Run
    scenario: Scenario
    slot: Any

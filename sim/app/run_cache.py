"""Runs, cached by scenario hash and shared by every session of the server.

A :class:`Run` is a finished run and what the page draws from it, each part built on first
use; :func:`get_run` finds a scenario's run in the server's :class:`RunStore` or runs it now
(with a progress bar if it is slow). :class:`Showing` is what every view draws from.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from sim.analysis.explain import explain
from sim.analysis.monthly import Digest
from sim.analysis.summary import SummaryRow, summarise
from sim.app.size import MAX_APP_CELLS
from sim.batch.chunks import cells_per_replication
from sim.engine.results import Results
from sim.engine.runner import run
from sim.scenario.format import Scenario
from sim.store.tables import decisions_table, measures_table, transfers_table
from sim.store.writer import scenario_hash

#: Runs kept in memory (a 500-replication baseline run holds about 25 MB), and the most
#: replication-months-places-sectors they may hold together (about 1 GB).
KEEP_RUNS = 8
KEEP_CELLS = 2 * MAX_APP_CELLS
#: A run taking longer than this (seconds) shows a progress bar.
PROGRESS_AFTER = 0.25


@dataclass
class Run:
    """A finished run and what the page draws from it (each part built on first use)."""

    results: Results
    summary: list[SummaryRow]
    _digest: Digest | None = None
    _measures: pa.Table | None = None
    _decisions: pa.Table | None = None
    _transfers: pa.Table | None = None
    _explained: dict[int, dict[int, str]] = field(default_factory=dict)

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

    @property
    def digest(self) -> Digest:
        """The monthly digest (bands of budgets, shares, money moved, deficits)."""
        if self._digest is None:
            self._digest = Digest.from_results(self.results)
        return self._digest

    @property
    def measures(self) -> pa.Table:
        """Per-replication measures (``measures.parquet``)."""
        if self._measures is None:
            self._measures = measures_table(self.results)
        return self._measures

    @property
    def decisions(self) -> pa.Table:
        """Every board meeting (``decisions.parquet``)."""
        if self._decisions is None:
            self._decisions = decisions_table(self.results)
        return self._decisions

    @property
    def transfers(self) -> pa.Table:
        """Every in-year transfer (``transfers.parquet``)."""
        if self._transfers is None:
            self._transfers = transfers_table(self.results)
        return self._transfers

    def explanations(self, replication: int) -> dict[int, str]:
        """Every meeting of a replication explained in words (:func:`sim.analysis.explain.explain`)."""
        if replication not in self._explained:
            d = self.decisions.filter(pc.equal(self.decisions["replication"], replication))
            t = self.transfers.filter(pc.equal(self.transfers["replication"], replication))
            meetings = sorted(set(d["meeting"].to_pylist()))
            self._explained[replication] = {
                m: explain(self.results.scenario, d, t, replication, m) for m in meetings
            }
        return self._explained[replication]


class RunStore:
    """Recent runs by scenario hash, shared by every session of the server.

    Holds at most ``size`` runs and, beyond the two newest (a session's current run and its
    file's own), at most ``max_cells`` replication-months-places-sectors in all (a run keeps
    about 120 bytes a cell: 25 MB for 500 replications of the baseline).
    """

    def __init__(self, size: int, max_cells: int) -> None:
        self._runs: OrderedDict[str, tuple[Run, int]] = OrderedDict()
        self._size = size
        self._max_cells = max_cells
        self._lock = threading.Lock()

    def get(self, key: str) -> Run | None:
        """The run of a scenario hash, or None (a run found is kept longest)."""
        with self._lock:
            found = self._runs.get(key)
            if found is None:
                return None
            self._runs.move_to_end(key)
            return found[0]

    def put(self, key: str, value: Run) -> None:
        """Keep a run, dropping the oldest beyond the limits (never the two newest)."""
        cells = value.results.n * cells_per_replication(value.results.scenario)
        with self._lock:
            self._runs[key] = (value, cells)
            while len(self._runs) > 2 and (
                len(self._runs) > self._size
                or sum(c for _, c in self._runs.values()) > self._max_cells
            ):
                self._runs.popitem(last=False)


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """The server's run cache (``st.cache_resource.clear()`` empties it)."""
    return RunStore(KEEP_RUNS, KEEP_CELLS)


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
    run_store().put(key, made)
    return made


@dataclass(frozen=True)
class Showing:
    """What the views draw: the run of the current settings, their scenario, and the page's
    progress placeholder (for a view that runs another scenario, as "Compare A and B")."""

    run: Run
    scenario: Scenario
    slot: Any

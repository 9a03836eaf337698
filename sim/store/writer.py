"""Writing a run to disk: manifest.json, summary.csv, power.csv, plan.csv, bands.parquet,
measures.parquet and decisions.parquet, and at ``--outputs full`` (or for a sample of
replications) the per-chunk datasets timeseries, transfers and monthly
(:mod:`sim.store.outputs`).

A scenario's outputs go to ``DIR/<scenario-name>/`` and appear all at once: they are written
into a temporary directory beside it, which is then renamed into place. The large tables
are streamed to disk a chunk of replications at a time (:class:`RunWriter`), each chunk as
one file ``part-NNNNNNNN.parquet`` of a directory named like a file (``timeseries.parquet/``),
the layout Spark, pandas, polars, DuckDB and pyarrow read as one table. Parts are numbered
in replication order, so reading the directory gives rows in replication order.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.monthly import Sketch
from sim.analysis.summary import SummaryRow, describe
from sim.engine.results import Results
from sim.model.power import VotingPower
from sim.scenario.format import Scenario
from sim.store.measures_file import join_parts, read_measures
from sim.store.parts import ChunkOutput as ChunkOutput
from sim.store.parts import encode_chunk as encode_chunk
from sim.store.parts import part_path as part_path
from sim.store.parts import part_tables as part_tables
from sim.store.tables import FULL_OUTPUT_FILES as FULL_OUTPUT_FILES
from sim.store.tables import OUTPUT_FILES as OUTPUT_FILES
from sim.store.tables import (
    PARQUET_OPTIONS,
    Outputs,
    PlanRow,
    PowerRow,
    bands_table,
    write_rows_csv,
)
from sim.store.tables import decisions_table as decisions_table
from sim.store.tables import measures_table as measures_table
from sim.store.tables import timeseries_table as timeseries_table
from sim.store.tables import transfers_table as transfers_table
from sim.store.temporaries import PREVIOUS, temporary_dir
from sim.units.calendar import Calendar
from sim.version import __version__

Floats = npt.NDArray[np.float64]


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario fully resolved, as plain data (what a TOML file would hold)."""
    doc: dict[str, Any] = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return doc


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON."""
    text = json.dumps(scenario_document(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(
    scenario: Scenario, replications: int, chunks: int, outputs: Outputs | None = None
) -> dict[str, Any]:
    """Provenance of a run: the scenario as run, its hash, seed, replications, version,
    and its output level and files."""
    outputs = outputs or Outputs()
    return {
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": scenario.seed,
        "replications": replications,
        "chunks": chunks,
        "package_version": __version__,
        "scenario": scenario_document(scenario),
        "outputs": str(outputs),
        "files": list(outputs.files()),
    }


def power_rows(compositions: Sequence[tuple[int, VotingPower]], cal: Calendar) -> list[PowerRow]:
    """Voting power of each board composition, by bloc and then by member."""
    rows = []
    for month, vp in compositions:
        period = cal.label(month)
        b = vp.by_bloc()
        for j, bloc in enumerate(b.blocs):
            rows.append(
                PowerRow(
                    period,
                    "bloc",
                    bloc,
                    bloc,
                    int(b.voting_members[j]),
                    int(b.members[j]),
                    float(b.shapley_shubik[j]),
                    float(b.banzhaf_normalised[j]),
                    float(b.banzhaf_absolute[j]),
                    vp.rule,
                )
            )
        for i, name in enumerate(vp.names):
            rows.append(
                PowerRow(
                    period,
                    "member",
                    name,
                    vp.constituencies[i],
                    int(vp.voting[i]),
                    1,
                    float(vp.shapley_shubik[i]),
                    float(vp.banzhaf_normalised[i]),
                    float(vp.banzhaf_absolute[i]),
                    vp.rule,
                )
            )
    return rows


def plan_rows(
    compromise: Sequence[tuple[int, Floats]], scenario: Scenario, cal: Calendar
) -> list[PlanRow]:
    """The board's compromise division of the money between sectors, each year from the second."""
    return [
        PlanRow(
            cal.financial_year(month // 12),
            scenario.sectors[s].name,
            scenario.sectors[s].kind,
            float(share),
        )
        for month, shares in compromise
        for s, share in enumerate(shares)
    ]


def write_summary_csv(rows: list[SummaryRow], path: Path) -> None:
    """Summary rows as CSV (one row per measure and detail)."""
    write_rows_csv(rows, SummaryRow, path)


def _c_library() -> Any:
    """The process's C library, if it can hand freed memory back (glibc's ``malloc_trim``)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL(None)
    except OSError:
        return None
    return lib if hasattr(lib, "malloc_trim") else None


_LIBC = _c_library()


def give_back_memory() -> None:
    """Hand the memory freed since the last chunk back to the system.

    Arrow's allocator keeps freed pages for reuse (over hundreds of chunks that crept up by
    about a megabyte a chunk), and so does the C heap: a chunk's arrays freed around the
    growing bands' sketch leave holes that the next chunk's allocations do not always fit,
    and the commit's and report's memory came on top (at 10,000 replications in chunks of
    2,000, 400 to 500 MB at its peak from one run to the next, against about 400 MB
    trimmed). Both are handed back, so a long run's memory stays flat.
    """
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def not_ours(path: Path) -> str | None:
    """Why ``path`` must not be replaced by a run, or None when it may be.

    A run replaces only what a run wrote: an earlier run's directory (with its
    ``manifest.json``), or nothing at all. A file, or a folder holding anything else (the
    user's own files), is refused, so that nothing the project did not write is deleted.
    """
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_dir() or path.is_symlink():
        return "exists and is not a run directory"
    try:
        doc = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not any(path.iterdir()):
            return None  # an empty folder: replacing it loses nothing
        return "exists and was not written by the simulator (it has no manifest.json)"
    except (OSError, ValueError):
        return "exists and its manifest.json cannot be read"
    if not (isinstance(doc, dict) and "scenario_hash" in doc and "scenario" in doc):
        return "exists and its manifest.json is not a run's"
    return None


def unwritable(out_dir: Path) -> str | None:
    """Why runs cannot be written under ``out_dir`` (a few words), or None when they can.

    Tried, not guessed from permissions: the directory is made if missing, and a temporary
    directory made and removed in it (a read-only file system, a full disk or a directory of
    another user's all fail here, before anything runs).
    """
    if out_dir.exists() and not out_dir.is_dir():
        return "is a file, not a directory"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        temporary_dir(out_dir, "probe").rmdir()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


class RunWriter:
    """Streams one scenario's chunks to disk and publishes the run atomically.

    Chunks may arrive in any order. :meth:`commit` writes the summary and the
    scenario-level files and renames the directory into place; :meth:`abort` (or leaving
    the ``with`` block by an exception) removes everything written, leaving any earlier
    complete run of the scenario untouched.
    """

    def __init__(
        self, scenario: Scenario, out_dir: str | Path, outputs: Outputs | None = None
    ) -> None:
        self.scenario = scenario
        self.outputs = outputs or Outputs()
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary_dir(self.out, scenario.name)
        for name in self.outputs.tables():
            (self.tmp / f"{name}.parquet").mkdir()
        self.chunks: dict[int, ChunkOutput] = {}
        self.replications = 0
        # The bands of the chunks so far: merged as they come, so memory does not grow
        # with the replications (the merge is exact, so their order does not matter).
        self.sketch: Sketch | None = None
        #: The first chunk written, with the scenario-level records (power, plan, policy).
        self.records: ChunkOutput

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.abort()

    def add(self, chunk: ChunkOutput) -> None:
        """Write a chunk's part files (and keep nothing of it but its scenario records)."""
        if chunk.index in self.chunks:
            raise ValueError(f"chunk {chunk.index} written twice")
        for name, data in chunk.parts.items():
            part_path(self.tmp, name, chunk.index).write_bytes(data)
        missing = [t for t in chunk.tables if not part_path(self.tmp, t, chunk.index).exists()]
        if missing:
            raise OSError(f"chunk {chunk.index}: part files missing: {', '.join(missing)}")
        if chunk.sketch is None:
            raise ValueError(f"chunk {chunk.index} has no bands")
        self.sketch = chunk.sketch if self.sketch is None else self.sketch.merge(chunk.sketch)
        # The scenario-level records are the same in every chunk: one chunk's are kept, so
        # the writer's memory does not grow with the number of chunks either.
        kept = replace(chunk, parts={}, sketch=None)
        if self.chunks:
            kept = replace(kept, compositions=[], plan_compromise=[], policy_log=[])
        else:
            self.records = kept
        self.chunks[chunk.index] = kept
        self.replications += chunk.replications
        give_back_memory()

    def commit(self) -> tuple[Path, list[SummaryRow]]:
        """Write the summary and scenario-level files and publish the run; returns its path
        and summary rows."""
        if not self.chunks:
            raise ValueError("no chunks written")
        try:
            return self._commit()
        except BaseException:
            self.abort()
            raise

    def _commit(self) -> tuple[Path, list[SummaryRow]]:
        first = self.records
        cal = Calendar(self.scenario.start_year, self.scenario.horizon_years)
        # The measures' parts joined into one file, and summarised a few measures at a
        # time: neither step holds every replication's measures at once.
        measures_dir = self.tmp / "measures.parquet"
        parts = self.tmp / "measures.parts"
        os.replace(measures_dir, parts)
        join_parts(parts, measures_dir)
        shutil.rmtree(parts)
        rows = [describe(m) for batch in read_measures(measures_dir) for m in batch]
        write_summary_csv(rows, self.tmp / "summary.csv")
        write_rows_csv(power_rows(first.compositions, cal), PowerRow, self.tmp / "power.csv")
        plans = plan_rows(first.plan_compromise, self.scenario, cal)
        write_rows_csv(plans, PlanRow, self.tmp / "plan.csv")
        assert self.sketch is not None  # a chunk was added
        pq.write_table(bands_table(self.sketch), self.tmp / "bands.parquet", **PARQUET_OPTIONS)
        doc = manifest(self.scenario, self.replications, len(self.chunks), self.outputs)
        (self.tmp / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n")
        final = self.out / self.scenario.name
        refused = not_ours(final)
        if refused:
            raise FileExistsError(
                f"{final}: {refused}; move it away or choose another --out (nothing was replaced)"
            )
        if final.exists():
            # Killed between these renames, the previous run is put back by the next run
            # (sim.store.temporaries.remove_stale).
            old = temporary_dir(self.out, f"{self.scenario.name}.old")
            os.replace(final, old / PREVIOUS)
            try:
                os.replace(self.tmp, final)
            except BaseException:
                os.replace(old / PREVIOUS, final)  # put the previous run back
                old.rmdir()
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.tmp, final)
        return final, rows

    @property
    def directory(self) -> str:
        """Where workers on this machine write their part files directly."""
        return str(self.tmp)

    def abort(self) -> None:
        """Remove everything written so far.

        The directory is first renamed, so a worker still writing a part of this run fails
        (its directory is gone) instead of recreating it.
        """
        if not self.tmp.exists():
            return
        trash = self.tmp.with_name(self.tmp.name + ".removed")
        try:
            os.replace(self.tmp, trash)
        except OSError:
            trash = self.tmp
        shutil.rmtree(trash, ignore_errors=True)


def write_run(res: Results, out_dir: str | Path, outputs: Outputs | None = None) -> Path:
    """Write the outputs of results held in memory atomically to ``out_dir/<name>/``."""
    with RunWriter(res.scenario, out_dir, outputs) as writer:
        writer.add(encode_chunk(res, 0, outputs=outputs))
        path, _ = writer.commit()
    return path

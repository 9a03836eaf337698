"""A chunk's outputs: the tables written a chunk of replications at a time (as Parquet
part files, ``part-NNNNNNNN.parquet``), and the small records a chunk hands to the
:class:`~sim.store.writer.RunWriter` (its share of the bands, the scenario-level records).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.analysis.monthly import Digest, Sketch
from sim.engine.results import Results
from sim.model.power import VotingPower
from sim.store.outputs import Outputs
from sim.store.tables import (
    PARQUET_OPTIONS,
    decisions_table,
    measures_table,
    timeseries_table,
    transfers_table,
)

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ChunkOutput:
    """One simulated chunk of replications, encoded for disk (and for sending between
    processes or machines: Parquet bytes are a tenth of the size of the arrays)."""

    #: Position of the chunk in replication order (0, 1, ...).
    index: int
    replications: int
    #: Parquet file contents by table name (see :data:`sim.store.outputs.PART_TABLES`).
    parts: dict[str, bytes]
    #: The tables the chunk has a part of (sent in ``parts`` or written by the worker).
    tables: tuple[str, ...]
    #: The chunk's share of the fan charts' bands (small: it merges exactly with the
    #: rest; None once the writer has merged it).
    sketch: Sketch | None
    #: Scenario-level records, the same in every chunk: power of each board composition,
    #: each year's plan compromise, and the policy log.
    compositions: list[tuple[int, VotingPower]]
    plan_compromise: list[tuple[int, Floats]]
    policy_log: list[tuple[int, str, str]]
    #: Seconds the chunk took to simulate and encode.
    seconds: float


def part_tables(
    res: Results, outputs: Outputs | None = None, digest: Digest | None = None
) -> dict[str, pa.Table]:
    """The tables written a chunk at a time, for the replications of ``res`` (the full
    tables only for those the output level asks for)."""
    outputs = outputs or Outputs()
    digest = digest or Digest.from_results(res)
    first = int(res.replications[0]) if res.n else 0
    full = outputs.full_tables_for(range(first, first + res.n))
    tables: dict[str, pa.Table] = {}
    if len(full):
        tables = {
            "timeseries": timeseries_table(res),
            "transfers": transfers_table(res),
            "monthly": digest.to_table(),
        }
        if len(full) < res.n:  # a sample: only its replications' rows
            keep = {k: pc.less(t["replication"], full.stop) for k, t in tables.items()}
            tables = {k: t.filter(keep[k]) for k, t in tables.items()}
    return tables | {"decisions": decisions_table(res), "measures": measures_table(res)}


def part_path(directory: str | Path, table: str, index: int) -> Path:
    """Where chunk ``index`` of ``table`` goes in a run's directory."""
    return Path(directory) / f"{table}.parquet" / f"part-{index:08d}.parquet"


def encode_chunk(
    res: Results,
    index: int,
    seconds: float = 0.0,
    directory: str | Path | None = None,
    outputs: Outputs | None = None,
) -> ChunkOutput:
    """A chunk's results as Parquet, ready for a :class:`RunWriter`: as bytes to send, or,
    given the writer's ``directory`` (:attr:`RunWriter.directory`, on a disk this process
    shares with the writer), written there at once and not sent at all."""
    parts = {}
    digest = Digest.from_results(res)
    tables = part_tables(res, outputs, digest)
    for name, table in tables.items():
        if directory is not None:
            pq.write_table(table, part_path(directory, name, index), **PARQUET_OPTIONS)
            continue
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **PARQUET_OPTIONS)
        parts[name] = sink.getvalue().to_pybytes()
    return ChunkOutput(
        index=index,
        replications=res.n,
        parts=parts,
        tables=tuple(tables),
        sketch=Sketch.from_digest(digest),
        compositions=res.compositions,
        plan_compromise=res.plan_compromise,
        policy_log=res.policy_log,
        seconds=seconds,
    )

"""``measures.parquet`` a part at a time: joined into one file, and read back a few measures
at a time, so neither holds every replication's every measure in memory.

The table's rows are ordered by replication, then measure, each replication with the same
measures in the same order (:func:`sim.store.tables.measures_table`); reading relies on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.measures import Measure
from sim.store.tables import PARQUET_OPTIONS

#: Rows of a row group. Fixed, so the joined file is the same for any chunking; small, so
#: joining holds little (about 10 MB of rows) at a time.
ROW_GROUP = 128 * 1024
#: Values held at once while reading measures back (8 bytes each): about 32 MB. At a
#: million replications that is four of the baseline's 69 measures a pass.
VALUES_AT_ONCE = 4_000_000


def _files(path: Path) -> list[Path]:
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def join_parts(parts: Path, out: Path) -> None:
    """Write the part files of ``parts`` (in order) as the one file ``out``, a row group at
    a time."""
    writer: pq.ParquetWriter | None = None
    held: list[pa.Table] = []
    rows = 0
    try:
        for f in _files(parts):
            table = pq.read_table(f)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, **PARQUET_OPTIONS)
            held.append(table)
            rows += table.num_rows
            if rows >= ROW_GROUP:
                whole = pa.concat_tables(held).combine_chunks()
                cut = rows - rows % ROW_GROUP
                writer.write_table(whole.slice(0, cut), row_group_size=ROW_GROUP)
                held, rows = [whole.slice(cut)], rows - cut
        if writer is not None and rows:
            writer.write_table(pa.concat_tables(held).combine_chunks(), row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


def _keys(files: Sequence[Path]) -> list[tuple[str, str, str]]:
    """The (measure, detail, unit) of each measure, from the first replication's rows."""
    first = pq.ParquetFile(files[0])
    head = first.read_row_group(0, columns=["replication", "measure", "detail", "unit"])
    rep = head.column("replication").to_numpy()
    k = int(np.count_nonzero(rep == rep[0])) if len(rep) else 0
    cols = [head.column(c).slice(0, k).to_pylist() for c in ("measure", "detail", "unit")]
    return list(zip(*cols, strict=True))


def _value_blocks(files: Sequence[Path], k: int) -> Iterator[np.ndarray]:
    """The value column as blocks of whole replications, shape (replications, k)."""
    carry = np.zeros(0)
    for f in files:
        reader = pq.ParquetFile(f)
        # A row group at a time: ``iter_batches`` decoded most of the column at once (45 MB
        # at 100,000 replications, growing with them).
        for g in range(reader.num_row_groups):
            group = reader.read_row_group(g, columns=["value"], use_threads=False)
            v = np.concatenate([carry, group.column(0).to_numpy()])
            whole = v.size - v.size % k
            carry = v[whole:]
            if whole:
                yield v[:whole].reshape(-1, k)
    if carry.size:
        raise ValueError("measures.parquet: rows are not whole replications")


def read_measures(
    path: Path, wanted: Callable[[str, str], bool] | None = None
) -> Iterator[list[Measure]]:
    """The measures of ``measures.parquet`` (a file or a directory of parts), in order, a
    batch at a time: as many as fit in :data:`VALUES_AT_ONCE` values, each batch one pass
    over the value column. ``wanted(measure, detail)`` chooses which (default all)."""
    files = _files(path)
    if not files:
        return
    keys = _keys(files)
    k = len(keys)
    if k == 0:
        return
    n = sum(pq.ParquetFile(f).metadata.num_rows for f in files) // k
    chosen = [j for j, (m, d, _) in enumerate(keys) if wanted is None or wanted(m, d)]
    per_batch = max(1, VALUES_AT_ONCE // max(n, 1))
    for at in range(0, len(chosen), per_batch):
        batch = chosen[at : at + per_batch]
        values = np.empty((len(batch), n))
        pos = 0
        for block in _value_blocks(files, k):
            values[:, pos : pos + block.shape[0]] = block[:, batch].T
            pos += block.shape[0]
        yield [Measure(*keys[j], values[i]) for i, j in enumerate(batch)]


def measure_blocks(
    path: Path, wanted: Callable[[str, str], bool]
) -> tuple[list[tuple[str, str, str]], Iterator[np.ndarray]]:
    """The chosen measures of ``measures.parquet`` as blocks of whole replications, shape
    (replications in the block, chosen), with the chosen measures' keys: for statistics
    that need one pass and never every replication at once."""
    files = _files(path)
    keys = _keys(files) if files else []
    chosen = [j for j, (m, d, _) in enumerate(keys) if wanted(m, d)]
    blocks = (block[:, chosen] for block in _value_blocks(files, len(keys))) if keys else iter(())
    return [keys[j] for j in chosen], blocks

"""How a batch splits its replications into chunks (sim.batch.chunks.plan_chunks)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.batch.chunks import CHUNK_CELLS, plan_chunks


@given(
    n=st.integers(1, 5000),
    cells=st.integers(1, 10**6),
    workers=st.integers(1, 16),
    size=st.none() | st.integers(1, 600),
)
def test_chunks_partition_the_replications(
    n: int, cells: int, workers: int, size: int | None
) -> None:
    chunks = plan_chunks(n, cells, workers, size)
    assert [i for c in chunks for i in c] == list(range(n))
    if size is not None:
        assert all(len(c) == size for c in chunks[:-1])
    else:
        cap = max(1, CHUNK_CELLS // cells)
        lengths = [len(c) for c in chunks]
        # Within the memory cap (or single replications), as even as possible, and a
        # multiple of the workers unless there are fewer replications than that.
        assert max(lengths) <= cap
        assert max(lengths) - min(lengths) <= 1
        assert len(chunks) % workers == 0 or len(chunks) == n
        # No more chunks than the cap and the workers call for (two a worker at least).
        least = -(-n // cap) if workers == 1 else max(-(-n // cap), 2 * workers)
        assert len(chunks) < least + workers or len(chunks) == n

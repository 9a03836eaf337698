"""Batch runs: scenarios split into chunks of replications, simulated in this process, in a
local process pool or on a Dask cluster, and streamed to disk a chunk at a time.

Every backend runs the same function, :func:`simulate_chunk`, on the same chunks. A chunk's
numbers depend only on the scenario and its replication indices (each replication draws
from its own seeded streams), so the outputs are identical, to the penny, however many
workers ran them, in whatever order, on whichever machines. A worker on this machine
writes its chunk's part files straight into the run's temporary directory and sends back
only the small rest (:class:`~sim.store.writer.ChunkOutput`); a remote worker sends its parts
as Parquet bytes, which this process writes. At most a few chunks are in flight at once, so
memory stays bounded however many replications a run has. The chunks are planned by
:func:`sim.batch.chunks.plan_batch`: those of all scenarios of a batch share one queue, so
workers stay busy from one scenario to the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from sim.analysis.summary import SummaryRow
from sim.batch.backends import Backend, Handle
from sim.batch.chunks import Task, plan_batch
from sim.model.power import VotingPower
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.writer import ChunkOutput, RunWriter


@dataclass
class Outcome:
    """What became of one scenario of a batch."""

    scenario: Scenario
    path: Path | None = None
    summary: list[SummaryRow] = field(default_factory=list)
    compositions: list[tuple[int, VotingPower]] = field(default_factory=list)
    error: str | None = None
    #: Seconds the chunks took to simulate and encode, summed over workers.
    chunk_seconds: float = 0.0


@dataclass
class _Open:
    writer: RunWriter
    remaining: int


class _Batch:
    """The bookkeeping of one :func:`run_batch`: open writers, chunks in flight, outcomes."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        out_dir: Path,
        backend: Backend,
        chunk_size: int | None,
        check: bool,
        outputs: Outputs,
    ) -> None:
        self.scenarios, self.out_dir, self.backend, self.check = scenarios, out_dir, backend, check
        self.outputs = outputs
        tasks = plan_batch(scenarios, backend.workers, chunk_size)
        self.chunks_of = Counter(t.scenario for t in tasks)
        self.queue = iter(tasks)
        self.open: dict[int, _Open] = {}
        self.outcomes = {k: Outcome(sc) for k, sc in enumerate(scenarios)}
        self.pending: dict[Handle, Task] = {}
        self.failed: list[int] = []

    def fail(self, k: int, message: str) -> None:
        """Fail scenario ``k``: remove what it wrote, cancel its chunks in flight."""
        if self.outcomes[k].error is not None:
            return
        self.outcomes[k].error = message
        self.failed.append(k)
        if k in self.open:
            self.open.pop(k).writer.abort()
        for h, task in list(self.pending.items()):
            if task.scenario == k:
                h.cancel()
                del self.pending[h]

    def fill(self) -> None:
        """Submit chunks until the backend's window is full or the queue is empty."""
        while len(self.pending) < self.backend.window:
            task = next(self.queue, None)
            if task is None:
                return
            k = task.scenario
            if self.outcomes[k].error is not None:
                continue
            if k not in self.open:
                try:
                    writer = RunWriter(self.scenarios[k], self.out_dir, self.outputs)
                except OSError as exc:
                    self.fail(k, f"cannot write outputs: {exc}")
                    continue
                self.open[k] = _Open(writer, self.chunks_of[k])
            directory = self.open[k].writer.directory if self.backend.shared_disk else None
            handle = self.backend.submit(
                self.scenarios[k], task.chunk, task.index, self.check, directory, self.outputs
            )
            self.pending[handle] = task

    def lose_everything_in_flight(self, why: str) -> None:
        """Fail every scenario with a chunk in flight (a broken pool loses them all)."""
        for k in sorted({t.scenario for t in self.pending.values()}):
            self.fail(k, why)
        self.pending.clear()

    def write(self, k: int, out: ChunkOutput) -> bool:
        """Write a chunk; publish its scenario if it was the last. Whether it published."""
        run_ = self.open[k]
        try:
            run_.writer.add(out)
            self.outcomes[k].chunk_seconds += out.seconds
            run_.remaining -= 1
            if run_.remaining:
                return False
            path, rows = run_.writer.commit()
        except OSError as exc:
            self.fail(k, f"cannot write outputs: {exc}")
            return False
        del self.open[k]
        self.outcomes[k].path, self.outcomes[k].summary = path, rows
        self.outcomes[k].compositions = run_.writer.records.compositions
        return True

    def abort(self) -> None:
        """Remove every unfinished scenario's outputs and cancel every chunk in flight."""
        for run_ in self.open.values():
            run_.writer.abort()
        self.open.clear()
        for h in self.pending:
            h.cancel()
        self.pending.clear()


POOL_LOST = "a worker process died (killed, or out of memory)"


def run_batch(
    scenarios: Sequence[Scenario],
    out_dir: Path,
    backend: Backend,
    chunk_size: int | None = None,
    check: bool = True,
    on_chunk: Callable[[int], None] | None = None,
    outputs: Outputs | None = None,
) -> Iterator[Outcome]:
    """Run scenarios on a backend and write each one's outputs under ``out_dir``.

    Yields each scenario's :class:`Outcome` as it is finished and published, or as it
    fails. A failure is that scenario's alone: a model error, outputs that cannot be
    written, or a worker process that died (which loses every chunk in flight with the
    pool: those scenarios fail and the rest go on in a new pool). A lost cluster fails
    every scenario not yet finished. ``on_chunk(replications)`` is called as each chunk is
    written. On an interrupt every unfinished scenario's partial output is removed and the
    interrupt raised; finished scenarios stay published. ``outputs`` is the output level
    (default lean, :mod:`sim.store.outputs`).
    """
    batch = _Batch(scenarios, out_dir, backend, chunk_size, check, outputs or Outputs())
    reported: set[int] = set()

    def failures() -> Iterator[Outcome]:
        for k in batch.failed:
            if k not in reported:
                reported.add(k)
                yield batch.outcomes[k]

    try:
        while True:
            try:
                batch.fill()
            except BrokenProcessPool:  # the pool broke between two chunks
                batch.lose_everything_in_flight(POOL_LOST)
                backend.restart()
                yield from failures()
                continue
            if not batch.pending:
                # Scenarios may have failed in fill() itself (outputs that cannot be
                # written): report them before ending, or they would vanish silently.
                yield from failures()
                return
            try:
                done = backend.wait_any(list(batch.pending))
            except Exception as exc:  # the cluster itself is gone: nothing more can run
                why = f"lost the cluster ({type(exc).__name__}: {exc})"
                batch.lose_everything_in_flight(why)
                for k in range(len(scenarios)):
                    if batch.outcomes[k].path is None:
                        batch.fail(k, why)
                yield from failures()
                return
            for h in done:
                if h not in batch.pending:
                    continue  # cancelled when its scenario failed
                task = batch.pending.pop(h)
                k = task.scenario
                try:
                    out: ChunkOutput = h.result()
                except BrokenProcessPool:
                    batch.fail(k, POOL_LOST)
                    batch.lose_everything_in_flight(POOL_LOST)
                    backend.restart()
                    break
                except Exception as exc:
                    name = type(exc).__name__
                    why = "a worker process died" if name == "KilledWorker" else str(exc)
                    batch.fail(k, f"{name}: {why}")
                    continue
                if k not in batch.open:
                    continue
                published = batch.write(k, out)
                if on_chunk is not None:
                    on_chunk(len(task.chunk))
                if published:
                    yield batch.outcomes[k]
            yield from failures()
    except BaseException:
        batch.abort()
        raise

"""``python -m sim run``: size checks, the progress bar, the batch on its backend, the report."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.cli.inputs import load_all
from sim.cli.parser import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs


class _Bar:
    """Replications done out of the batch's total, with the time left."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.done = 0

    def within(self, replications: float) -> None:
        """So many replications of the chunk running in this process are done."""
        self.bar.n = min(self.bar.total, self.done + int(replications))
        self.bar.refresh()

    def chunk(self, replications: int) -> None:
        """A chunk of so many replications is written."""
        self.done += replications
        self.bar.n = self.done
        self.bar.refresh()

    def write(self, text: str, file: Any = None) -> None:
        """Print above the bar (to standard output unless ``file`` is given)."""
        self.bar.write(text, file=file or sys.stdout)


@contextmanager
def progress_bar(name: str, total: int, quiet: bool) -> Iterator[_Bar | None]:
    """A progress bar with the time left, on a terminal and unless ``--quiet``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=name, total=total, unit="rep", file=sys.stderr, leave=False) as bar:
        yield _Bar(bar)


def cmd_run(args: argparse.Namespace) -> int:
    scenarios, invalid = load_all(
        args.files, unique_names=True, overrides=args.overrides, max_variants=args.max_variants
    )
    failed = False
    update = {}
    if args.replications is not None:
        update["replications"] = args.replications
    if args.seed is not None:
        update["seed"] = args.seed
    todo = [sc.model_copy(update=update) for sc in scenarios]
    finished: list[str] = []
    try:
        failed, rerun = _run_all(args, todo, finished)
        names = [sc.name for sc in todo if sc.name in finished]  # in the command's order
        if names and not _write_report(args.out, names):
            failed = True
        if rerun:
            print(
                f"{len(rerun)} scenario(s) failed and were not written: {', '.join(rerun)}. "
                "Rerun the same command with --resume to run only those.",
                file=sys.stderr,
            )
    except KeyboardInterrupt:
        rest = [sc.name for sc in todo if sc.name not in finished]
        print(
            f"interrupted: {len(finished)} scenario(s) finished and written in full; not "
            f"finished: {', '.join(rest)}. Rerun the same command with --resume to run only those.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if invalid:
        return EXIT_INVALID
    return EXIT_FAILURE if failed else EXIT_OK


def _write_report(out: Path, names: list[str]) -> bool:
    """Write ``out/report.html`` of the named runs; whether it was written (if not, say why
    in one line: the runs themselves are published and stay as they are)."""
    from sim.report.page import REPORT_FILE, write_report

    try:
        path = write_report(out, [out / n for n in names])
    except OSError as exc:
        print(
            f"report: cannot write {out / REPORT_FILE}: {exc.strerror or exc}; the scenario "
            "outputs are complete (rerun with --resume to write the report only)",
            file=sys.stderr,
        )
        return False
    print(f"\nreport: {path}")
    return True


def _available_memory() -> int | None:
    """Bytes of memory available to new work (MemAvailable: free plus reclaimable cache)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _too_big(
    sc: Scenario,
    out: Path,
    workers: int,
    chunk_size: int | None,
    disk_taken: int = 0,
    outputs: Outputs | None = None,
) -> str | None:
    """Why a run would not fit in memory (its chunks in flight on this machine) or on disk
    (after ``disk_taken`` bytes for the runs before it in the batch), or None."""
    from sim.batch.chunks import plan_chunks
    from sim.batch.sizing import cells_per_replication, disk_bytes, memory_bytes

    per_rep = cells_per_replication(sc)
    chunks = plan_chunks(sc.replications, per_rep, workers, chunk_size)
    chunk = max(len(c) for c in chunks)
    in_flight = min(workers, len(chunks))
    need_mem = memory_bytes(chunk, per_rep, in_flight)
    need_disk = disk_bytes(sc, outputs)
    free_mem = _available_memory()
    probe = out if out.exists() else out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    free_disk = shutil.disk_usage(probe).free - disk_taken
    if free_mem is not None and need_mem > 0.8 * free_mem:
        fits = max(1, int(0.8 * free_mem / memory_bytes(1, per_rep, in_flight)))
        return (
            f"needs about {need_mem / 1e9:.1f} GB of memory for {in_flight} chunk(s) of {chunk:,} "
            f"replications, {free_mem / 1e9:.1f} GB available; use --chunk-size {fits:,} or "
            "less (or fewer --workers)"
        )
    if need_disk > free_disk:
        fits = max(0, int(free_disk * sc.replications / max(need_disk, 1)))
        left = "left for it after the runs before it in this command" if disk_taken else "free"
        return (
            f"its outputs need about {need_disk / 1e9:.1f} GB of disk, "
            f"{max(free_disk, 0) / 1e9:.1f} GB {left} in {probe}; run at most about "
            f"{fits:,} replications or free some space"
        )
    return None


def _clean_up(out: Path) -> None:
    """Remove what runs killed earlier left in ``out`` (their hidden temporaries), and say so."""
    from sim.store.temporaries import remove_stale

    cleaned = remove_stale(out)
    if cleaned.restored:
        names = ", ".join(p.name for p in cleaned.restored)
        print(f"{out}: put back the previous run of {names} (a run replacing it was killed)")
    if cleaned.removed:
        print(
            f"{out}: removed {len(cleaned.removed)} temporary file(s) of runs that were killed "
            "before they finished"
        )


def _local_workers(args: argparse.Namespace) -> int:
    """Worker processes on this machine: ``--workers``, or for ``--dask local`` one per core."""
    if args.dask == "local":
        return int(args.workers or os.cpu_count() or 1)
    if args.dask is not None:
        return 1  # remote workers; only finished chunks are held here
    return int(args.workers or 1)


def _run_all(
    args: argparse.Namespace, todo: list[Scenario], finished: list[str]
) -> tuple[bool, list[str]]:
    """Run every scenario on the chosen backend, writing each as it finishes; return
    whether any failed, and the scenarios whose run failed (to rerun)."""
    from sim.analysis.summary import format_table
    from sim.batch.backends import make_backend
    from sim.batch.chunks import disk_bytes
    from sim.batch.scheduler import run_batch
    from sim.model.power import format_power
    from sim.store.run_dir import RunDir
    from sim.store.writer import not_ours, unwritable
    from sim.units.calendar import Calendar

    outputs = Outputs.parse(getattr(args, "outputs", "lean"))
    failed = False
    rerun: list[str] = []
    runs: list[Scenario] = []
    _clean_up(args.out)
    workers = _local_workers(args)
    if args.dask not in (None, "local") and args.workers:
        print(
            "--workers: ignored with a remote scheduler (its workers are started with "
            "'dask worker')",
            file=sys.stderr,
        )
    disk_taken = 0
    for sc in todo:
        if args.resume and RunDir(args.out / sc.name).is_up_to_date(sc, outputs):
            print(f"{sc.name}: outputs up to date, skipped (--resume)")
            finished.append(sc.name)
            continue
        refused = not_ours(args.out / sc.name)
        if refused:
            print(
                f"{sc.name}: refused: {args.out / sc.name} {refused}; move it away or choose "
                "another --out (nothing was changed)",
                file=sys.stderr,
            )
            failed = True
            continue
        problem = _too_big(sc, args.out, workers, args.chunk_size, disk_taken, outputs)
        if problem:
            print(f"{sc.name}: refused: {problem}", file=sys.stderr)
            failed = True
            continue
        disk_taken += disk_bytes(sc, outputs)
        runs.append(sc)
    if not runs:
        return failed, rerun
    problem = unwritable(args.out)
    if problem:
        print(f"--out {args.out}: cannot write there: {problem} (nothing was run)", file=sys.stderr)
        return True, rerun
    total = sum(sc.replications for sc in runs)
    with progress_bar(f"{len(runs)} scenario(s)", total, args.quiet) as progress:
        say = print if progress is None else progress.write
        try:
            backend = make_backend(
                workers, args.dask, None if progress is None else progress.within
            )
        except RuntimeError as exc:
            print(f"--dask {args.dask}: {exc}", file=sys.stderr)
            return True, rerun
        except Exception as exc:  # the worker processes could not start
            print(f"--workers {workers}: cannot start workers: {exc}", file=sys.stderr)
            return True, rerun
        try:
            on_chunk = None if progress is None else progress.chunk
            for outcome in run_batch(
                runs, args.out, backend, args.chunk_size, on_chunk=on_chunk, outputs=outputs
            ):
                sc = outcome.scenario
                if outcome.error is not None:
                    say(f"{sc.name}: run failed: {outcome.error}", file=sys.stderr)
                    failed = True
                    rerun.append(sc.name)
                    continue
                cal = Calendar(sc.start_year, sc.horizon_years)
                lines = [
                    f"\n{sc.name}: {sc.replications} replications, seed {sc.seed}, "
                    f"{sc.horizon_years} years -> {outcome.path}",
                    format_table(outcome.summary),
                    *(
                        f"\nBoard from {cal.label(month)}. " + format_power(power)
                        for month, power in outcome.compositions
                    ),
                ]
                say("\n".join(lines))
                finished.append(sc.name)
        finally:
            backend.close()
    return failed, rerun

"""Command line: ``python -m sim run|validate|schema``.

Exit codes: 0 success, 2 invalid input (one line per problem, no traceback), 1 any other
failure.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.loader import display_path, load_scenario, load_variants
from sim.store.run_dir import RunDir, RunDirError

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1, got {value}")
    return value


def _dask_address(text: str) -> str:
    """``local``, or a scheduler address ``tcp://HOST:PORT`` (or ``tls://``)."""
    from urllib.parse import urlsplit

    if text == "local":
        return text
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise argparse.ArgumentTypeError(
            f"must be 'local' or a scheduler address like tcp://HOST:8786, got {text!r}"
        )
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = _Parser(prog="python -m sim", description="ICB funding-allocation scenario simulator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run scenario files and write their outputs")
    run.add_argument("files", nargs="+", type=Path, help="scenario TOML files")
    run.add_argument(
        "--replications", "-n", type=_positive, help="override the number of replications"
    )
    run.add_argument("--seed", type=_seed, help="override the root random seed")
    run.add_argument(
        "--out", type=Path, default=Path("runs"), help="output directory (default: runs)"
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. --set board.rule=two_thirds --set sectors[0].share=0.5",
    )
    run.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar (also off when not a terminal)"
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="skip scenarios whose outputs already exist for exactly this scenario (by hash)",
    )
    run.add_argument(
        "--chunk-size",
        type=_positive,
        help="replications per chunk (default: as many as fit in about 2 GB, split evenly "
        "over the workers); results are identical for any chunk size",
    )
    run.add_argument(
        "--workers",
        "-j",
        type=_positive,
        help="worker processes on this machine (default 1: run here); with --dask local, "
        "the LocalCluster's workers (default: one per core)",
    )
    run.add_argument(
        "--dask",
        type=_dask_address,
        metavar="local|tcp://HOST:PORT",
        help="run chunks on a dask.distributed cluster: 'local' starts one on this machine, "
        "an address uses a running scheduler",
    )
    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE"
    )
    explain = sub.add_parser("explain", help="explain a board decision of a finished run")
    explain.add_argument("run_dir", type=Path, help="the --out directory of the run")
    explain.add_argument("--scenario", required=True, help="scenario name (its sub-directory)")
    explain.add_argument("--replication", type=int, required=True, help="replication index")
    explain.add_argument(
        "--meeting", type=_positive, required=True, help="meeting number (1, 2, ...)"
    )
    compare = sub.add_parser(
        "compare", help="paired comparison of two runs (or two scenario files) by replication"
    )
    compare.add_argument("a", type=Path, help="run directory (DIR/NAME) or scenario file A")
    compare.add_argument("b", type=Path, help="run directory (DIR/NAME) or scenario file B")
    compare.add_argument(
        "--replications", "-n", type=_positive, help="for scenario files: replications"
    )
    compare.add_argument(
        "--seed", type=_seed, help="for scenario files: seed for both (default: A's)"
    )
    compare.add_argument(
        "--deficit-limit", type=float, default=0.0, help="system deficit limit, £m (default 0)"
    )
    compare.add_argument(
        "--half-width",
        action="append",
        default=[],
        metavar="MEASURE=VALUE",
        help="report the replications a 95%% CI half-width of VALUE for MEASURE needs",
    )
    schema = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    schema.add_argument(
        "--markdown",
        action="store_true",
        help="print the field reference of docs/scenarios.md instead",
    )
    return parser


def _load_all(
    files: Sequence[Path], unique_names: bool = False, overrides: Sequence[str] = ()
) -> tuple[list[Scenario], bool]:
    """Load every file's variants; print each invalid one's errors and leave it out.

    Inputs may be files, directories (their ``*.toml`` files) or glob patterns. A file with a
    ``[sweep]`` gives one scenario per point of its grid. Everything is validated before
    anything runs. With ``unique_names`` (for ``run``), a second scenario with a name
    already loaded is an error too, since both would write to the same output directory.
    """
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    paths, invalid = _expand(files)
    for f in paths:
        try:
            variants = load_variants(f, overrides)
        except ScenarioError as exc:
            variants = [exc]
        for sc in variants:
            if isinstance(sc, ScenarioError):
                print(str(sc), file=sys.stderr)
                invalid = True
                continue
            if not (unique_names and sc.name in seen):
                seen[sc.name] = f
                scenarios.append(sc)
                continue
            # Both would write DIR/<name>/: refuse the second rather than overwrite the first.
            print(
                f"{display_path(f)}: name: {sc.name!r} is also the name of "
                f"{display_path(seen[sc.name])} in this command (outputs would collide)",
                file=sys.stderr,
            )
            invalid = True
    return scenarios, invalid


def _expand(inputs: Sequence[Path]) -> tuple[list[Path], bool]:
    """Files named directly, the ``*.toml`` files of directories, and glob matches."""
    out: list[Path] = []
    missing = False
    for item in inputs:
        if item.is_dir():
            out += sorted(item.glob("*.toml"))
        elif item.exists() or not any(c in str(item) for c in "*?["):
            out.append(item)  # a missing file is reported by the loader
        else:
            matches = sorted(Path(m) for m in glob.glob(str(item)))
            if not matches:
                print(f"{item}: no files match", file=sys.stderr)
                missing = True
            out += matches
    return out, missing


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
def _progress_bar(name: str, total: int, quiet: bool) -> Iterator[_Bar | None]:
    """A progress bar with the time left, on a terminal and unless ``--quiet``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=name, total=total, unit="rep", file=sys.stderr, leave=False) as bar:
        yield _Bar(bar)


def _cmd_run(args: argparse.Namespace) -> int:
    scenarios, invalid = _load_all(args.files, unique_names=True, overrides=args.overrides)
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
        if finished:
            from sim.report.page import write_report

            names = [sc.name for sc in todo if sc.name in finished]  # in the command's order
            print(f"\nreport: {write_report(args.out, [args.out / n for n in names])}")
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
    sc: Scenario, out: Path, workers: int, chunk_size: int | None, disk_taken: int = 0
) -> str | None:
    """Why a run would not fit in memory (its chunks in flight on this machine) or on disk
    (after ``disk_taken`` bytes for the runs before it in the batch), or None."""
    from sim.batch.scheduler import (
        DISK_PER_CELL,
        MEMORY_PER_CELL,
        cells_per_replication,
        plan_chunks,
    )

    per_rep = cells_per_replication(sc)
    chunks = plan_chunks(sc.replications, per_rep, workers, chunk_size)
    chunk = max(len(c) for c in chunks)
    in_flight = min(workers, len(chunks))
    need_mem = in_flight * chunk * per_rep * MEMORY_PER_CELL
    need_disk = sc.replications * per_rep * DISK_PER_CELL
    free_mem = _available_memory()
    probe = out if out.exists() else out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    free_disk = shutil.disk_usage(probe).free - disk_taken
    if free_mem is not None and need_mem > 0.8 * free_mem:
        fits = max(1, int(0.8 * free_mem / (in_flight * per_rep * MEMORY_PER_CELL)))
        return (
            f"needs about {need_mem / 1e9:.1f} GB of memory for {in_flight} chunk(s) of {chunk:,} "
            f"replications, {free_mem / 1e9:.1f} GB available; use --chunk-size {fits:,} or "
            "less (or fewer --workers)"
        )
    if need_disk > free_disk:
        fits = max(0, int(free_disk / (per_rep * DISK_PER_CELL)))
        left = "left for it after the runs before it in this command" if disk_taken else "free"
        return (
            f"its outputs need about {need_disk / 1e9:.1f} GB of disk, "
            f"{max(free_disk, 0) / 1e9:.1f} GB {left} in {probe}; run at most about "
            f"{fits:,} replications or free some space"
        )
    return None


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
    from sim.batch.scheduler import DISK_PER_CELL, cells_per_replication, make_backend, run_batch
    from sim.model.power import format_power
    from sim.units.calendar import Calendar

    failed = False
    rerun: list[str] = []
    runs: list[Scenario] = []
    workers = _local_workers(args)
    if args.dask not in (None, "local") and args.workers:
        print(
            "--workers: ignored with a remote scheduler (its workers are started with "
            "'dask worker')",
            file=sys.stderr,
        )
    disk_taken = 0
    for sc in todo:
        if args.resume and RunDir(args.out / sc.name).is_up_to_date(sc):
            print(f"{sc.name}: outputs up to date, skipped (--resume)")
            finished.append(sc.name)
            continue
        problem = _too_big(sc, args.out, workers, args.chunk_size, disk_taken)
        if problem:
            print(f"{sc.name}: refused: {problem}", file=sys.stderr)
            failed = True
            continue
        disk_taken += sc.replications * cells_per_replication(sc) * DISK_PER_CELL
        runs.append(sc)
    if not runs:
        return failed, rerun
    total = sum(sc.replications for sc in runs)
    with _progress_bar(f"{len(runs)} scenario(s)", total, args.quiet) as progress:
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
            for outcome in run_batch(runs, args.out, backend, args.chunk_size, on_chunk=on_chunk):
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


def _cmd_validate(args: argparse.Namespace) -> int:
    scenarios, invalid = _load_all(args.files, overrides=args.overrides)
    for sc in scenarios:
        print(f"ok: {sc.name}")
    return EXIT_INVALID if invalid else EXIT_OK


def _measures(path: Path, seed: int | None, replications: int | None) -> tuple[str, Any]:
    """Per-replication measures of a run directory, or of a scenario file run now."""
    from sim.engine.runner import run
    from sim.store.tables import measures_table

    if path.is_dir():
        run_dir = RunDir(path)
        if run_dir.missing(["measures.parquet"]):
            raise ScenarioError(
                display_path(path), [Problem("", "no measures.parquet: not a run directory")]
            )
        return path.name, run_dir.measures_table()
    sc = load_scenario(path)
    update: dict[str, int] = {}
    if seed is not None:
        update["seed"] = seed
    if replications is not None:
        update["replications"] = replications
    sc = sc.model_copy(update=update)
    return sc.name, measures_table(run(sc))


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.compare import NotPaired, breach_chance, format_comparison, paired_rows

    half: dict[str, float] = {}
    for item in args.half_width:
        name, _, value = item.partition("=")
        try:
            half[name] = float(value)
        except ValueError:
            print(f"--half-width: must be MEASURE=VALUE, got {item!r}", file=sys.stderr)
            return EXIT_INVALID
    try:
        seed = args.seed
        if seed is None and args.a.suffix == ".toml" and args.b.suffix == ".toml":
            seed = load_scenario(args.a).seed  # pair B with A's random numbers
        name_a, a = _measures(args.a, seed, args.replications)
        name_b, b = _measures(args.b, seed, args.replications)
        rows = paired_rows(a, b, half)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except NotPaired as exc:
        print(f"{display_path(args.a)} and {display_path(args.b)}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    breaches = (breach_chance(a, args.deficit_limit), breach_chance(b, args.deficit_limit))
    print(format_comparison(name_a, name_b, rows, breaches, args.deficit_limit))
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from sim.analysis.explain import NoSuchMeeting, explain

    run_dir = RunDir(args.run_dir / args.scenario)
    where = display_path(run_dir.path)
    if run_dir.missing(["manifest.json"]):
        print(
            f"{where}: no run of scenario {args.scenario!r} here (manifest.json missing)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        text = explain(
            run_dir.scenario(),
            run_dir.decisions(),
            run_dir.transfers(),
            args.replication,
            args.meeting,
        )
    except NoSuchMeeting as exc:
        print(f"{where}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except RunDirError as exc:
        print(f"{where}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(text)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "explain":
            return _cmd_explain(args)
        if args.command == "compare":
            return _cmd_compare(args)
        from sim.scenario.reference import json_schema, render

        print(render(), end="") if args.markdown else print(json.dumps(json_schema(), indent=2))
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE

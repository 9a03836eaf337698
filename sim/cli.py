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

from sim.engine import Progress
from sim.errors import Problem, ScenarioError
from sim.loader import display_path, load_scenario, load_variants
from sim.scenario import Scenario

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
        "--chunk-size", type=_positive, help="replications simulated at once (bounds memory)"
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


@contextmanager
def _progress_bar(name: str, quiet: bool) -> Iterator[Progress | None]:
    """A progress bar with the time left, on a terminal and unless ``--quiet``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=name, unit="month", file=sys.stderr, leave=False) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        yield update


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
        failed = _run_all(args, todo, finished)
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


def _up_to_date(where: Path, sc: Scenario) -> bool:
    """Whether a scenario's outputs exist, complete, for exactly this scenario."""
    from sim.output import OUTPUT_FILES, scenario_hash

    try:
        manifest = json.loads((where / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("scenario_hash") == scenario_hash(sc) and all(
        (where / f).exists() for f in OUTPUT_FILES
    )


#: Bytes of memory a run needs per replication-month-place-sector, including its outputs
#: (about 390 measured on the baseline, 10 years; the transfer records dominate).
MEMORY_PER_CELL = 500
#: Bytes of disk its output files take per replication-month-place-sector (with a margin).
DISK_PER_CELL = 50


def _too_big(sc: Scenario, out: Path) -> str | None:
    """Why a run would not fit in memory or on disk, or None."""
    cells = sc.replications * 12 * sc.horizon_years * len(sc.places) * len(sc.sectors)
    need_mem, need_disk = cells * MEMORY_PER_CELL, cells * DISK_PER_CELL
    try:
        free_mem = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        free_mem = None
    probe = out if out.exists() else out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    free_disk = shutil.disk_usage(probe).free
    per_rep = max(1, cells // sc.replications)
    if free_mem is not None and need_mem > 0.8 * free_mem:
        fits = int(0.8 * free_mem / (per_rep * MEMORY_PER_CELL))
        return (
            f"needs about {need_mem / 1e9:.1f} GB of memory, {free_mem / 1e9:.1f} GB available; "
            f"run at most about {fits:,} replications at a time (--replications, or split the "
            "run with different seeds)"
        )
    if need_disk > free_disk:
        fits = int(free_disk / (per_rep * DISK_PER_CELL))
        return (
            f"its outputs need about {need_disk / 1e9:.1f} GB of disk, {free_disk / 1e9:.1f} GB "
            f"free in {probe}; run at most about {fits:,} replications or free some space"
        )
    return None


def _run_all(args: argparse.Namespace, todo: list[Scenario], finished: list[str]) -> bool:
    """Run and write each scenario in turn; return whether any failed."""
    from sim.output import write_run
    from sim.power import format_power
    from sim.runner import run
    from sim.summary import format_table, summarise

    failed = False
    for sc in todo:
        if args.resume and _up_to_date(args.out / sc.name, sc):
            print(f"{sc.name}: outputs up to date, skipped (--resume)")
            finished.append(sc.name)
            continue
        problem = _too_big(sc, args.out)
        if problem:
            print(f"{sc.name}: refused: {problem}", file=sys.stderr)
            failed = True
            continue
        try:
            with _progress_bar(sc.name, args.quiet) as progress:
                res = run(sc, chunk_size=args.chunk_size, progress=progress)
            path = write_run(res, args.out)
        except Exception as exc:  # report and carry on with the other scenarios
            print(f"{sc.name}: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed = True
            continue
        print(
            f"\n{sc.name}: {res.n} replications, seed {sc.seed}, {sc.horizon_years} years -> {path}"
        )
        print(format_table(summarise(res)))
        for month, power in res.compositions:
            print(f"\nBoard from {res.calendar.label(month)}. " + format_power(power))
        finished.append(sc.name)
    return failed


def _cmd_validate(args: argparse.Namespace) -> int:
    scenarios, invalid = _load_all(args.files, overrides=args.overrides)
    for sc in scenarios:
        print(f"ok: {sc.name}")
    return EXIT_INVALID if invalid else EXIT_OK


def _measures(path: Path, seed: int | None, replications: int | None) -> tuple[str, Any]:
    """Per-replication measures of a run directory, or of a scenario file run now."""
    import pyarrow.parquet as pq

    from sim.output import measures_table
    from sim.runner import run

    if path.is_dir():
        table = path / "measures.parquet"
        if not table.exists():
            raise ScenarioError(
                display_path(path), [Problem("", "no measures.parquet: not a run directory")]
            )
        return path.name, pq.read_table(table)
    sc = load_scenario(path)
    update: dict[str, int] = {}
    if seed is not None:
        update["seed"] = seed
    if replications is not None:
        update["replications"] = replications
    sc = sc.model_copy(update=update)
    return sc.name, measures_table(run(sc))


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import NotPaired, breach_chance, format_comparison, paired_rows

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
    import pyarrow.parquet as pq

    from sim.explain import NoSuchMeeting, explain
    from sim.loader import parse_scenario

    where = args.run_dir / args.scenario
    manifest_path = where / "manifest.json"
    if not manifest_path.exists():
        print(
            f"{display_path(where)}: no run of scenario {args.scenario!r} here (manifest.json missing)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    manifest = json.loads(manifest_path.read_text())
    scenario = parse_scenario(manifest["scenario"], display_path(manifest_path))
    try:
        text = explain(
            scenario,
            pq.read_table(where / "decisions.parquet"),
            pq.read_table(where / "transfers.parquet"),
            args.replication,
            args.meeting,
        )
    except NoSuchMeeting as exc:
        print(f"{display_path(where)}: {exc}", file=sys.stderr)
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
        from sim.reference import json_schema, render

        print(render(), end="") if args.markdown else print(json.dumps(json_schema(), indent=2))
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE

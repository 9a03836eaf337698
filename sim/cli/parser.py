"""The command line's arguments: one parser, its checks of each value, and the exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def positive(text: str) -> int:
    """A whole number of at least 1."""
    return _whole(text, 1)


def count(text: str) -> int:
    """A whole number of at least 0."""
    return _whole(text, 0)


def seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def power_of_two(text: str) -> int:
    """A whole number that is a power of 2 (Sobol' sampling needs one)."""
    value = positive(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of 2 (64, 128, ...), got {value}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1, got {value}")
    return value


def dask_address(text: str) -> str:
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


def outputs_level(text: str) -> str:
    """An output level, ``lean``, ``full`` or ``sample=N`` (:mod:`sim.store.outputs`)."""
    from sim.store.outputs import Outputs

    try:
        return str(Outputs.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_max_variants(command: argparse.ArgumentParser) -> None:
    """``--max-variants``, the same for ``run`` and ``validate``."""
    from sim.scenario.loader import MAX_VARIANTS

    command.add_argument(
        "--max-variants",
        type=positive,
        default=MAX_VARIANTS,
        metavar="N",
        help=f"refuse a [sweep] of more than N variants (default {MAX_VARIANTS:,}), counted "
        "before any is made",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = _Parser(prog="python -m sim", description="ICB funding-allocation scenario simulator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run scenario files and write their outputs")
    run.add_argument("files", nargs="+", type=Path, help="scenario TOML files")
    run.add_argument(
        "--replications", "-n", type=positive, help="override the number of replications"
    )
    run.add_argument("--seed", type=seed, help="override the root random seed")
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
    add_max_variants(run)
    run.add_argument(
        "--resume",
        action="store_true",
        help="skip scenarios whose outputs already exist for exactly this scenario (by hash)",
    )
    run.add_argument(
        "--chunk-size",
        type=positive,
        help="replications per chunk (default: as many as fit in about 2 GB, split evenly "
        "over the workers); results are identical for any chunk size",
    )
    run.add_argument(
        "--workers",
        "-j",
        type=positive,
        help="worker processes on this machine (default 1: run here); with --dask local, "
        "the LocalCluster's workers (default: one per core)",
    )
    run.add_argument(
        "--dask",
        type=dask_address,
        metavar="local|tcp://HOST:PORT",
        help="run chunks on a dask.distributed cluster: 'local' starts one on this machine, "
        "an address uses a running scheduler",
    )
    run.add_argument(
        "--outputs",
        type=outputs_level,
        default="lean",
        metavar="lean|full|sample=N",
        help="what each run writes: lean (default: summary, measures, decisions, bands, "
        "plan, power), full (adds the time series, transfers and monthly digest), or "
        "sample=N (those for replications 0 .. N-1 only)",
    )
    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE"
    )
    add_max_variants(validate)
    explain = sub.add_parser("explain", help="explain a board decision of a finished run")
    explain.add_argument("run_dir", type=Path, help="the --out directory of the run")
    explain.add_argument("--scenario", required=True, help="scenario name (its sub-directory)")
    explain.add_argument("--replication", type=int, required=True, help="replication index")
    explain.add_argument(
        "--meeting", type=positive, required=True, help="meeting number (1, 2, ...)"
    )
    compare = sub.add_parser(
        "compare", help="paired comparison of two runs (or two scenario files) by replication"
    )
    compare.add_argument("a", type=Path, help="run directory (DIR/NAME) or scenario file A")
    compare.add_argument("b", type=Path, help="run directory (DIR/NAME) or scenario file B")
    compare.add_argument(
        "--replications", "-n", type=positive, help="for scenario files: replications"
    )
    compare.add_argument(
        "--seed", type=seed, help="for scenario files: seed for both (default: A's)"
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
    measures = sub.add_parser("measures", help="list the headline measures and what each is")
    measures.add_argument("--markdown", action="store_true", help="print docs/measures.md instead")
    _calibration_commands(sub)
    return parser


def _calibration_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``calibrate`` and ``sensitivity`` (docs/calibration.md, docs/sensitivity.md)."""
    from sim.calibration.history import DATA_DIR

    cal = sub.add_parser(
        "calibrate", help="fit the model's behavioural parameters to history (and backtest)"
    )
    cal.add_argument(
        "spec",
        nargs="?",
        type=Path,
        default=DATA_DIR / "calibration.toml",
        help="calibration file: scenario, targets, free parameters (default data/calibration.toml)",
    )
    cal.add_argument(
        "--replications",
        "-n",
        type=positive,
        help="replications per evaluation (default: the scenario's)",
    )
    cal.add_argument(
        "--seed", type=seed, help="seed shared by every evaluation (default: the scenario's)"
    )
    cal.add_argument(
        "--budget", type=seconds, metavar="SECONDS", help="wall-time budget of each fit, seconds"
    )
    cal.add_argument(
        "--screen",
        type=count,
        default=32,
        help="quasi-random points screened before the local fits (default 32; 0: start from "
        "the scenario's values)",
    )
    cal.add_argument(
        "--backtest", action="store_true", help="also refit without each target and predict it"
    )
    cal.add_argument(
        "--out", type=Path, default=Path("runs"), help="output directory (default: runs)"
    )
    cal.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    sens = sub.add_parser(
        "sensitivity", help="which assumptions drive the headline measures (Morris, then Sobol')"
    )
    sens.add_argument("file", type=Path, help="scenario file")
    sens.add_argument(
        "--spec",
        type=Path,
        default=DATA_DIR / "sensitivity.toml",
        help="uncertain inputs, their ranges and the measures (default data/sensitivity.toml)",
    )
    sens.add_argument(
        "--replications", "-n", type=positive, default=20, help="replications per run (default 20)"
    )
    sens.add_argument(
        "--seed", type=seed, help="seed shared by every run (default: the scenario's)"
    )
    sens.add_argument(
        "--trajectories", type=positive, default=10, help="Morris trajectories (default 10)"
    )
    sens.add_argument(
        "--samples",
        type=power_of_two,
        default=64,
        help="Sobol' base samples, a power of 2 (default 64)",
    )
    sens.add_argument(
        "--top",
        type=positive,
        default=6,
        help="factors Morris ranks highest, for Sobol' (default 6)",
    )
    sens.add_argument(
        "--out", type=Path, default=Path("runs"), help="output directory (default: runs)"
    )
    sens.add_argument(
        "--resume", action="store_true", help="skip runs whose outputs already exist (by hash)"
    )
    sens.add_argument("--workers", "-j", type=positive, help="worker processes (default 1)")
    sens.add_argument(
        "--dask", type=dask_address, metavar="local|tcp://HOST:PORT", help="run on a Dask cluster"
    )
    sens.add_argument("--quiet", "-q", action="store_true", help="no progress lines")

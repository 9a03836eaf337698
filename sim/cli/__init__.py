"""Command line: ``python -m sim run|validate|explain|compare|schema|measures|calibrate|
sensitivity``.

Exit codes: 0 success, 2 invalid input (one line per problem, no traceback), 1 any other
failure. Each command is a function of the parsed arguments that returns its exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sim.cli.calibrate import cmd_calibrate, cmd_sensitivity
from sim.cli.commands import (
    cmd_compare,
    cmd_explain,
    cmd_measures,
    cmd_schema,
    cmd_validate,
)
from sim.cli.parser import EXIT_FAILURE, build_parser
from sim.cli.run import cmd_run

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "validate": cmd_validate,
    "explain": cmd_explain,
    "compare": cmd_compare,
    "schema": cmd_schema,
    "measures": cmd_measures,
    "calibrate": cmd_calibrate,
    "sensitivity": cmd_sensitivity,
}

__all__ = ["COMMANDS", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE

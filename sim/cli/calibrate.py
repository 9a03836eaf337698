"""``python -m sim calibrate`` and ``python -m sim sensitivity``: fitting the model to
history, the backtest, and which assumptions drive the answers (docs/calibration.md,
docs/sensitivity.md)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from sim.cli.parser import EXIT_FAILURE, EXIT_INVALID, EXIT_OK


def _say_progress(quiet: bool, stream: TextIO = sys.stderr) -> Any:
    """A progress printer: one updating line on a terminal, a line a step otherwise."""
    live = stream.isatty() and not quiet
    last = [0.0]

    def say(text: str, final: bool = False) -> None:
        if quiet:
            return
        now = time.monotonic()
        if live:
            print(f"\r{text:<78}", end="\n" if final else "", file=stream, flush=True)
        elif final or now - last[0] >= 5.0:
            print(text, file=stream, flush=True)
            last[0] = now

    return say


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the free parameters of a calibration file to its history; write the results."""
    from sim.calibration.backtest import backtest, rmse
    from sim.calibration.fit import fit
    from sim.calibration.history import DataError
    from sim.calibration.moments import prepare
    from sim.calibration.outputs import OutputError, claim
    from sim.calibration.report import calibration_files, calibration_table
    from sim.calibration.spec import SpecError
    from sim.scenario.errors import ScenarioError

    say = _say_progress(args.quiet)
    try:
        problem = prepare(args.spec, args.replications, args.seed)
    except (SpecError, DataError, ScenarioError) as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return EXIT_INVALID

    folder = args.out / f"calibration-{problem.scenario_path.stem}"
    try:
        claim(folder, "calibration")  # refuse a folder that is not ours before fitting
    except OutputError as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return EXIT_FAILURE

    def progress(n: int, cost: float, best: float, seconds: float) -> None:
        say(f"calibrate: {n} evaluations, best distance Q {2 * best:.4g}, {seconds:.0f} s")

    fitted = fit(problem, budget=args.budget, screen=args.screen, progress=progress)
    say(f"calibrate: {fitted.evaluations} evaluations, {fitted.message}", final=True)
    held = None
    if args.backtest:

        def on_target(k: int, label: str) -> None:
            say(f"backtest: refitting without {label} ({k + 1} of {len(problem.targets)})")

        held = backtest(problem, fitted, budget=args.budget, on_target=on_target)
        say(
            f"backtest: error on what was held out {100 * rmse(held):.2f} points (RMSE)", final=True
        )
    print(calibration_table(problem, fitted, held))
    try:
        path = calibration_files(problem, fitted, held, args.out, vars(args))
    except OutputError as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"\nwritten to {path}")
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Morris screening, then Sobol' indices, of the headline measures of a scenario."""
    from sim.batch.backends import make_backend
    from sim.calibration.history import DataError
    from sim.calibration.outputs import OutputError
    from sim.calibration.report import sensitivity_files, sensitivity_table
    from sim.calibration.sample_runs import SampleRunError
    from sim.calibration.sensitivity import load_sensitivity
    from sim.calibration.spec import SpecError
    from sim.calibration.study import run_study
    from sim.scenario.errors import ScenarioError

    say = _say_progress(args.quiet)
    try:
        spec = load_sensitivity(args.spec)
    except (SpecError, DataError) as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return EXIT_INVALID
    try:
        backend = make_backend(args.workers or 1, args.dask)
    except Exception as exc:
        print(f"sensitivity: cannot start the workers: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        study = run_study(
            args.file,
            spec,
            spec_path=args.spec,
            out=args.out,
            backend=backend,
            replications=args.replications,
            seed=args.seed,
            trajectories=args.trajectories,
            samples=args.samples,
            top=args.top,
            resume=args.resume,
            say=say,
        )
    except (SpecError, ScenarioError) as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return EXIT_INVALID
    except (SampleRunError, OutputError) as exc:
        print(f"sensitivity: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        backend.close()
    print(sensitivity_table(study))
    try:
        path = sensitivity_files(study, vars(args))
    except OutputError as exc:
        print(f"sensitivity: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"\nwritten to {path}")
    return EXIT_OK

"""The commands that read or check rather than run: ``validate``, ``compare``, ``explain``,
``schema`` and ``measures``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.inputs import load_all
from sim.cli.parser import EXIT_INVALID, EXIT_OK
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import display_path, load_scenario


def cmd_validate(args: argparse.Namespace) -> int:
    scenarios, invalid = load_all(
        args.files, overrides=args.overrides, max_variants=args.max_variants
    )
    for sc in scenarios:
        print(f"ok: {sc.name}")
    return EXIT_INVALID if invalid else EXIT_OK


def _measures(path: Path, seed: int | None, replications: int | None) -> tuple[str, Any]:
    """Per-replication measures of a run directory, or of a scenario file run now."""
    from sim.engine.runner import run
    from sim.store.run_dir import RunDir
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


def cmd_compare(args: argparse.Namespace) -> int:
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


def cmd_explain(args: argparse.Namespace) -> int:
    from sim.analysis.explain import NoSuchMeeting, explain
    from sim.store.run_dir import RunDir, RunDirError

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


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.reference import json_schema, render

    print(render(), end="") if args.markdown else print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_measures(args: argparse.Namespace) -> int:
    from sim.analysis.measures import MEASURES, SCOPE_LABELS, markdown
    from sim.units.display import table

    if args.markdown:
        print(markdown(), end="")
        return EXIT_OK
    rows = [[m.name, m.label, m.unit, SCOPE_LABELS[m.scope], m.better] for m in MEASURES]
    headers = ["measure", "label", "unit", "covers", "better"]
    print(table(headers, rows, [False] * 5))
    return EXIT_OK

"""Which scenarios a command names: files, directories and globs, every variant of a sweep,
validated before anything runs."""

from __future__ import annotations

import glob
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sim.scenario.errors import ScenarioError, echo_path
from sim.scenario.format import Scenario
from sim.scenario.loader import MAX_VARIANTS, display_path, load_variants
from sim.scenario.plausibility import caution_lines

#: Most distinct error lines printed for one file; a sweep of many invalid variants (each
#: with its own value) would otherwise print thousands. The rest are counted in one line.
MAX_ERROR_LINES = 20


def load_all(
    files: Sequence[Path],
    unique_names: bool = False,
    overrides: Sequence[str] = (),
    max_variants: int = MAX_VARIANTS,
) -> tuple[list[Scenario], bool]:
    """Load every file's variants; print each invalid one's errors and leave it out.

    Inputs may be files, directories (their ``*.toml`` files) or glob patterns. A file with a
    ``[sweep]`` gives one scenario per point of its grid (at most ``max_variants``).
    Everything is validated before anything runs; implausible settings are warned about on
    stderr (they still run). With ``unique_names`` (for ``run``), a second scenario with a name
    already loaded is an error too, since both would write to the same output directory.
    """
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    warned: set[str] = set()
    paths, invalid = expand_inputs(files)
    for f in paths:
        shown = echo_path(display_path(f))
        try:
            variants = load_variants(f, overrides, max_variants)
        except ScenarioError as exc:
            variants = [exc]
        errors = [sc for sc in variants if isinstance(sc, ScenarioError)]
        print_errors(shown, errors, len(variants))
        invalid = invalid or bool(errors)
        for sc in variants:
            if isinstance(sc, ScenarioError):
                continue
            for line in caution_lines(shown, sc):
                # Warnings never stop a run; a sweep's variants share them, so say each once.
                if line not in warned:
                    warned.add(line)
                    print(line, file=sys.stderr)
            if not (unique_names and sc.name in seen):
                seen[sc.name] = f
                scenarios.append(sc)
                continue
            # Both would write DIR/<name>/: refuse the second rather than overwrite the first.
            print(
                f"{shown}: name: {sc.name!r} is also the name of "
                f"{echo_path(display_path(seen[sc.name]))} in this command (outputs would collide)",
                file=sys.stderr,
            )
            invalid = True
    return scenarios, invalid


def print_errors(source: str, errors: Sequence[ScenarioError], variants: int) -> None:
    """The error lines of one file's invalid variants on stderr: a line that several of a
    sweep's variants share once, with how many, and at most :data:`MAX_ERROR_LINES`."""
    counts = Counter(line for exc in errors for line in dict.fromkeys(exc.lines()))
    for line, n in list(counts.items())[:MAX_ERROR_LINES]:
        print(line if n == 1 else f"{line} (in {n:,} of {variants:,} variants)", file=sys.stderr)
    if len(counts) > MAX_ERROR_LINES:
        invalid = f" ({len(errors):,} of {variants:,} variants are invalid)" if variants > 1 else ""
        print(
            f"{source}: {len(counts) - MAX_ERROR_LINES:,} more errors not shown{invalid}",
            file=sys.stderr,
        )


def expand_inputs(inputs: Sequence[Path]) -> tuple[list[Path], bool]:
    """Files named directly, the ``*.toml`` files of directories, and glob matches."""
    out: list[Path] = []
    missing = False
    for item in inputs:
        try:
            is_dir, exists = item.is_dir(), item.exists()
        except OSError:  # a name longer than the file system allows: the loader says so
            is_dir, exists = False, True
        if is_dir:
            out += sorted(item.glob("*.toml"))
        elif exists or not any(c in str(item) for c in "*?["):
            out.append(item)  # a missing file is reported by the loader
        else:
            matches = sorted(Path(m) for m in glob.glob(str(item)))
            if not matches:
                print(f"{echo_path(str(item))}: no files match", file=sys.stderr)
                missing = True
            out += matches
    return out, missing

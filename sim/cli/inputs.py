"""Which scenarios a command names: files, directories and globs, every variant of a sweep,
validated before anything runs."""

from __future__ import annotations

import glob
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.scenario.loader import display_path, load_variants
from sim.scenario.plausibility import caution_lines


def load_all(
    files: Sequence[Path], unique_names: bool = False, overrides: Sequence[str] = ()
) -> tuple[list[Scenario], bool]:
    """Load every file's variants; print each invalid one's errors and leave it out.

    Inputs may be files, directories (their ``*.toml`` files) or glob patterns. A file with a
    ``[sweep]`` gives one scenario per point of its grid. Everything is validated before
    anything runs; implausible settings are warned about on stderr (they still run). With
    ``unique_names`` (for ``run``), a second scenario with a name
    already loaded is an error too, since both would write to the same output directory.
    """
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    warned: set[str] = set()
    paths, invalid = expand_inputs(files)
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
            for line in caution_lines(display_path(f), sc):
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
                f"{display_path(f)}: name: {sc.name!r} is also the name of "
                f"{display_path(seen[sc.name])} in this command (outputs would collide)",
                file=sys.stderr,
            )
            invalid = True
    return scenarios, invalid


def expand_inputs(inputs: Sequence[Path]) -> tuple[list[Path], bool]:
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

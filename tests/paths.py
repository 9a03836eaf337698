"""Where the tests find the repository's files, the same from every level of ``tests/``."""

from __future__ import annotations

from pathlib import Path

#: The repository root.
ROOT = Path(__file__).resolve().parent.parent
#: The scenario library.
SCENARIOS = ROOT / "scenarios"
#: Committed snapshots of results (``tests/snapshots``), shared by all levels.
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

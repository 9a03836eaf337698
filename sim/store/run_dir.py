"""The one reader of a finished run: ``DIR/<scenario-name>/`` as :mod:`sim.store.writer`
wrote it.

The report, ``compare``, ``explain``, ``--resume`` and the app read runs through
:class:`RunDir` only, so a change to an output file is made here and in
:mod:`sim.store.tables`, nowhere else. Each file is read when first asked for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.measures import Measure
from sim.analysis.monthly import Digest
from sim.analysis.summary import (
    RuleCount,
    SummaryRow,
    measures_from_table,
    ring_fence_counts_of_blocks,
)
from sim.scenario.format import Scenario
from sim.scenario.loader import display_path, parse_scenario
from sim.store.measures_file import measure_blocks
from sim.store.outputs import FULL_TABLES, Outputs
from sim.store.tables import Bands, PlanRow, PowerRow, read_rows_csv
from sim.store.writer import scenario_hash

#: The files a report of a run needs (all written at every output level).
REPORT_FILES = ("manifest.json", "summary.csv", "measures.parquet", "power.csv", "bands.parquet")


class RunDirError(Exception):
    """A run directory that cannot be read (missing, incomplete or unreadable); the message
    says why, in words."""


class RunDir:
    """A finished run's directory.

    Example:
        >>> run = RunDir("runs/baseline")              # doctest: +SKIP
        >>> run.check()                                 # doctest: +SKIP
        >>> run.summary()[0].measure                    # doctest: +SKIP
        'primary_care_share'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def missing(self, files: Sequence[str] | None = None) -> list[str]:
        """Which of ``files`` (by default, those of the run's output level) the directory
        lacks (Parquet tables may be files or directories of part files)."""
        if files is None:
            try:
                files = (self.outputs or Outputs()).files()
            except RunDirError:
                files = Outputs().files()
        return [f for f in files if not (self.path / f).exists()]

    @property
    def outputs(self) -> Outputs | None:
        """The output level the run was written at (None for a run that records none)."""
        return Outputs.of_manifest(self.manifest)

    def check(self, files: Sequence[str] = REPORT_FILES) -> None:
        """Raise :class:`RunDirError` unless the directory exists and holds ``files`` and a
        readable manifest."""
        if not self.path.is_dir():
            raise RunDirError("not found" if not self.path.exists() else "not a directory")
        missing = self.missing(files)
        if missing:
            raise RunDirError(f"not a complete run directory: missing {', '.join(missing)}")
        _ = self.manifest

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: the scenario as run, its hash, seed, replications, version."""
        try:
            doc = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError("manifest.json missing") from None
        except (OSError, ValueError) as exc:
            raise RunDirError(f"manifest.json could not be read: {exc}") from exc
        if not isinstance(doc, dict):
            raise RunDirError("manifest.json is not a JSON object")
        return doc

    @property
    def name(self) -> str:
        """The scenario's name (the directory's, if the manifest lacks it)."""
        return str(self.manifest.get("scenario_name") or self.path.name)

    @property
    def scenario_document(self) -> dict[str, Any]:
        """The resolved scenario as plain data, as the manifest holds it ({} if absent)."""
        sc = self.manifest.get("scenario")
        return sc if isinstance(sc, dict) else {}

    def scenario(self) -> Scenario:
        """The scenario as run, validated again (a ScenarioError names the manifest)."""
        return parse_scenario(self.scenario_document, display_path(self.path / "manifest.json"))

    def is_up_to_date(self, scenario: Scenario, outputs: Outputs | None = None) -> bool:
        """Whether the directory holds every output, complete, of exactly this scenario, at
        an output level holding all that ``outputs`` (default lean) asks for: a full run
        serves a lean or sampled request, a lean run does not serve a full one."""
        asked = outputs or Outputs()
        try:
            same = self.manifest.get("scenario_hash") == scenario_hash(scenario)
            level = self.outputs
        except RunDirError:
            return False
        if not same or level is None or not level.covers(asked):
            return False
        return not self.missing(level.files()) and not self.missing(asked.files())

    def summary(self) -> tuple[SummaryRow, ...]:
        """``summary.csv``: each measure's summary over replications, in file order."""
        rows: tuple[SummaryRow, ...] = read_rows_csv(self.path / "summary.csv", SummaryRow)
        return rows

    def power(self) -> tuple[PowerRow, ...]:
        """``power.csv``: voting power of each composition, by bloc and by member."""
        rows: tuple[PowerRow, ...] = read_rows_csv(self.path / "power.csv", PowerRow)
        return rows

    def plan(self) -> tuple[PlanRow, ...]:
        """``plan.csv``: the board's division of each year's growth money."""
        rows: tuple[PlanRow, ...] = read_rows_csv(self.path / "plan.csv", PlanRow)
        return rows

    def measures_table(self) -> pa.Table:
        """``measures.parquet``: every measure for every replication."""
        return self._table("measures")

    def measures(self) -> list[Measure]:
        """Every measure's per-replication values, in the summary's order."""
        return measures_from_table(self.measures_table())

    def ring_fences(self) -> tuple[RuleCount, ...]:
        """How often each ring-fence rule bound and was relaxed."""
        rules = list(
            dict.fromkeys(r.detail for r in self.summary() if r.measure == "ring_fence_bindings")
        )
        if not rules:
            return ()
        names = ("ring_fence_bindings", "ring_fence_shortfalls")
        try:
            # Only the ring-fence measures, counted a block of replications at a time (not
            # every measure, nor every replication at once).
            keys, blocks = measure_blocks(
                self.path / "measures.parquet", lambda m, d: m in names and d in rules
            )
            return ring_fence_counts_of_blocks([(m, d) for m, d, _ in keys], blocks, rules)
        except KeyError as exc:
            raise RunDirError(str(exc.args[0])) from exc

    def bands(self) -> Bands:
        """``bands.parquet``: the fan charts' monthly bands over every replication."""
        return Bands.from_table(self._table("bands"))

    def monthly(self) -> Digest:
        """``monthly.parquet``: the month-by-month digest of each replication (written at
        ``--outputs full``, or for a sample)."""
        return Digest.from_table(self._table("monthly"))

    def decisions(self) -> pa.Table:
        """``decisions.parquet``: every board meeting, replication and place."""
        return self._table("decisions")

    def transfers(self) -> pa.Table:
        """``transfers.parquet``: every recorded transfer."""
        return self._table("transfers")

    def timeseries(self) -> pa.Table:
        """``timeseries.parquet``: per replication, month, place and sector (pence)."""
        return self._table("timeseries")

    def _table(self, name: str) -> pa.Table:
        path = self.path / f"{name}.parquet"
        if not path.exists():
            try:
                level = self.outputs
            except RunDirError:
                level = None
            if name in FULL_TABLES and level is not None and level.level == "lean":
                raise RunDirError(
                    f"{name}.parquet not written: the run was written with --outputs lean; "
                    "rerun it with --outputs full (or --outputs sample=N)"
                )
            raise RunDirError(f"{name}.parquet missing")
        return pq.read_table(path)

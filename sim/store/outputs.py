"""Output levels: what a run writes (``--outputs``).

- ``lean`` (the default): what a sweep needs. The manifest, summary, measures, plan, power,
  every board decision and the fan charts' monthly bands (``bands.parquet``); the report,
  ``compare`` and the app work from these.
- ``full``: adds the per-replication tables, the time series, the transfer records and the
  monthly digest (``timeseries``, ``transfers``, ``monthly``).
- ``sample=N``: the lean files for every replication, and the full tables for replications
  ``0 .. N-1`` only (enough to look into a few replications, or to ``explain`` them).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Tables written a chunk at a time at every level.
LEAN_TABLES = ("decisions", "measures")
#: Tables written a chunk at a time at ``full`` (all replications) and ``sample=N`` (some).
FULL_TABLES = ("timeseries", "transfers", "monthly")
#: Every table written a chunk at a time, as directories of part files.
PART_TABLES = (*FULL_TABLES, *LEAN_TABLES)
#: Files written once, when the run is committed.
SCENARIO_FILES = ("manifest.json", "summary.csv", "power.csv", "plan.csv", "bands.parquet")


@dataclass(frozen=True)
class Outputs:
    """An output level: ``lean``, ``full``, or ``sample=N`` (``sample`` replications)."""

    level: str = "lean"
    sample: int = 0

    @staticmethod
    def parse(text: str) -> Outputs:
        """``lean``, ``full`` or ``sample=N`` (N >= 1); ValueError says why not, in words."""
        name, eq, count = text.strip().partition("=")
        if name in ("lean", "full") and not eq:
            return Outputs(name)
        if name == "sample" and eq:
            try:
                n = int(count)
            except ValueError:
                n = 0
            if n >= 1:
                return Outputs("sample", n)
            raise ValueError(f"sample=N needs a whole number N of at least 1, got {count!r}")
        raise ValueError(f"must be lean, full or sample=N, got {text!r}")

    def __str__(self) -> str:
        return f"sample={self.sample}" if self.level == "sample" else self.level

    def full_tables_for(self, replications: range) -> range:
        """Which of a chunk's replications get the full tables (an empty range: none)."""
        if self.level == "full":
            return replications
        if self.level == "sample":
            return range(
                replications.start, max(replications.start, min(replications.stop, self.sample))
            )
        return range(replications.start, replications.start)

    def tables(self) -> tuple[str, ...]:
        """The tables a run at this level may have a part of per chunk."""
        return PART_TABLES if self.level != "lean" else LEAN_TABLES

    def files(self) -> tuple[str, ...]:
        """The files and table directories a complete run at this level holds."""
        return (*SCENARIO_FILES, *(f"{t}.parquet" for t in self.tables()))

    def covers(self, asked: Outputs) -> bool:
        """Whether a run written at this level holds everything ``asked`` would write."""
        if self.level == "full" or asked.level == "lean":
            return True
        return self.level == "sample" and asked.level == "sample" and self.sample >= asked.sample

    @staticmethod
    def of_manifest(doc: dict[str, object]) -> Outputs | None:
        """The level a run's manifest records (None if it records none, or one unreadable)."""
        try:
            return Outputs.parse(str(doc["outputs"]))
        except (KeyError, ValueError):
            return None

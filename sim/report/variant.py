"""What the report reports: a variant, one run directory read through
:class:`sim.store.run_dir.RunDir`, and its fan-chart bands (``bands.parquet``, merged
chunk by chunk as the run was written, so reading them costs the same at any size)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.monthly import Band, Digest, Sketch
from sim.analysis.summary import RuleCount, SummaryRow
from sim.store.run_dir import REPORT_FILES, RunDir, RunDirError
from sim.store.tables import BAND_SERIES, Bands, PowerRow, bands_table
from sim.units.money import pence_to_pounds_m


@dataclass(frozen=True)
class Fans:
    """The bands of a variant's fan charts: mean and 5/25/50/75/95% over replications.

    Shares are in percent of all budgets, money in £m.
    """

    share: Band
    sectors: tuple[Band, ...]
    moved: Band
    unmet: Band
    spill: Band
    deficit: Band

    def named(self) -> list[tuple[str, Band]]:
        """Every band, with a name."""
        out = [("share", self.share), ("moved", self.moved), ("unmet", self.unmet)]
        out += [("spill", self.spill), ("deficit", self.deficit)]
        out += [(f"sector {j}", b) for j, b in enumerate(self.sectors)]
        return out


def _scaled(b: Band, factor: float) -> Band:
    return Band(*(factor * getattr(b, f) for f in ("mean", "p05", "p25", "p50", "p75", "p95")))


def fans(bands: Bands | Digest) -> Fans:
    """The fan-chart bands of a run (``bands.parquet``; or of a digest held in memory, by
    the same sketch, so both give the same numbers). Shares in percent, money in £m."""
    if isinstance(bands, Digest):
        bands = Bands.from_table(bands_table(Sketch.from_digest(bands)))
    s = bands.series
    money = float(pence_to_pounds_m(1.0))
    named = {n: _scaled(s[n], 100.0 if n == "share" else money) for n in BAND_SERIES}
    return Fans(
        sectors=tuple(_scaled(s[f"budget_{j}"], money) for j in range(len(bands.sector_names))),
        **named,
    )


@dataclass(frozen=True)
class Variant:
    """One run directory, read."""

    path: Path
    manifest: dict[str, Any]
    summary: tuple[SummaryRow, ...]
    bands: Bands
    rules: tuple[RuleCount, ...]
    power: tuple[PowerRow, ...]

    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario_name") or self.bands.scenario_name)

    @property
    def scenario(self) -> dict[str, Any]:
        sc = self.manifest.get("scenario")
        return sc if isinstance(sc, dict) else {}

    @property
    def replications(self) -> int:
        return self.bands.n

    @property
    def years(self) -> int:
        """Financial years in the horizon."""
        return self.bands.months // 12

    def row(self, measure: str) -> SummaryRow | None:
        """The last summary row of a measure (for a yearly measure: the final year)."""
        rows = [r for r in self.summary if r.measure == measure]
        return rows[-1] if rows else None

    def rows(self, measure: str) -> list[SummaryRow]:
        """Every summary row of a measure, in file order (one per year, sector or rule)."""
        return [r for r in self.summary if r.measure == measure]

    def compositions(self) -> list[str]:
        """The months (``YYYY-MM``) from which each board composition sat, in order."""
        return list(dict.fromkeys(r.from_period for r in self.power))


def load_variant(path: Path) -> Variant:
    """Read a run directory; :class:`RunDirError` says why one cannot be reported."""
    run = RunDir(path)
    run.check(REPORT_FILES)
    try:
        summary = run.summary()
        bands = run.bands()
        if bands.n < 1 or bands.months < 12 or bands.months % 12:
            raise RunDirError(
                f"bands.parquet holds {bands.n} replications of {bands.months} months"
            )
        rules = run.ring_fences()
        power = run.power()
    except RunDirError:
        raise
    except Exception as exc:  # any unreadable file: report it, carry on with the others
        raise RunDirError(f"could not be read: {type(exc).__name__}: {exc}") from exc
    return Variant(path, run.manifest, summary, bands, rules, power)

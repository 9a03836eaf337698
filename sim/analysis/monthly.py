"""A run's digest: the month-by-month measures charts are drawn from, per replication.

Small enough to keep for every replication of a big run (a few numbers per replication and
month, summed over places), so the batch report and the app draw the same fan charts from
the same numbers: the report reads them from ``monthly.parquet``, the app takes them from
the :class:`~sim.engine.results.Results` it just ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sim.engine.results import Results
from sim.units.calendar import Calendar
from sim.units.money import Pence

Floats = npt.NDArray[np.float64]

#: Quantiles of the fan charts' bands: 90% and 50% intervals and the median.
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Band:
    """Mean and quantiles over replications of a measure through time, each shape (T,)."""

    mean: Floats
    p05: Floats
    p25: Floats
    p50: Floats
    p75: Floats
    p95: Floats


def band(values: npt.ArrayLike) -> Band:
    """Mean and quantiles over replications (axis 0) of an array shaped (R, T)."""
    v = np.asarray(values, dtype=np.float64)
    q = np.quantile(v, BAND_QUANTILES, axis=0)
    return Band(v.mean(axis=0), *q)


@dataclass(frozen=True)
class Digest:
    """Per replication and month, summed over places; money in pence.

    Flows (``moved``, ``unmet``, ``spill``) are cumulative from the first month.
    """

    scenario_name: str
    start_year: int
    replications: npt.NDArray[np.int64]
    sector_names: tuple[str, ...]
    sector_kinds: tuple[str, ...]
    #: Budget of each sector (the year's plan plus in-year transfers to date), (R, M, S).
    budget: Pence
    #: Cumulative in-year transfers out of primary-care budgets, (R, M).
    moved: Pence
    #: Cumulative primary-care need left unmet, (R, M).
    unmet: Pence
    #: Cumulative cost of unmet primary-care need spilling into other sectors, (R, M).
    spill: Pence
    #: The system's accumulated deficit (positive = owed), (R, M).
    deficit: Pence

    @property
    def n(self) -> int:
        """Number of replications."""
        return int(self.replications.size)

    @property
    def months(self) -> int:
        """Number of months."""
        return int(self.budget.shape[1])

    @property
    def calendar(self) -> Calendar:
        """The run's financial calendar."""
        return Calendar(self.start_year, self.months // 12)

    def labels(self) -> list[str]:
        """Month labels, e.g. ``2025-04``."""
        cal = self.calendar
        return [cal.label(m) for m in range(self.months)]

    def kind_mask(self, kind: str) -> npt.NDArray[np.bool_]:
        """Sectors of a kind, shape (S,)."""
        return np.array([k == kind for k in self.sector_kinds], dtype=bool)

    def share(self, kind: str = "primary") -> Floats:
        """Share of all budgets held by sectors of ``kind``, (R, M)."""
        total = self.budget.sum(axis=2).astype(np.float64)
        part = self.budget[:, :, self.kind_mask(kind)].sum(axis=2).astype(np.float64)
        out: Floats = part / np.maximum(total, 1.0)
        return out

    def sector_shares(self) -> Floats:
        """Share of all budgets held by each sector, (R, M, S)."""
        total = self.budget.sum(axis=2, keepdims=True).astype(np.float64)
        out: Floats = self.budget / np.maximum(total, 1.0)
        return out

    @staticmethod
    def from_results(res: Results) -> Digest:
        """The digest of a run."""
        series = res.series
        primary = res.kind_mask("primary")
        moved = (series["transfers_out"] * primary).sum(axis=(2, 3)).cumsum(axis=1)
        unmet = (series["unmet"] * primary).sum(axis=(2, 3)).cumsum(axis=1)
        spill = series["spill_in"].sum(axis=(2, 3)).cumsum(axis=1)
        return Digest(
            scenario_name=res.scenario.name,
            start_year=res.scenario.start_year,
            replications=res.replications.copy(),
            sector_names=res.sector_names,
            sector_kinds=res.sector_kinds,
            budget=series["budget"].sum(axis=2),
            moved=moved,
            unmet=unmet,
            spill=spill,
            deficit=-res.system_series["deficit"],
        )

    @staticmethod
    def concat(parts: list[Digest]) -> Digest:
        """Join digests of disjoint chunks of replications, ordered by replication."""
        first = parts[0]
        order = np.argsort(np.concatenate([p.replications for p in parts]), kind="stable")

        def cat(name: str) -> Pence:
            out: Pence = np.concatenate([getattr(p, name) for p in parts])[order]
            return out

        return Digest(
            scenario_name=first.scenario_name,
            start_year=first.start_year,
            replications=cat("replications"),
            sector_names=first.sector_names,
            sector_kinds=first.sector_kinds,
            budget=cat("budget"),
            moved=cat("moved"),
            unmet=cat("unmet"),
            spill=cat("spill"),
            deficit=cat("deficit"),
        )

    def to_table(self) -> pa.Table:
        """One row per replication and month; sector budgets as ``budget_pence_<index>``.

        The scenario name, start year and sector names and kinds are in the schema metadata.
        """
        r, m, s = self.budget.shape
        cols: dict[str, pa.Array] = {
            "replication": pa.array(np.repeat(self.replications, m), pa.int64()),
            "month": pa.array(np.tile(np.arange(m), r), pa.int16()),
        }
        for j in range(s):
            cols[f"budget_pence_{j}"] = pa.array(self.budget[:, :, j].reshape(-1), pa.int64())
        for name in ("moved", "unmet", "spill", "deficit"):
            cols[f"{name}_pence"] = pa.array(getattr(self, name).reshape(-1), pa.int64())
        meta = {
            "scenario_name": self.scenario_name,
            "start_year": self.start_year,
            "sector_names": list(self.sector_names),
            "sector_kinds": list(self.sector_kinds),
        }
        return pa.table(cols).replace_schema_metadata({"digest": json.dumps(meta)})

    @staticmethod
    def from_table(table: pa.Table) -> Digest:
        """Read back :meth:`to_table`."""
        meta = json.loads(table.schema.metadata[b"digest"])
        s = len(meta["sector_names"])
        rep = table.column("replication").to_numpy()
        m = int(table.column("month").to_numpy().max()) + 1 if len(rep) else 0
        r = len(rep) // max(m, 1)

        def col(name: str) -> Pence:
            out: Pence = table.column(name).to_numpy().astype(np.int64).reshape(r, m)
            return out

        budget = np.stack([col(f"budget_pence_{j}") for j in range(s)], axis=2)
        return Digest(
            scenario_name=meta["scenario_name"],
            start_year=int(meta["start_year"]),
            replications=rep.reshape(r, m)[:, 0].astype(np.int64),
            sector_names=tuple(meta["sector_names"]),
            sector_kinds=tuple(meta["sector_kinds"]),
            budget=budget,
            moved=col("moved_pence"),
            unmet=col("unmet_pence"),
            spill=col("spill_pence"),
            deficit=col("deficit_pence"),
        )

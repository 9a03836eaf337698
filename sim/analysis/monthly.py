"""A run's digest: the month-by-month measures charts are drawn from, per replication.

Small enough to keep for every replication of a big run (a few numbers per replication and
month, summed over places), so the batch report and the app draw the same fan charts from
the same numbers: the report reads them from ``monthly.parquet``, the app takes them from
the :class:`~sim.engine.results.Results` it just ran.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

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
        """The digest of a run, from the arrays the engine kept (the need and spending
        flows, the money moved in and out of each budget by month, the spill-over): no
        per-place series is built and no journal rebuilt."""
        r = res.n
        primary = np.flatnonzero(res.kind_mask("primary"))
        plans = res.plans.sum(axis=2)  # (R, Y, S)
        t_in, t_out = res.monthly_transfers(by_place=False)  # (R, M, S)
        moved = t_out[..., primary].sum(axis=2)
        # The budget is built in place in the first array (a chunk's largest here): the
        # year's plan plus the in-year transfers so far.
        budget = t_in
        budget -= t_out
        del t_out
        by_year = budget.reshape(r, -1, 12, budget.shape[-1])
        np.cumsum(by_year, axis=2, out=by_year)
        by_year += plans[:, :, None, :]
        flows = res.flows
        unmet = flows["need"][..., primary].sum(axis=(2, 3)) - flows["spend"][..., primary].sum(
            axis=(2, 3)
        )
        return Digest(
            scenario_name=res.scenario.name,
            start_year=res.scenario.start_year,
            replications=res.replications.copy(),
            sector_names=res.sector_names,
            sector_kinds=res.sector_kinds,
            budget=budget,
            moved=moved.cumsum(axis=1),
            unmet=unmet.cumsum(axis=1),
            spill=res.spill_in_by_place().sum(axis=2).cumsum(axis=1),
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


#: Relative width of a :class:`Sketch`'s bins: a value's bin spans at most this fraction of
#: it either way. Within a bin the quantile is interpolated between the bin's least and
#: greatest value, so a band is exact wherever a bin holds one distinct value.
RELATIVE_ERROR = 1e-3
_LOG_GAMMA = math.log1p(2 * RELATIVE_ERROR / (1 - RELATIVE_ERROR))
#: Magnitudes below these share the zero bin: shares below 1e-12, money below a penny
#: (whole pence, so only zero). The bins start there, so money's bins are not spent on
#: fractions of a penny it never takes.
_TINY_SHARE, _TINY_PENCE = 1e-12, 0.5
#: Shares' sums are kept as whole multiples of 2**-40, so they add exactly.
_SHARE_SCALE = 2.0**40
#: Added to bins in a sketch's keys, so they are never negative.
_BIN_BIAS = 2**31


#: Replications binned at a time: a block's few arrays stay in the processor's cache, and
#: the sketch's working memory does not grow with the chunk.
_BLOCK = 256


def _bins(values: Floats, tiny: Floats) -> npt.NDArray[np.int64]:
    """Each value's bin: 0 below ``tiny``, else ``±k`` (k >= 1), ordered like the values.

    ``k = ceil(log(max(|v|, tiny) / tiny) / log(gamma)) + 1``, computed in place (the same
    operations in the same order, so the same bins).
    """
    mag = np.abs(values)
    x = np.maximum(mag, tiny)
    x /= tiny
    np.log(x, out=x)
    x /= _LOG_GAMMA
    np.ceil(x, out=x)
    out: npt.NDArray[np.int64] = x.astype(np.int64)
    out += 1
    np.negative(out, out=out, where=values < 0)
    out[mag < tiny] = 0
    return out


def _histogram(series: int, values: npt.ArrayLike, months: int) -> tuple[Any, Any, Any, Any]:
    """One series' rows of a :class:`Sketch`: key, count, least and greatest value of each
    bin holding a value, in key order; ``values`` has shape (R, months)."""
    v = np.asarray(values, dtype=np.float64)
    tiny = np.full(months, _TINY_SHARE if series == 0 else _TINY_PENCE)
    bins = np.empty(v.shape, dtype=np.int64)
    for a in range(0, v.shape[0], _BLOCK):
        bins[a : a + _BLOCK] = _bins(v[a : a + _BLOCK], tiny)
    # Bins are ordered like values, so each month's bins lie between those of its
    # extremes: count them in one dense array rather than sorting every value.
    first, last = bins.min(axis=0), bins.max(axis=0)
    offset = np.concatenate([[0], np.cumsum(last - first + 1)])
    bins -= first
    bins += offset[:-1]
    at = bins.reshape(-1)
    size = int(offset[-1])
    count = np.bincount(at, minlength=size)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    np.minimum.at(low, at, v.reshape(-1))
    np.maximum.at(high, at, v.reshape(-1))
    kept = np.flatnonzero(count)
    month = np.searchsorted(offset, kept, side="right") - 1
    bin_ = kept - offset[month] + first[month]
    key = ((series * months + month).astype(np.int64) << 32) + bin_ + _BIN_BIAS
    return key, count[kept].astype(np.int64), low[kept], high[kept]


@dataclass(frozen=True)
class Sketch:
    """The fan charts' bands of a chunk of replications, in a form chunks merge exactly.

    Per series and month: the replications' exact sum (integers, so any split into chunks
    adds to the same total), and a histogram of log-spaced bins, each with its count and its
    least and greatest value. Merging adds sums and counts and takes the extremes of
    matching bins, so the merged sketch, and the bands drawn from it, are the same for any
    chunk size and any order; its size grows with the spread of the values, not with the
    number of replications. Series are the primary-care share (a fraction), money moved,
    unmet, spill and deficit, then each sector's budget (pence).
    """

    meta: tuple[tuple[str, str], ...]
    n: int
    months: int
    #: Exact sums over replications by series and month (the share's times 2**40).
    sums: tuple[tuple[int, ...], ...]
    #: Histogram rows sorted by key: ``(series * months + month) << 32`` plus the bin.
    key: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    low: Floats
    high: Floats

    @staticmethod
    def from_digest(d: Digest) -> Sketch:
        """The sketch of a digest's replications."""
        named = [d.share("primary"), d.moved, d.unmet, d.spill, d.deficit]
        named += [d.budget[:, :, j] for j in range(d.budget.shape[2])]
        sums = []
        for k, values in enumerate(named):
            exact = np.rint(values * _SHARE_SCALE).astype(np.int64) if k == 0 else values
            sums.append(tuple(int(x) for x in exact.sum(axis=0, dtype=np.int64)))
        # One series at a time (each month a column): the working arrays stay the size of
        # one series, and the rows come out in key order.
        parts = [_histogram(k, values, d.months) for k, values in enumerate(named)]
        key = np.concatenate([x[0] for x in parts])
        count, low, high = (np.concatenate([x[j] for x in parts]) for j in (1, 2, 3))
        meta = {"scenario_name": d.scenario_name, "start_year": str(d.start_year)}
        meta |= {"sector_names": json.dumps(d.sector_names)}
        meta |= {"sector_kinds": json.dumps(d.sector_kinds)}
        return Sketch(
            tuple(sorted(meta.items())),
            d.n,
            d.months,
            tuple(sums),
            key,
            count,
            low,
            high,
        )

    def merge(self, other: Sketch) -> Sketch:
        """The sketch of both sketches' replications (disjoint chunks of one run)."""
        if (self.meta, self.months) != (other.meta, other.months):
            raise ValueError("sketches of different runs")
        sums = tuple(
            tuple(a + b for a, b in zip(x, y, strict=True))
            for x, y in zip(self.sums, other.sums, strict=True)
        )
        # The smaller sketch's bins are found in (or inserted into) the larger's, both
        # sorted by key: no sort of the two together, and no copy of both at once.
        big, small = (self, other) if self.key.size >= other.key.size else (other, self)
        pos = np.searchsorted(big.key, small.key)
        hit = pos < big.key.size
        hit[hit] = big.key[pos[hit]] == small.key[hit]
        miss = np.flatnonzero(~hit)
        at = pos[miss]
        key, count, low, high = (
            np.insert(getattr(big, name), at, getattr(small, name)[miss])
            for name in ("key", "count", "low", "high")
        )
        # A bin of both: its place in the larger moved by the bins inserted before it.
        both = np.flatnonzero(hit)
        where = pos[both] + np.searchsorted(at, pos[both], side="right")
        count[where] += small.count[both]
        low[where] = np.minimum(low[where], small.low[both])
        high[where] = np.maximum(high[where], small.high[both])
        return Sketch(self.meta, self.n + other.n, self.months, sums, key, count, low, high)

    def bands(self) -> list[Band]:
        """Each series' band: the exact mean and the quantiles of :data:`BAND_QUANTILES`
        (linear between ranks, as :func:`band`; within a bin, between its extremes)."""
        out = []
        cum = np.cumsum(self.count)
        for k, sums in enumerate(self.sums):
            scale = _SHARE_SCALE if k == 0 else 1.0
            mean = np.array([s / self.n / scale for s in sums])
            # Rank 0 of series k, month t is at k * months * n + t * n in the cumulation.
            first = (k * self.months + np.arange(self.months, dtype=np.int64)) * self.n
            quantiles = []
            for q in BAND_QUANTILES:
                h = (self.n - 1) * q
                r0 = math.floor(h)
                below = self._value(first + r0, cum)
                above = self._value(first + min(r0 + 1, self.n - 1), cum)
                quantiles.append(below + (h - r0) * (above - below))
            out.append(Band(mean, *quantiles))
        return out

    def _value(self, at: npt.NDArray[np.int64], cum: npt.NDArray[np.int64]) -> Floats:
        """The values at the given positions of the cumulated histogram."""
        b = np.searchsorted(cum, at, side="right")
        count, low, high = self.count[b], self.low[b], self.high[b]
        inside = at - (cum[b] - count)
        out: Floats = low + inside * (high - low) / np.maximum(count - 1, 1)
        return out

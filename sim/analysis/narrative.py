"""Results in sentences: the period a number covers, its likely range, and what a comparison
of two scenarios means.

The app's tiles, its compare view and the board pack all say these things, and all say
them through this module, in words built from the measure registry
(:data:`sim.analysis.measures.REGISTRY`: labels, scopes, which way is better) and the
numbers of :mod:`sim.analysis.summary` and :mod:`sim.analysis.compare`. Nothing here shows
a measure's code name or a unit such as "fraction".

A paired difference counts as a change only when its 95% confidence interval excludes zero
(with common random numbers that interval is narrow, so a real effect of a setting shows);
otherwise the sentence says there is no clear change, rather than reading noise as an effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.analysis.compare import PairedRow
from sim.analysis.measures import REGISTRY, MeasureInfo
from sim.analysis.summary import SummaryRow
from sim.units import display
from sim.units.calendar import financial_year_label

#: The measures a comparison's sentence reports, in its order: where the money went (the
#: final year's primary-care share), then what it cost (the deficit, patients' unmet need,
#: the hospitals' extra costs and overspends).
SENTENCE_MEASURES: tuple[str, ...] = (
    "primary_care_share",
    "system_deficit",
    "unmet_primary_need",
    "spill_over_cost",
    "acute_overspend",
)


@dataclass(frozen=True)
class Horizon:
    """The financial years a run covers, for saying when a number applies."""

    start_year: int
    years: int

    @property
    def first(self) -> str:
        return financial_year_label(self.start_year)

    @property
    def last(self) -> str:
        return financial_year_label(self.start_year + self.years - 1)

    @property
    def span(self) -> str:
        """``2025/26–2029/30`` (or ``2025/26`` for one year)."""
        return self.first if self.years == 1 else f"{self.first}–{self.last}"


def when(info: MeasureInfo, detail: str, horizon: Horizon) -> str:
    """When a measure's number applies: ``in 2029/30``, ``over 2025/26–2029/30``, ``at the
    end of 2029/30``, ``a year from 2025/26 to 2029/30``."""
    if info.scope == "per_year":
        return f"in {detail}"
    if info.scope == "end_of_horizon":
        return f"at the end of {horizon.last}"
    if info.scope == "growth":
        return f"a year from {horizon.first} to {horizon.last}"
    if info.scope == "average":
        second = financial_year_label(horizon.start_year + 1)
        return f"on average over the plans from {second}"
    return f"over {horizon.span}"


def likely_range(row: SummaryRow) -> str:
    """The middle 90% of the simulated futures, in words: ``9 in 10 simulated futures
    between £106.0m and £247.0m``."""
    if row.n < 2:
        return "one simulated future only, so no range"
    low, high = display.value(row.p05, row.unit), display.value(row.p95, row.unit)
    if low == high:
        return f"{low} in at least 9 in 10 simulated futures"
    return f"9 in 10 simulated futures between {low} and {high}"


def tile_words(row: SummaryRow, horizon: Horizon) -> str:
    """What a headline tile says under its number: when, and the likely range."""
    return f"{when(REGISTRY[row.measure], row.detail, horizon).capitalize()}; {likely_range(row)}."


def clear(r: PairedRow) -> bool:
    """Whether a paired difference is a change: its 95% CI excludes zero (one pair: it is
    not zero)."""
    if r.n < 2:
        return r.better != "" or abs(r.difference) > 0
    return r.ci95_low > 0 or r.ci95_high < 0


def verdict(r: PairedRow) -> str:
    """``better``, ``worse`` or ``neither better nor worse`` for B, by the registry's
    direction; ``no clear change`` when the difference is not clear."""
    if not clear(r):
        return "no clear change"
    if r.better == "B":
        return "better"
    if r.better == "A":
        return "worse"
    return "neither better nor worse"


def interval(r: PairedRow) -> str:
    """``95% CI +£72.1m to +£78.3m`` (paired), or nothing for a single pair."""
    if r.n < 2:
        return ""
    return f"95% CI {display.delta(r.ci95_low, r.unit)} to {display.delta(r.ci95_high, r.unit)}"


def amount(r: PairedRow) -> str:
    """The size of a clear change, never shown as nothing: ``£75.2m``, or ``under £0.1m``
    for a change too small for the usual decimals."""
    size = display.size(r.difference, r.unit)
    if size == display.size(0.0, r.unit):
        return f"under {display.size(SMALLEST.get(r.unit, 0.0), r.unit)}"
    return size


#: The smallest change each unit shows with its usual decimals.
SMALLEST = {"£m": 0.1, "fraction": 0.0001, display.RATE: 0.0001, "times": 0.1, "meetings": 0.1}


def change_words(r: PairedRow, horizon: Horizon) -> str:
    """One measure's change from A to B: ``system deficit £75.2m higher at the end of 2029/30
    (worse; 95% CI +£72.1m to +£78.3m)``."""
    info = REGISTRY[r.measure]
    label = info.label[0].lower() + info.label[1:]
    at = when(info, r.detail, horizon)
    if not clear(r):
        return f"no clear change in {label} {at} ({interval(r) or 'one pair'})"
    way = "higher" if r.difference > 0 else "lower"
    notes = ", ".join(x for x in (verdict(r), interval(r)) if x)
    return f"{label} {amount(r)} {way} {at} ({notes})"


@dataclass(frozen=True)
class Displacement:
    """Where a capped sector's cut went: its change in unmet need and in money moved out."""

    sector: str
    unmet: PairedRow | None
    moved_out: PairedRow | None

    def words(self, horizon: Horizon) -> str:
        """``community: £306.0m more need left unmet (95% CI ...); no clear change in money
        moved out in-year``."""
        parts = []
        for r, noun in ((self.unmet, "need left unmet"), (self.moved_out, "money moved out")):
            if r is None:
                continue
            if not clear(r):
                parts.append(f"no clear change in {noun}")
            else:
                more = "more" if r.difference > 0 else "less"
                ci = interval(r)
                parts.append(f"{amount(r)} {more} {noun}" + (f" ({ci})" if ci else ""))
        return f"{self.sector}: " + "; ".join(parts) + f" over {horizon.span}"


def displacements(rows: Sequence[PairedRow]) -> list[Displacement]:
    """Every capped sector's change in unmet need and money moved out, most extra unmet need
    first (the rows ``unmet_need`` and ``moved_out``, one detail per capped sector)."""
    unmet = {r.detail: r for r in rows if r.measure == "unmet_need"}
    moved = {r.detail: r for r in rows if r.measure == "moved_out"}
    sectors = list(dict.fromkeys([*unmet, *moved]))
    out = [Displacement(s, unmet.get(s), moved.get(s)) for s in sectors]
    return sorted(out, key=lambda d: -(d.unmet.difference if d.unmet else 0.0))


def _last_year(rows: Sequence[PairedRow], measure: str) -> PairedRow | None:
    """A yearly measure's row for the last year both runs cover."""
    found = [r for r in rows if r.measure == measure]
    return max(found, key=lambda r: r.detail) if found else None


def comparison_sentence(rows: Sequence[PairedRow], horizon: Horizon) -> str:
    """What B means against A, in one paragraph, from the paired rows.

    The headline changes of :data:`SENTENCE_MEASURES` (better or worse by the registry's
    direction, with the paired 95% CI), then where the cut moved: the capped sector whose
    unmet need rose most, if any rose clearly.
    """
    picked = [
        r
        for m in SENTENCE_MEASURES
        if (r := _last_year(rows, m) if REGISTRY[m].per_year else _single(rows, m)) is not None
    ]
    if not picked:
        return "A and B share no headline measure over the same period, so they cannot be compared."
    changes = [change_words(r, horizon) for r in picked]
    better = sum(verdict(r) == "better" for r in picked)
    worse = sum(verdict(r) == "worse" for r in picked)
    if better == worse == 0:
        lead = "Against A, B makes no clear difference to the headline measures"
    else:
        lead = f"Against A, B is better on {better} and worse on {worse} of these {len(picked)}"
    text = f"{lead}: " + "; ".join(changes) + "."
    moved = [d for d in displacements(rows) if d.unmet and clear(d.unmet)]
    up = [d for d in moved if d.unmet and d.unmet.difference > 0]
    if up and up[0].unmet is not None:
        first = up[0].unmet
        text += (
            f" The cut moves to {up[0].sector} ({display.delta(first.difference, first.unit)} "
            f"of need left unmet over {horizon.span})."
        )
    elif moved:
        text += " No capped sector is left with more unmet need."
    return text


def _single(rows: Sequence[PairedRow], measure: str) -> PairedRow | None:
    return next((r for r in rows if r.measure == measure), None)

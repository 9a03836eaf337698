"""The report's charts: the specs of :mod:`sim.charts`, filled with a variant's numbers and
rendered to inline SVG (:func:`sim.charts.render.to_svg`).

Each chart is a :class:`Figure`: its name (``data-chart`` in the page, which the tests
read), its SVG and its CSS class. Money is drawn in £m, shares as percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from sim.analysis.monthly import Band
from sim.charts.bars import power_by_bloc, ring_fence_bindings
from sim.charts.fan import band_rows, fan_chart
from sim.charts.lines import line_chart
from sim.charts.render import to_svg
from sim.report.text import label
from sim.report.variant import Fans, Variant

#: Pixels of the plots (the page scales them to its width).
MAIN = (480, 210)
SMALL = (290, 140)
OVERLAY = (760, 240)
BARS_WIDTH = 380


@dataclass(frozen=True)
class Figure:
    """One chart of the page."""

    name: str
    svg: Markup
    css: str = "chart"


def _figure(name: str, spec: dict[str, object], css: str = "chart") -> Figure:
    # to_svg checks the SVG holds no script and no external reference.
    return Figure(name, Markup(to_svg(spec)), css)


def _rows(series: str, b: Band, v: Variant, scale: float = 1.0) -> list[dict[str, object]]:
    return band_rows(series, b, v.bands.labels(), scale)


#: The main fan charts: name, measure (for the label), subtitle, percent, from zero.
MAIN_CHARTS = (
    (
        "share",
        "primary_care_share",
        "% of all sector budgets (annual budgets to date), by month",
        True,
        False,
    ),
    (
        "moved",
        "moved_primary_to_secondary",
        "£m, cumulative in-year money out of primary-care budgets (pauses, transfers)",
        False,
        True,
    ),
    ("unmet", "unmet_primary_need", "£m, cumulative primary-care need left unmet", False, True),
    (
        "spill",
        "spill_over_cost",
        "£m, cumulative cost of unmet need returning as hospital activity",
        False,
        True,
    ),
    (
        "deficit",
        "system_deficit",
        "£m, accumulated deficit of the system (positive: owed)",
        False,
        True,
    ),
)


def fan_figures(v: Variant, f: Fans, colour: str) -> list[Figure]:
    """The variant's five main fan charts, in its colour."""
    bands = {"share": f.share, "moved": f.moved, "unmet": f.unmet}
    bands |= {"spill": f.spill, "deficit": f.deficit}
    out = []
    for name, measure, subtitle, percent, zero in MAIN_CHARTS:
        # The share band is in percent; the chart takes fractions.
        rows = _rows(label(measure), bands[name], v, 100.0 if percent else 1.0)
        spec = fan_chart(
            rows,
            percent=percent,
            zero=zero,
            title=label(measure),
            subtitle=subtitle,
            colour=colour,
            width=MAIN[0],
            height=MAIN[1],
        )
        out.append(_figure(name, spec))
    return out


def sector_figures(v: Variant, f: Fans, colour: str) -> list[Figure]:
    """One small fan chart of each sector's budget, £m a year, each with its own scale."""
    out = []
    for j, (sector, kind) in enumerate(
        zip(v.bands.sector_names, v.bands.sector_kinds, strict=True)
    ):
        spec = fan_chart(
            _rows(sector, f.sectors[j], v),
            zero=False,  # scaled to the data: a budget moves little against its size
            title=sector,
            subtitle=f"{kind.replace('_', ' ')} · £m a year",
            colour=colour,
            width=SMALL[0],
            height=SMALL[1],
            decimals=0,
        )
        out.append(_figure(f"sector-{j}", spec))
    return out


def overlay_figure(variants: Sequence[Variant], all_fans: Sequence[Fans]) -> Figure:
    """Each variant's mean primary-care share on one chart, in its colour and dash."""
    rows: list[dict[str, object]] = []
    for v, f in zip(variants, all_fans, strict=True):
        rows += _rows(v.name, f.share, v, 100.0)
    spec = line_chart(
        rows,
        percent=True,
        order=[v.name for v in variants],
        title="Primary-care share of budgets: mean of each variant",
        subtitle="% of all sector budgets, by month",
        width=OVERLAY[0],
        height=OVERLAY[1],
    )
    return _figure("overlay-share", spec, "wide chart")


def ring_fence_figure(v: Variant) -> Figure:
    """How often each of the variant's ring-fences bound."""
    spec = ring_fence_bindings(
        [{"rule": r.name, "bound": r.bound_share} for r in v.rules], width=BARS_WIDTH
    )
    return _figure("ring-fences", spec)


def power_figure(v: Variant, period: str) -> Figure:
    """The voting power of each bloc of the board sitting from ``period`` (``YYYY-MM``)."""
    blocs = [r for r in v.power if r.from_period == period and r.level == "bloc"]
    members = [r for r in v.power if r.from_period == period and r.level == "member"]
    voting = sum(r.voting for r in members) if members else sum(r.voting for r in blocs)
    rule = (blocs or members)[0].rule.replace("_", " ")
    rows = []
    for b in blocs:
        name = b.name.replace("_", " ")
        rows.append(
            {
                "bloc": name,
                "index": "Shapley-Shubik",
                "power": b.shapley_shubik,
                "voting members": b.voting,
            }
        )
        rows.append(
            {
                "bloc": name,
                "index": "Banzhaf (normalised)",
                "power": b.banzhaf_normalised,
                "voting members": b.voting,
            }
        )
    spec = power_by_bloc(
        rows,
        title=f"Board from {period}",
        subtitle=f"{voting} voting members; {rule}; % of the say",
        x_title=None,
        labels=True,
        width=BARS_WIDTH,
    )
    return _figure("power", spec)

"""The model of the report page: what each section shows, as plain data for the template.

:func:`header`, :func:`comparison` and :func:`variant_section` turn read variants into the
rows, words and figures of ``templates/report.html.j2``; numbers are formatted here (through
:mod:`sim.report.text`), so the template only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from sim.analysis.measures import MEASURES, REGISTRY
from sim.analysis.summary import SummaryRow
from sim.report.figures import (
    Figure,
    fan_figures,
    overlay_figure,
    power_figure,
    ring_fence_figure,
    sector_figures,
)
from sim.report.text import (
    board_size,
    ci,
    label,
    name_html,
    rule_descriptions,
    spread,
    value,
    what,
    years_label,
)
from sim.report.variant import Fans, Variant
from sim.units import display

#: Scopes of the measures with one number per variant (a yearly measure: its final year),
#: the columns of the comparison's headline tables.
HEADLINE_SCOPES = ("per_year", "cumulative", "end_of_horizon")
#: Scopes of the measures with one number per sector: one comparison table each, a column
#: per sector.
SECTOR_SCOPES = ("per_sector", "growth")


def headline_measures(variants: Sequence[Variant]) -> list[tuple[str, str, list[str]]]:
    """The comparison's headline tables from the registry: its measures with one number per
    variant that some variant has, in registry order, as (table id, title, measures), money
    apart.

    Counts (meetings, ring-fence bindings) are left out: each variant's section has them.
    """
    present = {r.measure for v in variants for r in v.summary}
    chosen = [m for m in MEASURES if m.scope in HEADLINE_SCOPES and m.name in present]
    groups = [
        ("comparison", "Shares", [m.name for m in chosen if m.unit != "£m"]),
        ("comparison-money", "Money (£m)", [m.name for m in chosen if m.unit == "£m"]),
    ]
    return [group for group in groups if group[2]]


def sector_measures(variants: Sequence[Variant]) -> list[str]:
    """The registry's per-sector measures that some variant has, in registry order."""
    present = {r.measure for v in variants for r in v.summary}
    return [m.name for m in MEASURES if m.scope in SECTOR_SCOPES and m.name in present]


@dataclass(frozen=True)
class RunRow:
    """A row of the header's table of runs."""

    slug: str
    name: Markup
    description: str
    replications: str
    seed: str
    horizon: str
    places: int
    sectors: int
    board: str
    hash: str


@dataclass(frozen=True)
class Header:
    title: str
    lede: str
    runs: list[RunRow]


def header(title: str, variants: Sequence[Variant], slugs: Sequence[str]) -> Header:
    """The title, one line of facts about the batch and the table of runs."""
    reps = sorted({v.replications for v in variants})
    seeds = list(dict.fromkeys(str(v.manifest.get("seed", "?")) for v in variants))
    versions = list(dict.fromkeys(str(v.manifest.get("package_version", "?")) for v in variants))
    facts = [
        display.count(len(variants), "variant"),
        (
            display.count(reps[0], "replication") + " each"
            if len(reps) == 1
            else "replications " + ", ".join(f"{r:,}" for r in reps)
        )
        if reps
        else "",
        ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(seeds) if seeds else "",
        ("icb-sim " + ", ".join(versions)) if versions else "",
    ]
    runs = [
        RunRow(
            slug=slug,
            name=name_html(v.name),
            description=str(v.scenario.get("description", "")),
            replications=f"{v.replications:,}",
            seed=str(v.manifest.get("seed", "")),
            horizon=years_label(v, short=True),
            places=len(v.scenario.get("places") or []) or 1,
            sectors=len(v.bands.sector_names),
            board=board_size(v),
            hash=str(v.manifest.get("scenario_hash", "")),
        )
        for v, slug in zip(variants, slugs, strict=True)
    ]
    return Header(title, " · ".join(f for f in facts if f), runs)


@dataclass(frozen=True)
class Heading:
    """A column of a comparison table: a measure, or a sector of a per-sector measure."""

    measure: str
    label: str
    what: str
    description: str


@dataclass(frozen=True)
class Cell:
    """A comparison-table cell: the mean as shown and as a number, and its interval."""

    measure: str
    #: The summary row's detail (a year, ``cumulative``, a sector), as ``data-detail``.
    detail: str = ""
    mean: float | None = None
    shown: str = "—"
    #: Shown before the interval: the year, when the variants' final years differ.
    note: str = ""
    #: The interval as HTML that wraps only between its ends, not within them.
    ci: Markup = field(default_factory=Markup)


def _ends(interval: str) -> Markup:
    """``low to high`` as HTML that may wrap around ``to`` but not inside a number."""
    return Markup(" to ").join(
        Markup('<span class="nw">{}</span>').format(p) for p in interval.split(" to ")
    )


def _cell(row: SummaryRow | None, measure: str, note: str = "", short: bool = False) -> Cell:
    """A measure's cell (``short``: a growth rate without ``a year``, see :func:`value`)."""
    if row is None:
        return Cell(measure)
    shown = value(row.mean, row.unit, short)
    return Cell(measure, row.detail, row.mean, shown, note, _ends(ci(row, short)))


@dataclass(frozen=True)
class CompareRow:
    slug: str
    variant: str
    name: Markup
    replications: str
    cells: list[Cell]


@dataclass(frozen=True)
class CompareTable:
    """A table of the comparison: one row per variant, one column per heading."""

    id: str
    caption: str
    headings: list[Heading]
    rows: list[CompareRow]
    #: What the table's measure is (a per-sector table), for its caption's hover.
    description: str = ""


@dataclass(frozen=True)
class Comparison:
    #: The headline measures, one number per variant (shares, then money).
    tables: list[CompareTable]
    #: The per-sector measures, one table each (a column per sector).
    sectors: list[CompareTable]
    overlay: Figure


def _row(v: Variant, slug: str, cells: list[Cell]) -> CompareRow:
    return CompareRow(
        slug, v.name, name_html(v.name), display.count(v.replications, "replication"), cells
    )


def headline_table(
    variants: Sequence[Variant],
    slugs: Sequence[str],
    ident: str,
    title: str,
    measures: Sequence[str],
) -> CompareTable:
    """One headline table: a column per measure; a yearly measure shows its final year."""
    headings = []
    final_years: dict[str, set[str]] = {}
    for measure in measures:
        info = REGISTRY[measure]
        words = what(measure)
        if info.per_year:
            years = {r.detail for v in variants if (r := v.row(measure)) is not None}
            final_years[measure] = years
            words = next(iter(years)) if len(years) == 1 else "final year"
        headings.append(Heading(measure, label(measure), words, info.description))
    rows = []
    for v, slug in zip(variants, slugs, strict=True):
        cells = []
        for measure in measures:
            row = v.row(measure)
            several = len(final_years.get(measure, ())) > 1
            cells.append(_cell(row, measure, row.detail if row and several else ""))
        rows.append(_row(v, slug, cells))
    caption = f"{title}: mean over replications (bold) and the 95% confidence interval of the mean"
    return CompareTable(ident, caption, headings, rows)


def sector_table(
    variants: Sequence[Variant], slugs: Sequence[str], measure: str, index: int
) -> CompareTable:
    """A per-sector measure: a column per sector (of any variant), a row per variant."""
    info = REGISTRY[measure]
    sectors = list(dict.fromkeys(r.detail for v in variants for r in v.rows(measure)))
    headings = [Heading(measure, s, "", info.description) for s in sectors]
    rows = []
    for v, slug in zip(variants, slugs, strict=True):
        found = {r.detail: r for r in v.rows(measure)}
        cells = [_cell(found.get(s), measure, short=True) for s in sectors]
        rows.append(_row(v, slug, cells))
    caption = f"{info.label} ({what(measure)}): mean over replications (bold) and the 95% CI"
    return CompareTable(f"comparison-sector-{index}", caption, headings, rows, info.description)


def comparison(
    variants: Sequence[Variant], slugs: Sequence[str], all_fans: list[Fans]
) -> Comparison:
    """The tables of headline and per-sector measures, and every variant's primary-care
    share on one chart."""
    tables = [headline_table(variants, slugs, *group) for group in headline_measures(variants)]
    sectors = [sector_table(variants, slugs, m, i) for i, m in enumerate(sector_measures(variants))]
    return Comparison(tables, sectors, overlay_figure(variants, all_fans))


@dataclass(frozen=True)
class RuleRow:
    name: str
    requires: str
    bound: str
    bound_mean: str
    bound_max: str
    relaxed: str


@dataclass(frozen=True)
class MemberRow:
    name: str
    bloc: str
    votes: str
    shapley_shubik: str
    banzhaf_normalised: str
    banzhaf_absolute: str


@dataclass(frozen=True)
class Composition:
    period: str
    figure: Figure
    members: list[MemberRow]


@dataclass(frozen=True)
class MeasureRow:
    label: str
    detail: str
    unit: str
    mean: str
    ci: str
    spread: str


@dataclass(frozen=True)
class Section:
    """One variant's section."""

    slug: str
    variant: str
    name: Markup
    colour: str
    description: str
    meta: str
    main: list[Figure]
    sectors: list[Figure]
    ring_fence_chart: Figure | None
    rules: list[RuleRow]
    compositions: list[Composition] = field(default_factory=list)
    measures: list[MeasureRow] = field(default_factory=list)


def _rules(v: Variant) -> list[RuleRow]:
    described = rule_descriptions(v)
    return [
        RuleRow(
            r.name,
            described.get(r.name, ""),
            display.percent(r.bound_share, 1),
            display.number(r.bound_mean, 2),
            display.number(r.bound_max, 0),
            display.percent(r.relaxed_share, 1),
        )
        for r in v.rules
    ]


def _compositions(v: Variant) -> list[Composition]:
    out = []
    for period in v.compositions():
        members = [
            MemberRow(
                m.name,
                m.constituency.replace("_", " "),
                "yes" if m.voting else "no",
                display.percent(m.shapley_shubik, 1),
                display.percent(m.banzhaf_normalised, 1),
                display.percent(m.banzhaf_absolute, 1),
            )
            for m in v.power
            if m.from_period == period and m.level == "member"
        ]
        out.append(Composition(period, power_figure(v, period), members))
    return out


def variant_section(v: Variant, slug: str, f: Fans, colour: str) -> Section:
    """A variant's fan charts, ring-fences, voting power and every headline measure."""
    full = str(v.manifest.get("scenario_hash", ""))
    meta = " · ".join(
        [
            display.count(v.replications, "replication")
            + (" (no spread: the bands collapse onto the mean)" if v.replications == 1 else ""),
            f"seed {v.manifest.get('seed', '?')}",
            years_label(v),
            f"scenario {full[:12]}",
            f"run directory {v.path.name}",
        ]
    )
    measures = [
        MeasureRow(label(r.measure), r.detail, r.unit, value(r.mean, r.unit), ci(r), spread(r))
        for r in v.summary
    ]
    return Section(
        slug=slug,
        variant=v.name,
        name=name_html(v.name),
        colour=colour,
        description=str(v.scenario.get("description", "")),
        meta=meta,
        main=fan_figures(v, f, colour),
        sectors=sector_figures(v, f, colour),
        ring_fence_chart=ring_fence_figure(v) if v.rules else None,
        rules=_rules(v),
        compositions=_compositions(v),
        measures=measures,
    )

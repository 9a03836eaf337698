"""The board pack: one printable page for a board paper, from the run on show in the app.

:func:`render_board_pack` gives a self-contained HTML document (styles inline, charts as
inline SVG, nothing fetched), laid out for A4 when printed (or saved as PDF from a browser):
the question, the settings in words, the headline answer with each number's period and
likely range, the comparison with a pinned scenario A if there is one, three charts with a
sentence each, the assumptions log with its sources, and a footer saying exactly what was
run. Every sentence comes from :mod:`sim.analysis.narrative` and
:mod:`sim.report.settings_words`, the same words the app shows, and every default from
:mod:`sim.report.assumptions`; the template is ``templates/board_pack.html.j2``.

A pinned A must have been run with B's seed and replications
(:func:`sim.analysis.compare.paired_with`), so that its replications pair with B's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from markupsafe import Markup, escape

from sim.analysis.compare import NotPaired, PairedRow, paired_rows
from sim.analysis.measures import REGISTRY
from sim.analysis.monthly import Digest, band
from sim.analysis.narrative import (
    Horizon,
    comparison_sentence,
    displacements,
    interval,
    tile_words,
    verdict,
)
from sim.analysis.summary import SummaryRow, summarise
from sim.charts.fan import band_rows, fan_chart
from sim.charts.palette import ACCENT, INK, LINE, MUTED, NOTE, PALETTE, SOFT
from sim.charts.render import to_svg
from sim.engine.results import Results
from sim.report.assumptions import assumptions_log
from sim.report.page import environment
from sim.report.settings_words import difference_words, legend_names, settings_words
from sim.scenario.format import Scenario
from sim.store.tables import measures_table
from sim.units import display
from sim.units.money import PENCE_PER_MILLION
from sim.version import __version__

TEMPLATE = "board_pack.html.j2"
#: Plot sizes in pixels: the printed page's text block (A4 less 15 mm margins, 180 mm) is
#: about 680 px wide, and the page scales a wider chart down to it.
WIDE = (560, 140)
PANEL = (146, 60)
#: The financial years of a yearly measure's detail (``2025/26``).
YEAR = re.compile(r"\d{4}/\d{2}")


@dataclass(frozen=True)
class PackRun:
    """What the pack reads of a run: its scenario, summary, monthly digest and measures."""

    scenario: Scenario
    summary: Sequence[SummaryRow]
    digest: Digest
    #: Per-replication measures (``measures.parquet``), for pairing with A.
    measures: pa.Table

    @staticmethod
    def of(res: Results) -> PackRun:
        """The pack's view of a run just made."""
        return PackRun(res.scenario, summarise(res), Digest.from_results(res), measures_table(res))

    def row(self, measure: str) -> SummaryRow | None:
        """The headline row of a measure: a yearly measure's final year, else its first."""
        rows = [r for r in self.summary if r.measure == measure]
        if not rows:
            return None
        return rows[-1] if REGISTRY[measure].per_year else rows[0]


def horizon(sc: Scenario) -> Horizon:
    """The financial years the scenario covers."""
    return Horizon(sc.start_year, sc.horizon_years)


def month_words(label: str) -> str:
    """``2025-04`` as ``April 2025``."""
    return f"{calendar.month_name[int(label[5:7])]} {label[:4]}"


#: A signed number with its unit (``-£15.2m``, ``+0.75 pts``, ``12.33%``), kept on one line.
NUMBER = re.compile(r"[+\-]?£?\d[\d,.]*(?:m\b|%| pts\b| points\b)?")


def nobreak(text: str) -> Markup:
    """Text with each number kept whole on its line: a line never ends at a minus sign."""
    return Markup(NUMBER.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', str(escape(text))))


def plain_name(name: str) -> str:
    """A scenario's file name in words (``baseline_edited`` as ``baseline edited``)."""
    return name.replace("_", " ")


# -- The headline and the comparison ------------------------------------------------------


def headline(run: PackRun, measures: Sequence[str]) -> list[dict[str, str]]:
    """Each headline measure: its label, its value, when it applies and its likely range."""
    h = horizon(run.scenario)
    out = []
    for m in measures:
        row = run.row(m)
        if row is None:
            continue
        info = REGISTRY[m]
        out.append(
            {
                "label": info.label,
                "value": display.value(row.mean, row.unit),
                "words": nobreak(tile_words(row, h)),
                "about": info.description,
            }
        )
    return out


def _headline_pairs(rows: Sequence[PairedRow], measures: Sequence[str]) -> list[PairedRow]:
    """The paired row of each headline measure (a yearly one's last year both cover)."""
    out = []
    for m in measures:
        found = [r for r in rows if r.measure == m]
        if found:
            out.append(max(found, key=lambda r: r.detail) if REGISTRY[m].per_year else found[0])
    return out


def comparison(a: PackRun, b: PackRun, measures: Sequence[str]) -> dict[str, Any] | str:
    """The comparison of B with A: its sentence, the differences, each capped sector's
    displacement and the headline measures side by side; a sentence if they cannot pair."""
    try:
        rows = paired_rows(a.measures, b.measures)
    except NotPaired as exc:
        return f"A and B cannot be compared replication by replication: {exc}."
    h = horizon(b.scenario)
    note = ""
    if horizon(a.scenario) != h:
        # Totals over different periods do not compare; the years both cover do.
        rows = [r for r in rows if YEAR.fullmatch(r.detail)]
        note = (
            f"A covers {horizon(a.scenario).span} and B {h.span}: only the years both cover "
            "are compared, and totals over the whole period are left out."
        )
    table = []
    for r in _headline_pairs(rows, measures):
        info = REGISTRY[r.measure]
        table.append(
            {
                "label": info.label + (f", {r.detail}" if info.per_year else ""),
                "a": display.value(r.mean_a, r.unit),
                "b": display.value(r.mean_b, r.unit),
                "change": display.delta(r.difference, r.unit),
                "interval": interval(r).removeprefix("95% CI ") or "one pair only",
                "verdict": verdict(r),
            }
        )
    return {
        "sentence": nobreak(comparison_sentence(rows, h)),
        "note": note,
        "differences": difference_words(a.scenario, b.scenario),
        "displacements": [nobreak(d.words(h)) for d in displacements(rows)],
        "table": table,
        "n": rows[0].n if rows else 0,
    }


# -- Charts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One chart of the pack: its title, its SVG, and a sentence saying what it shows."""

    title: str
    svg: Markup
    #: The chart's text alternative, shown under it.
    words: Markup


def _fan_words(rows: Sequence[dict[str, Any]], percent: bool, what: str) -> str:
    """One sentence of a fan chart's numbers: each series' mean at the start and the end,
    and where 9 in 10 simulated futures end."""

    def v(x: float) -> str:
        return display.percent(x, 2) if percent else display.pounds_m(x)

    parts = []
    for series in dict.fromkeys(r["series"] for r in rows):
        mine = [r for r in rows if r["series"] == series]
        first, last = mine[0], mine[-1]
        who = f"under {series.split(':')[0]}, " if len(rows) > len(mine) else ""
        parts.append(
            f"{who}{what} goes from {v(first['mean'])} in {month_words(first['month'])} to "
            f"{v(last['mean'])} in {month_words(last['month'])} on average, and ends between "
            f"{v(last['p05'])} and {v(last['p95'])} in 9 in 10 simulated futures"
        )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _series(b: PackRun, a: PackRun | None, one: str) -> list[tuple[str, PackRun]]:
    """The runs a chart draws, named for its legend: A and B by what differs, or B alone."""
    if a is None:
        return [(one, b)]
    name_a, name_b = legend_names(a.scenario, b.scenario)
    return [(name_a, a), (name_b, b)]


def stacked_legend(spec: Any) -> Any:
    """The spec with its legend's entries one under another: the names of A and B say what
    differs between them, and side by side they run wider than the printed page."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "color" and isinstance(value, dict) and isinstance(value.get("legend"), dict):
                value["legend"] |= {"direction": "vertical", "columns": 1}
            else:
                stacked_legend(value)
    elif isinstance(spec, list):
        for item in spec:
            stacked_legend(item)
    return spec


def _svg(spec: dict[str, Any]) -> Markup:
    # to_svg checks that the SVG holds no script and no reference outside itself.
    return Markup(to_svg(spec))


def _overlay(
    b: PackRun, a: PackRun | None, one: str, values: Any, percent: bool, what: str, **kw: Any
) -> Chart:
    """A fan chart of one measure by month (``values`` of a digest), A and B overlaid when
    A is pinned; ``kw`` are :func:`sim.charts.fan.fan_chart`'s title and scale."""
    rows: list[dict[str, Any]] = []
    for name, run in _series(b, a, one):
        d = run.digest
        rows += band_rows(name, band(values(d)), d.labels(), 1.0 if percent else PENCE_PER_MILLION)
    spec = fan_chart(rows, percent=percent, width=WIDE[0], height=WIDE[1], **kw)
    words = nobreak(_fan_words(rows, percent, what))
    return Chart(kw["title"], _svg(stacked_legend(spec)), words)


def share_chart(b: PackRun, a: PackRun | None) -> Chart:
    """The primary-care share of all budgets by month, A and B overlaid when A is pinned."""
    return _overlay(
        b,
        a,
        "primary care",
        lambda d: d.share("primary"),
        True,
        "the primary-care share",
        zero=False,
        title="Primary-care share of all budgets",
        subtitle="% of all sector budgets, month by month",
    )


def deficit_chart(b: PackRun, a: PackRun | None) -> Chart:
    """The system's accumulated deficit by month, A and B overlaid when A is pinned."""
    return _overlay(
        b,
        a,
        "system deficit",
        lambda d: d.deficit,
        False,
        "the deficit",
        title="The system's accumulated deficit",
        subtitle="£m owed (below zero: a surplus), month by month",
    )


def budgets_chart(b: PackRun, pinned: bool) -> Chart:
    """Each sector's budget by month (B's when A is pinned), each panel on its own scale."""
    d = b.digest
    rows: list[dict[str, Any]] = []
    for s, name in enumerate(d.sector_names):
        rows += band_rows(name, band(d.budget[:, :, s]), d.labels(), PENCE_PER_MILLION)
    title = "Budgets by sector" + (" under B" if pinned else "")
    spec = fan_chart(
        rows,
        facet=True,
        columns=4,
        colour=PALETTE[1] if pinned else PALETTE[0],
        title=title,
        subtitle="£m a year, month by month; each panel has its own scale",
        width=PANEL[0],
        height=PANEL[1],
        decimals=0,
    )
    first, last = d.labels()[0], d.labels()[-1]
    moves = []
    for s, name in enumerate(d.sector_names):
        mean = d.budget[:, :, s].mean(axis=0) / PENCE_PER_MILLION
        moves.append(f"{name} {display.pounds_m(mean[0], 0)} to {display.pounds_m(mean[-1], 0)}")
    words = (
        f"Average annual budgets from {month_words(first)} to {month_words(last)}: "
        + "; ".join(moves)
        + "."
    )
    return Chart(title, _svg(spec), nobreak(words))


# -- The page ------------------------------------------------------------------------------


def render_board_pack(
    current: PackRun,
    headlines: Sequence[str],
    question: str | None = None,
    pinned: PackRun | None = None,
    generated: dt.date | None = None,
) -> str:
    """The board pack of the run on show (B), compared with a pinned A if given.

    Args:
        current: the run on show.
        headlines: the headline measures, in order (the app's tiles).
        question: the question the pack answers; by default the scenario's description.
        pinned: scenario A's run, with B's seed and replications.
        generated: the date printed in the footer (today by default).
    """
    sc = current.scenario
    asked = (question or "").strip() or sc.description or "What does this scenario show?"
    h = horizon(sc)
    charts = [
        share_chart(current, pinned),
        deficit_chart(current, pinned),
        budgets_chart(current, pinned is not None),
    ]
    compared = None if pinned is None else comparison(pinned, current, headlines)
    day = generated or dt.date.today()
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            title=f"Board pack: {asked}",
            question=asked,
            settings=settings_words(sc),
            period=h.span,
            headline=headline(current, headlines),
            replications=f"{current.digest.n:,}",
            compared=compared if isinstance(compared, dict) else None,
            not_compared=compared if isinstance(compared, str) else "",
            charts=charts,
            log=assumptions_log(sc),
            footer={
                "version": __version__,
                "scenario": plain_name(sc.name),
                "pinned": plain_name(pinned.scenario.name) if pinned else "",
                "seed": sc.seed,
                "replications": f"{sc.replications:,}",
                "date": f"{day.day} {calendar.month_name[day.month]} {day.year}",
            },
            colours={
                "ink": INK,
                "muted": MUTED,
                "line": LINE,
                "soft": SOFT,
                "note": NOTE,
                "accent": ACCENT,
            },
        )
    )

"""The offline batch report: one self-contained ``report.html`` for a batch of runs.

:func:`write_report` reads the run directories ``sim.store.writer.write_run`` wrote
(``DIR/<scenario-name>/``) and writes ``report.html``: a comparison of the variants, then for
each variant fan charts of the monthly measures (from ``monthly.parquet`` through
:class:`sim.analysis.monthly.Digest`), how often each ring-fence bound, the voting power of each board
composition and every headline measure. The file needs nothing else to open: no scripts, no
style sheets, fonts or images from elsewhere; the charts are inline SVG (:mod:`sim.report.svg`).

A run directory that is missing or cannot be read is left out with a visible note; the
others are still reported. The same run directories give the same bytes (no timestamps).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from sim.analysis.monthly import Band, Digest, band
from sim.analysis.summary import RuleCount, SummaryRow
from sim.report.svg import (
    DASHES,
    PALETTE,
    Bars,
    Line,
    bar_chart,
    fan_chart,
    financial_years,
    format_number,
    line_chart,
)
from sim.store.run_dir import REPORT_FILES, RunDir, RunDirError
from sim.store.tables import PowerRow
from sim.units.money import pence_to_pounds_m

REPORT_FILE = "report.html"
DEFAULT_TITLE = "ICB funding simulator: batch report"
#: Columns of the comparison table: measure, heading, what the number is.
HEADLINES = (
    ("primary_care_share", "Primary-care share", "of all budgets, final year"),
    ("moved_primary_to_secondary", "Money moved out of primary care", "£m, cumulative"),
    ("unmet_primary_need", "Unmet primary-care need", "£m, cumulative"),
    ("spill_over_cost", "Spill-over cost", "£m, cumulative"),
    ("acute_overspend", "Acute overspend", "£m, cumulative"),
    ("system_deficit", "System deficit", "£m, end of horizon"),
)
MEASURE_LABELS = {
    "primary_care_share": "Primary-care share of budgets",
    "moved_primary_to_secondary": "Money moved out of primary care",
    "unmet_primary_need": "Unmet primary-care need",
    "spill_over_cost": "Spill-over cost",
    "acute_overspend": "Acute overspend",
    "system_deficit": "System deficit",
    "extraordinary_meetings": "Extraordinary board meetings",
    "ring_fence_bindings": "Ring-fence bound (times)",
    "ring_fence_shortfalls": "Ring-fence relaxed (times)",
    "fair_share_distance": "Largest distance from fair share",
    "spend_per_head_spread": "Spread of spend per head",
}


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


def fans(digest: Digest) -> Fans:
    """The fan-chart bands of a run's digest (:func:`sim.analysis.monthly.band` over replications)."""
    return Fans(
        share=band(100.0 * digest.share("primary")),
        sectors=tuple(
            band(pence_to_pounds_m(digest.budget[:, :, j])) for j in range(digest.budget.shape[2])
        ),
        moved=band(pence_to_pounds_m(digest.moved)),
        unmet=band(pence_to_pounds_m(digest.unmet)),
        spill=band(pence_to_pounds_m(digest.spill)),
        deficit=band(pence_to_pounds_m(digest.deficit)),
    )


@dataclass(frozen=True)
class Variant:
    """One run directory, read."""

    path: Path
    manifest: dict[str, Any]
    summary: tuple[SummaryRow, ...]
    digest: Digest
    rules: tuple[RuleCount, ...]
    power: tuple[PowerRow, ...]

    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario_name") or self.digest.scenario_name)

    @property
    def scenario(self) -> dict[str, Any]:
        sc = self.manifest.get("scenario")
        return sc if isinstance(sc, dict) else {}

    @property
    def replications(self) -> int:
        return self.digest.n

    def row(self, measure: str) -> SummaryRow | None:
        """The last summary row of a measure (for the primary-care share: the final year)."""
        rows = [r for r in self.summary if r.measure == measure]
        return rows[-1] if rows else None


def load_variant(path: Path) -> Variant:
    """Read a run directory; :class:`RunDirError` says why one cannot be reported."""
    run = RunDir(path)
    run.check(REPORT_FILES)
    try:
        summary = run.summary()
        digest = run.monthly()
        if digest.n < 1 or digest.months < 12 or digest.months % 12:
            raise RunDirError(
                f"monthly.parquet holds {digest.n} replications of {digest.months} months"
            )
        rules = run.ring_fences()
        power = run.power()
    except RunDirError:
        raise
    except Exception as exc:  # any unreadable file: report it, carry on with the others
        raise RunDirError(f"could not be read: {type(exc).__name__}: {exc}") from exc
    return Variant(path, run.manifest, summary, digest, rules, power)


# ---------------------------------------------------------------------------------------
# Formatting


def _fmt(value: float, unit: str) -> str:
    """A measure's value as shown: fractions as percentages, money in £m."""
    if not math.isfinite(value):
        return "n/a"
    if unit == "fraction":
        return format_number(100 * value, 2) + "%"
    if unit == "£m":
        return format_number(value, 1)
    if unit in ("times", "meetings"):
        return format_number(value, 1)
    return format_number(value, 3)


def _pct(value: float, decimals: int = 0) -> str:
    return format_number(100 * value, decimals) + "%"


def _ci(row: SummaryRow) -> str:
    """The 95% confidence interval of the mean, ``low to high``."""
    if row.n < 2 or not (math.isfinite(row.ci95_low) and math.isfinite(row.ci95_high)):
        return "n/a (1 replication)" if row.n < 2 else "n/a"
    return f"{_fmt(row.ci95_low, row.unit)} to {_fmt(row.ci95_high, row.unit)}"


def _name(name: str) -> str:
    """A variant name as HTML that may break after ``_``, ``.`` and ``-`` (sweep variants
    have long names)."""
    return re.sub(r"([_-]+|\.(?!\d))", r"\1<wbr>", escape(name))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _slug(name: str, taken: set[str]) -> str:
    base = "v-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "variant")
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def _years_label(v: Variant, short: bool = False) -> str:
    years = v.digest.months // 12
    periods = financial_years(v.digest.start_year, years)
    span = periods[0].label if years == 1 else f"{periods[0].label} to {periods[-1].label}"
    return span if short else f"{span} ({years} year{'s' if years != 1 else ''})"


def _board_size(v: Variant) -> str:
    """Members of the first board composition, and how often it changes."""
    periods = list(dict.fromkeys(r.from_period for r in v.power))
    if not periods:
        return ""
    first = sum(1 for r in v.power if r.from_period == periods[0] and r.level == "member")
    text = f"{first} members"
    if len(periods) > 1:
        text += f", {len(periods) - 1} change{'s' if len(periods) > 2 else ''}"
    return text


def _describe_rule(rule: dict[str, Any]) -> str:
    """A ring-fence rule in words, from the resolved scenario."""
    kind_name = str(rule.get("kind") or "").replace("_", " ")
    target = rule.get("sector") or (f"{kind_name} sectors" if kind_name else "")
    kind = rule.get("rule", "")
    if kind == "min_share" and isinstance(rule.get("min_share"), int | float):
        text = f"{target}: at least {100 * rule['min_share']:g}% of the allocation"
    elif kind == "min_growth":
        growth = rule.get("growth")
        text = (
            f"{target}: grows at least as fast as the allocation"
            if growth == "overall"
            else f"{target}: grows at least {100 * float(growth or 0):g}% a year"
        )
    elif kind == "no_transfers_out":
        text = f"no in-year transfers out of {target}"
    elif kind == "cap_transfers_out" and isinstance(rule.get("cap"), int | float):
        text = f"in-year transfers out of {target} at most {100 * rule['cap']:g}% of the budget"
    elif kind == "real_terms_floor":
        text = f"{target}: grows at least with inflation"
    else:
        text = f"{kind} on {target}".strip()
    if rule.get("place", "all") != "all":
        text += f", in {rule['place']}"
    start, until = rule.get("from"), rule.get("until")
    if start and until:
        text += f", {start} to {until}"
    elif start:
        text += f", from {start}"
    elif until:
        text += f", until {until}"
    return text


def _rule_descriptions(v: Variant) -> dict[str, str]:
    rules = v.scenario.get("ring_fences") or []
    return {
        str(r.get("name")): _describe_rule(r)
        for r in rules
        if isinstance(r, dict) and r.get("name") is not None
    }


# ---------------------------------------------------------------------------------------
# Sections


def _header(title: str, variants: Sequence[Variant], slugs: Sequence[str]) -> str:
    reps = sorted({v.replications for v in variants})
    seeds = list(dict.fromkeys(str(v.manifest.get("seed", "?")) for v in variants))
    versions = list(dict.fromkeys(str(v.manifest.get("package_version", "?")) for v in variants))
    facts = [
        f"{len(variants)} variant{'s' if len(variants) != 1 else ''}",
        (
            f"{reps[0]:,} replication{'s' if reps[0] != 1 else ''} each"
            if len(reps) == 1
            else "replications " + ", ".join(f"{r:,}" for r in reps)
        )
        if reps
        else "",
        ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(seeds) if seeds else "",
        ("icb-sim " + ", ".join(versions)) if versions else "",
    ]
    lede = " · ".join(escape(f) for f in facts if f)
    rows = []
    for v, slug in zip(variants, slugs, strict=True):
        full = str(v.manifest.get("scenario_hash", ""))
        rows.append(
            "<tr>"
            f'<th scope="row"><a href="#{slug}">{_name(v.name)}</a></th>'
            f'<td class="what">{escape(str(v.scenario.get("description", "")))}</td>'
            f'<td class="num">{v.replications:,}</td>'
            f'<td class="num">{escape(str(v.manifest.get("seed", "")))}</td>'
            f'<td class="nw">{escape(_years_label(v, short=True))}</td>'
            f'<td class="num">{len(v.scenario.get("places") or []) or 1}</td>'
            f'<td class="num">{len(v.digest.sector_names)}</td>'
            f'<td class="nw">{escape(_board_size(v))}</td>'
            f'<td><code title="{escape(full)}">{escape(full[:8])}</code></td>'
            "</tr>"
        )
    table = (
        '<div class="scroll"><table class="runs"><caption>Runs in this report</caption>'
        "<thead><tr><th>Variant</th><th>Description</th><th>Replications</th><th>Seed</th>"
        "<th>Horizon</th><th>Places</th><th>Sectors</th><th>Board</th>"
        '<th><abbr title="SHA-256 of the resolved scenario; hover for all of it">'
        "Hash</abbr></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
        if rows
        else ""
    )
    return f"<header><h1>{escape(title)}</h1><p class='lede'>{lede}</p>{table}</header>"


HOW_TO_READ = """<section class="howto" aria-label="How to read the charts">
<h2>How to read the charts</h2>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 44" width="120" height="44"
 role="img" aria-label="Key: mean line, 50% band, 90% band"><title>Key</title>
<polygon points="0,8 120,2 120,42 0,36" fill="#0072B2" fill-opacity="0.16"/>
<polygon points="0,16 120,14 120,30 0,28" fill="#0072B2" fill-opacity="0.36"/>
<polyline points="0,22 120,22" fill="none" stroke="#0072B2" stroke-width="2.2"/></svg>
<p>Each fan chart shows one measure month by month over all replications of a variant.
The <strong>line</strong> is the mean; the <strong>dark band</strong> holds the middle 50% of
replications (25th to 75th percentile) and the <strong>light band</strong> the middle 90%
(5th to 95th percentile). Bands are spread across replications, not confidence intervals of
the mean: the tables give 95% confidence intervals of each mean. Hover over a chart for a
year's values. Money is in £ million (cash); flows are cumulative from the first month.
Variants run with the same seed share their random numbers, so differences between them are
not noise from different draws.</p>
</section>"""


def _comparison(variants: Sequence[Variant], slugs: Sequence[str], all_fans: list[Fans]) -> str:
    heads = []
    years = {r.detail for v in variants if (r := v.row("primary_care_share")) is not None}
    for measure, heading, what in HEADLINES:
        if measure == "primary_care_share" and len(years) == 1:
            what = f"of all budgets, {next(iter(years))}"
        heads.append(
            f'<th scope="col">{escape(heading)}<span class="unit">{escape(what)}</span></th>'
        )
    body = []
    for v, slug in zip(variants, slugs, strict=True):
        cells = []
        for measure, _, _ in HEADLINES:
            row = v.row(measure)
            if row is None:
                cells.append(f'<td class="num" data-measure="{measure}">—</td>')
                continue
            note = f'95% CI <span class="range">{escape(_ci(row))}</span>'
            if measure == "primary_care_share" and len(years) > 1:
                note = f"{escape(row.detail)}; {note}"
            cells.append(
                f'<td class="num" data-measure="{measure}" data-mean="{row.mean!r}">'
                f'<span class="mean">{escape(_fmt(row.mean, row.unit))}</span>'
                f'<span class="ci">{note}</span></td>'
            )
        body.append(
            f'<tr data-variant="{escape(v.name)}"><th scope="row"><a href="#{slug}">'
            f"{_name(v.name)}</a>"
            f'<span class="ci">{_count(v.replications, "replication")}</span></th>'
            f"{''.join(cells)}</tr>"
        )
    table = (
        '<div class="scroll"><table id="comparison" class="compare"><caption>Headline '
        "measures: mean over replications (bold) and the 95% confidence interval of the mean"
        "</caption><thead><tr><th scope='col'>Variant</th>"
        + "".join(heads)
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )
    start = min(v.digest.start_year for v in variants)
    lines = []
    for i, (v, f) in enumerate(zip(variants, all_fans, strict=True)):
        lines.append(
            Line(
                v.name,
                f.share.mean,
                offset=12 * (v.digest.start_year - start),
                colour=_colour(i),
                dash=DASHES[(i // len(PALETTE)) % len(DASHES)],
            )
        )
    months = max(ln.offset + v.digest.months for ln, v in zip(lines, variants, strict=True))
    chart = line_chart(
        lines,
        financial_years(start, months // 12),
        title="Primary-care share of budgets: mean of each variant",
        subtitle="% of all sector budgets, by month",
        suffix="%",
        width=1100,
        height=340,
    )
    return (
        '<section id="comparison-section"><h2>Comparing the variants</h2>'
        + table
        + f'<figure class="wide chart" data-chart="overlay-share">{chart}</figure></section>'
    )


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _figure(name: str, svg: str, css: str = "chart") -> str:
    return f'<figure class="{css}" data-chart="{escape(name)}">{svg}</figure>'


def _fan_charts(v: Variant, f: Fans, colour: str) -> str:
    periods = financial_years(v.digest.start_year, v.digest.months // 12)
    main = [
        (
            "share",
            f.share,
            "Primary-care share of budgets",
            "% of all sector budgets (annual budgets to date), by month",
            "%",
            False,
        ),
        (
            "moved",
            f.moved,
            "Money moved out of primary care",
            "£m, cumulative in-year transfers out of primary-care budgets",
            "",
            True,
        ),
        (
            "unmet",
            f.unmet,
            "Unmet primary-care need",
            "£m, cumulative primary-care need left unmet",
            "",
            True,
        ),
        (
            "spill",
            f.spill,
            "Spill-over cost",
            "£m, cumulative cost of unmet need returning to other sectors",
            "",
            True,
        ),
        (
            "deficit",
            f.deficit,
            "System deficit",
            "£m, accumulated deficit of the system (positive: owed)",
            "",
            True,
        ),
    ]
    charts = [
        _figure(
            name,
            fan_chart(
                b,
                periods,
                title=title,
                subtitle=sub,
                suffix=suffix,
                colour=colour,
                include_zero=zero,
            ),
        )
        for name, b, title, sub, suffix, zero in main
    ]
    small = []
    for j, (sector, kind) in enumerate(
        zip(v.digest.sector_names, v.digest.sector_kinds, strict=True)
    ):
        small.append(
            _figure(
                f"sector-{j}",
                fan_chart(
                    f.sectors[j],
                    periods,
                    title=sector,
                    subtitle=f"{kind.replace('_', ' ')} · £m a year",
                    colour=colour,
                    width=360,
                    height=230,
                    legend=False,
                    decimals=0,
                ),
            )
        )
    return (
        '<div class="grid">'
        + "".join(charts)
        + "</div><h3>Sector budgets</h3><p class='explain'>Each sector's annual budget as it "
        "stands in each month (the year's plan plus in-year transfers so far), £m a year, "
        "summed over places. Each chart has its own scale.</p>"
        + '<div class="grid small">'
        + "".join(small)
        + "</div>"
    )


def _ring_fences(v: Variant, colour: str) -> str:
    head = "<h3>Ring-fences</h3>"
    if not v.rules:
        return (
            head + '<p class="empty" data-empty="ring-fences">No ring-fences in this scenario.</p>'
        )
    described = _rule_descriptions(v)
    chart = bar_chart(
        [r.name for r in v.rules],
        [Bars("replications in which it bound", [100 * r.bound_share for r in v.rules], colour)],
        title="How often each ring-fence bound",
        subtitle="% of replications in which the rule bound at least once",
        suffix="%",
        decimals=0,
        x_max=100,
        width=560,
    )
    rows = []
    for r in v.rules:
        rows.append(
            f'<tr><th scope="row">{escape(r.name)}</th>'
            f"<td>{escape(described.get(r.name, ''))}</td>"
            f'<td class="num">{_pct(r.bound_share, 1)}</td>'
            f'<td class="num">{format_number(r.bound_mean, 2)}</td>'
            f'<td class="num">{format_number(r.bound_max, 0)}</td>'
            f'<td class="num">{_pct(r.relaxed_share, 1)}</td></tr>'
        )
    table = (
        '<div class="scroll"><table class="rules"><thead><tr><th>Rule</th><th>What it requires'
        "</th><th>Bound at least once</th><th>Times bound, mean</th><th>Most times</th>"
        "<th>Relaxed (replications)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )
    return (
        head + '<p class="explain">A rule binds when it stops or trims a plan or transfer. '
        "A rule is relaxed when it cannot hold alongside rules of higher priority.</p>"
        + f'<div class="narrow">{_figure("ring-fences", chart)}</div>{table}'
    )


def _power(v: Variant) -> str:
    head = (
        "<h3>Voting power</h3><p class='explain'>Exact Shapley-Shubik and normalised Banzhaf "
        "indices of each constituency bloc (members of a bloc added up): each bloc's share of "
        "the say over a board decision, for each composition of the board.</p>"
    )
    periods = list(dict.fromkeys(r.from_period for r in v.power))
    if not periods:
        return head + '<p class="empty">No voting power recorded.</p>'
    parts = []
    for period in periods:
        blocs = [r for r in v.power if r.from_period == period and r.level == "bloc"]
        members = [r for r in v.power if r.from_period == period and r.level == "member"]
        voting = sum(r.voting for r in members) if members else sum(r.voting for r in blocs)
        rule = (blocs or members)[0].rule.replace("_", " ")
        chart = bar_chart(
            [b.name.replace("_", " ") for b in blocs],
            [
                Bars("Shapley-Shubik", [100 * b.shapley_shubik for b in blocs], PALETTE[0]),
                Bars(
                    "Banzhaf (normalised)", [100 * b.banzhaf_normalised for b in blocs], PALETTE[4]
                ),
            ],
            title=f"Board from {period}",
            subtitle=f"{voting} voting members; {rule}; % of the say",
            suffix="%",
            decimals=1,
            width=560,
        )
        rows = "".join(
            f'<tr><th scope="row">{escape(m.name)}</th><td>{escape(m.constituency.replace("_", " "))}'
            f"</td><td>{'yes' if m.voting else 'no'}</td>"
            f'<td class="num">{_pct(m.shapley_shubik, 1)}</td>'
            f'<td class="num">{_pct(m.banzhaf_normalised, 1)}</td>'
            f'<td class="num">{_pct(m.banzhaf_absolute, 1)}</td></tr>'
            for m in members
        )
        details = (
            f"<details><summary>Members of the board from {escape(period)} ({len(members)})"
            "</summary><div class='scroll'><table class='members'><thead><tr><th>Member</th>"
            "<th>Bloc</th><th>Votes</th><th>Shapley-Shubik</th><th>Banzhaf (normalised)</th>"
            '<th><abbr title="Chance that the member\'s vote decides the outcome">Banzhaf '
            "(absolute)</abbr></th></tr></thead><tbody>" + rows + "</tbody></table></div></details>"
        )
        parts.append(f'<div class="composition">{_figure("power", chart)}{details}</div>')
    return head + '<div class="grid">' + "".join(parts) + "</div>"


def _all_measures(v: Variant) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(MEASURE_LABELS.get(r.measure, r.measure))}</th>'
        f"<td>{escape(r.detail)}</td><td>{escape(r.unit)}</td>"
        f'<td class="num">{escape(_fmt(r.mean, r.unit))}</td>'
        f'<td class="num">{escape(_ci(r))}</td>'
        f'<td class="num">{escape(_fmt(r.p05, r.unit))} to {escape(_fmt(r.p95, r.unit))}</td></tr>'
        for r in v.summary
    )
    return (
        "<details class='measures'><summary>All headline measures (summary.csv)</summary>"
        "<div class='scroll'><table><thead><tr><th>Measure</th><th>Detail</th><th>Unit</th>"
        "<th>Mean</th><th>95% CI of the mean</th><th>5th to 95th percentile</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></details>"
    )


def _variant(v: Variant, slug: str, f: Fans, colour: str) -> str:
    sc = v.scenario
    full = str(v.manifest.get("scenario_hash", ""))
    meta = " · ".join(
        [
            _count(v.replications, "replication")
            + (" (no spread: the bands collapse onto the mean)" if v.replications == 1 else ""),
            f"seed {v.manifest.get('seed', '?')}",
            _years_label(v),
            f"scenario {full[:12]}",
            f"run directory {v.path.name}",
        ]
    )
    desc = str(sc.get("description", ""))
    return (
        f'<section id="{slug}" class="variant" data-variant="{escape(v.name)}">'
        f'<h2><span class="swatch" style="background:{colour}"></span>{_name(v.name)}</h2>'
        + (f"<p class='desc'>{escape(desc)}</p>" if desc else "")
        + f"<p class='meta'>{escape(meta)}</p>"
        + _fan_charts(v, f, colour)
        + _ring_fences(v, colour)
        + _power(v)
        + _all_measures(v)
        + '<p class="top"><a href="#top">Back to top</a></p></section>'
    )


def _notes(skipped: Sequence[tuple[Path, str]]) -> str:
    if not skipped:
        return ""
    items = "".join(
        f"<li><code>{escape(str(p))}</code>: {escape(reason)}</li>" for p, reason in skipped
    )
    return (
        '<section class="notes" id="skipped" role="note"><h2>Runs left out</h2>'
        f"<p>These run directories could not be reported:</p><ul>{items}</ul></section>"
    )


CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 32px 64px}
h1{font-size:28px;line-height:1.2;margin:0 0 6px}
h2{font-size:22px;margin:40px 0 6px;padding-top:8px;border-top:2px solid var(--line)}
h3{font-size:17px;margin:28px 0 6px}
a{color:var(--accent)}
.lede{color:var(--muted);margin:0 0 16px;font-size:16px}
nav{margin:12px 0 8px;font-size:14px}
nav ol{display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;margin:0;list-style:none}
nav li::before{content:"→ ";color:var(--muted)}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:14px;width:100%}
caption{text-align:left;color:var(--muted);font-size:13px;padding:4px 0}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;border-bottom:2px solid var(--line)}
td.num{text-align:right;white-space:nowrap}
.compare td.num,.compare thead th{text-align:right}
.compare thead th:first-child{text-align:left}
.unit{display:block;font-weight:400;color:var(--muted);font-size:12px}
.mean{display:block;font-size:16px;font-weight:600}
.ci{display:block;color:var(--muted);font-size:12px;font-weight:400}
.scroll{overflow-x:auto}
.howto{display:flex;gap:16px;align-items:flex-start;background:var(--soft);
border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:20px 0}
.howto h2{display:none}
.howto p{margin:0;font-size:14px}
.howto svg{flex:none;margin-top:4px}
.notes{border-left:4px solid #D55E00;background:#fff4ec;padding:4px 16px 8px;margin:16px 0}
.notes h2{border:0;margin:8px 0 0;font-size:18px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:20px 28px}
.grid.small{grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px 20px}
.narrow{max-width:560px;margin-bottom:12px}
.runs{font-size:13px}
.runs th,.runs td{padding:5px 8px}
.runs td.what{min-width:220px}
.runs tbody th{min-width:190px}
.nw{white-space:nowrap}
tbody th[scope=row]{overflow-wrap:break-word;max-width:260px}
.range{display:block;white-space:nowrap}
.compare{table-layout:fixed}
.compare th:first-child{width:19%}
.compare td.num{white-space:normal;min-width:110px}
.rules th[scope=row]{min-width:180px}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
figure{margin:0}
figure svg{display:block;width:100%;height:auto;max-width:100%}
figure.wide{margin-top:24px}
.desc{margin:4px 0;font-size:16px}
.meta,.explain{color:var(--muted);font-size:13px;margin:4px 0 14px}
.swatch{display:inline-block;width:14px;height:14px;border-radius:3px;margin-right:10px}
.empty{color:var(--muted);font-style:italic}
details{margin:10px 0}
summary{cursor:pointer;color:var(--accent);font-size:14px}
code{font-size:13px}
.top{font-size:13px;text-align:right;margin-top:24px}
footer{color:var(--muted);font-size:13px;border-top:1px solid var(--line);margin-top:48px;
padding-top:12px}
@media print{main{max-width:none;padding:0}section.variant{break-before:page}
figure{break-inside:avoid}.top{display:none}}
"""


def render_report(run_dirs: Sequence[Path], title: str = DEFAULT_TITLE) -> str:
    """The report of the given run directories (``DIR/<scenario-name>/``) as HTML.

    Run directories that are missing or unreadable are listed in a note and left out.
    """
    variants: list[Variant] = []
    skipped: list[tuple[Path, str]] = []
    for d in run_dirs:
        try:
            variants.append(load_variant(Path(d)))
        except RunDirError as exc:
            skipped.append((Path(d), str(exc)))
    taken: set[str] = {"top", "comparison", "comparison-section", "skipped"}
    slugs = [_slug(v.name, taken) for v in variants]
    all_fans = [fans(v.digest) for v in variants]
    toc = []
    if skipped:
        toc.append('<li><a href="#skipped">Runs left out</a></li>')
    if variants:
        toc.append('<li><a href="#comparison-section">Comparing the variants</a></li>')
    toc += [
        f'<li><a href="#{s}">{_name(v.name)}</a></li>' for v, s in zip(variants, slugs, strict=True)
    ]
    parts = [
        _header(title, variants, slugs),
        f'<nav aria-label="Contents"><ol>{"".join(toc)}</ol></nav>' if toc else "",
        _notes(skipped),
    ]
    if variants:
        parts.append(HOW_TO_READ)
        parts.append(_comparison(variants, slugs, all_fans))
        parts += [
            _variant(v, s, f, _colour(i))
            for i, (v, s, f) in enumerate(zip(variants, slugs, all_fans, strict=True))
        ]
    else:
        parts.append('<p class="empty">No runs to report.</p>')
    versions = sorted({str(v.manifest.get("package_version", "?")) for v in variants})
    footer = (
        "<footer>Made by the ICB funding simulator"
        + (f" (icb-sim {escape(', '.join(versions))})" if versions else "")
        + ". One self-contained file: it needs no network and no other files, so it can be "
        "opened offline, e-mailed or archived as it is.</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body><main id="top">{"".join(parts)}{footer}</main></body></html>\n'
    )


def write_report(out_dir: Path, run_dirs: Sequence[Path]) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path.

    The report is rendered first, written to a temporary file in ``out_dir`` and renamed
    over any previous report, so ``report.html`` is always a whole report.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = render_report(run_dirs)
    final = out_dir / REPORT_FILE
    fd, tmp_name = tempfile.mkstemp(prefix=".report.", suffix=".html.tmp", dir=out_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final

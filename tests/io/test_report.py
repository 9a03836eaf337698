"""The offline batch report (sim.report) of finished run directories; the charts it draws
(sim.charts) have their own tests in tests/unit/test_charts.py."""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim import load_scenario, parse_scenario, run
from sim.analysis.measures import ALL_SPENDING, MEASURES, REGISTRY
from sim.analysis.monthly import RELATIVE_ERROR, Digest
from sim.charts.palette import MIN_TEXT_CONTRAST, NOTE, contrast_ratio
from sim.report.page import render_report, write_report
from sim.report.sections import HEADLINE_SCOPES, SECTOR_SCOPES
from sim.report.variant import fans
from sim.store.run_dir import RunDir
from sim.store.writer import scenario_document, write_run
from tests.paths import ROOT, SCENARIOS
from tests.svg_checks import assert_svg_numbers_finite, svg_label, svg_texts, svgs

SMALL = {"replications": 20, "horizon_years": 2}
MAIN_CHARTS = ("share", "moved", "unmet", "spill", "deficit")


def _run(out: Path, path: str, **update: Any) -> Path:
    sc = load_scenario(SCENARIOS / path).model_copy(update={**SMALL, **update})
    return write_run(run(sc), out)


def _changing_board(out: Path) -> Path:
    """The baseline with a second primary-care partner joining in the second year."""
    doc = scenario_document(load_scenario(SCENARIOS / "baseline.toml"))
    doc.update(SMALL, name="board_changes", description='GP joins <script>alert("x")</script> & co')
    doc["board"]["members"].append(
        {"name": "Second GP partner", "constituency": "primary_care", "from": "2026-04"}
    )
    return write_run(run(parse_scenario(doc, "test")), out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small runs: baseline, a ring-fenced variant, no ring-fences, a changing board, one
    replication."""
    out = tmp_path_factory.mktemp("runs")
    return {
        "baseline": _run(out, "baseline.toml"),
        "ringfence": _run(out, "primary_care_ringfence.toml"),
        "no_fences": _run(out, "baseline.toml", name="no_fences", ring_fences=[]),
        "board_changes": _changing_board(out),
        "single": _run(out, "board_22_places.toml", name="single", replications=1),
    }


@pytest.fixture(scope="module")
def html(runs: dict[str, Path]) -> str:
    return render_report(list(runs.values()))


@dataclass
class _Page(HTMLParser):
    """What the tests read off a report: sections, their charts, the comparison table."""

    sections: dict[str, list[str]] = field(default_factory=dict)
    section_ids: dict[str, str] = field(default_factory=dict)
    overlay: int = 0
    links: list[str] = field(default_factory=list)
    #: Variant -> (measure, detail) -> (mean, text shown) of the comparison's tables.
    comparison: dict[str, dict[tuple[str, str], tuple[float, str]]] = field(default_factory=dict)
    #: The comparison tables' ids, in page order.
    tables: list[str] = field(default_factory=list)
    _variant: str | None = None
    _row: str | None = None
    _cell: tuple[str, str, float] | None = None
    _in_mean: bool = False
    _in_table: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "section" and "data-variant" in a:
            self._variant = a["data-variant"]
            self.sections[self._variant] = []
            self.section_ids[self._variant] = a["id"]
        if tag == "figure" and "data-chart" in a:
            if a["data-chart"] == "overlay-share":
                self.overlay += 1
            elif self._variant is not None:
                self.sections[self._variant].append(a["data-chart"])
        if tag == "table" and a.get("class") == "compare":
            self._in_table = True
            self.tables.append(a["id"])
        if self._in_table and tag == "tr" and "data-variant" in a:
            self._row = a["data-variant"]
            self.comparison.setdefault(self._row, {})
        if self._in_table and tag == "td" and "data-mean" in a:
            self._cell = (a["data-measure"], a["data-detail"], float(a["data-mean"]))
        if self._cell is not None and tag == "span" and a.get("class") == "mean":
            self._in_mean = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._variant = None
        if tag == "table":
            self._in_table = False
        if tag == "span":
            self._in_mean = False
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_mean and self._cell is not None and self._row is not None:
            measure, detail, mean = self._cell
            self.comparison[self._row][(measure, detail)] = (mean, data)


def _page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_report_needs_no_network(html: str) -> None:
    assert not re.search(r"(?i)\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", html)
    assert not re.search(r"(?i)@import|url\s*\(|<link\b|<script\b|<iframe\b|<img\b", html)
    # The only address in the file is the SVG namespace, which is a name, not a fetch.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = set(re.findall(r'\sid="([^"]*)"', html))
    assert {h[1:] for h in hrefs} <= ids, "every link goes to a place in the report"


def test_every_variant_has_its_section_and_charts(html: str, runs: dict[str, Path]) -> None:
    page = _page(html)
    assert page.overlay == 1
    assert set(page.sections) == {
        "baseline",
        "primary_care_ringfence",
        "no_fences",
        "board_changes",
        "single",
    }
    for name, charts in page.sections.items():
        assert f"#{page.section_ids[name]}" in page.links, "listed in the contents"
        for chart in MAIN_CHARTS:
            assert charts.count(chart) == 1, (name, chart)
        path = runs["ringfence" if name == "primary_care_ringfence" else name]
        sectors = RunDir(path).bands().sector_names
        assert [c for c in charts if c.startswith("sector-")] == [
            f"sector-{j}" for j in range(len(sectors))
        ]
        assert charts.count("power") >= 1
        assert charts.count("ring-fences") == (0 if name == "no_fences" else 1)
    # The overlay and every variant's charts; the key to the fan charts is HTML, not SVG.
    assert len(svgs(html)) == 1 + sum(len(c) for c in page.sections.values())
    section = html[html.index('class="variant" data-variant="no_fences"') :]
    section = section[: section.index("</section>")]
    assert "No ring-fences in this scenario." in section
    # A member joining in 2026-04 gives a second composition with its own chart.
    section = html[html.index('class="variant" data-variant="board_changes"') :]
    section = section[: section.index("</section>")]
    assert section.count('data-chart="power"') == 2
    assert "Board from 2025-04" in section and "Board from 2026-04" in section
    assert "Second GP partner" in section


#: The displacement measures issue 10 asks the report to compare.
DISPLACEMENT = {
    "left_shift",
    "real_growth",
    "moved_out",
    "unmet_need",
    "underlying_deficit",
    "deficit_repaid",
}


def test_comparison_tables_show_the_summary_means(html: str, runs: dict[str, Path]) -> None:
    page = _page(html)
    assert page.tables == [
        "comparison",
        "comparison-money",
        *(f"comparison-sector-{i}" for i in range(3)),
    ]
    for key, path in runs.items():
        name = path.name
        with (path / "summary.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        # Every measure with one number per variant (a yearly one: its final year), and
        # every sector's row of each per-sector measure; counts are in the variant's section.
        expected: dict[tuple[str, str], dict[str, str]] = {}
        for r in rows:
            scope = REGISTRY[r["measure"]].scope
            if scope in HEADLINE_SCOPES:
                expected = {k: v for k, v in expected.items() if k[0] != r["measure"]}
                expected[(r["measure"], r["detail"])] = r
            elif scope in SECTOR_SCOPES:
                expected[(r["measure"], r["detail"])] = r
        cells = page.comparison[name]
        assert set(cells) == set(expected), key
        assert ("primary_care_share", "2026/27") in cells, "the final year's share"
        assert {m for m, _ in cells} >= DISPLACEMENT, key
        # Money moved out and unmet need of every capped sector; real growth of every one.
        sc = RunDir(path).scenario()
        capped = {s.name for s in sc.sectors if s.spending == "capped"}
        assert capped, key
        assert {d for m, d in cells if m == "unmet_need"} == capped, key
        assert {d for m, d in cells if m == "moved_out"} == capped, key
        assert {d for m, d in cells if m == "real_growth"} == {s.name for s in sc.sectors} | {
            ALL_SPENDING
        }
        for (measure, detail), (mean, text) in cells.items():
            want = float(expected[(measure, detail)]["mean"])
            assert mean == want, (name, measure, detail)
            assert text == _shown(REGISTRY[measure].unit, want), (name, measure, text)


def test_every_registry_measure_is_in_the_report(html: str) -> None:
    """The comparison's columns come from the registry: a measure added there is reported."""
    page = _page(html)
    compared = {m for cells in page.comparison.values() for m, _ in cells}
    for m in MEASURES:
        if m.scope in HEADLINE_SCOPES or m.scope in SECTOR_SCOPES:
            assert m.name in compared, m.name
        else:  # counts: every variant's table of all headline measures
            assert f'<th scope="row">{m.label}</th>' in html, m.name
    # The money measures are a table of their own, in the registry's order.
    headings = re.findall(
        r'<th scope="col" title="[^"]*">([^<]*)<', _table(html, "comparison-money")
    )
    assert headings == [m.label for m in MEASURES if m.scope in HEADLINE_SCOPES and m.unit == "£m"]


def _table(html: str, ident: str) -> str:
    text = html[html.index(f'<table id="{ident}"') :]
    return text[: text.index("</table>")]


def _shown(unit: str, mean: float) -> str:
    """A comparison cell as it should read: ``12.32%`` for a share (and, in the per-sector
    table, a growth rate a year), ``£162.6m`` for money."""
    if unit in ("fraction", "fraction a year"):
        return ("-" if mean < 0 and f"{abs(100 * mean):.2f}" != "0.00" else "") + (
            f"{abs(100 * mean):,.2f}%"
        )
    digits = f"{abs(mean):,.1f}"
    return ("-" if mean < 0 and digits != "0.0" else "") + f"£{digits}m"


def test_fan_bands_are_ordered_and_come_from_the_digest(runs: dict[str, Path]) -> None:
    for path in runs.values():
        bands = RunDir(path).bands()
        f = fans(bands)
        # The run again, in memory: its digest holds every replication's monthly series.
        digest = Digest.from_results(run(RunDir(path).scenario()))
        for name, b in f.named():
            assert b.mean.shape == (digest.months,), name
            for lower, upper in ((b.p05, b.p25), (b.p25, b.p50), (b.p50, b.p75), (b.p75, b.p95)):
                assert np.all(lower <= upper + 1e-9), (path.name, name)
        np.testing.assert_allclose(f.share.mean, 100 * digest.share("primary").mean(axis=0))
        # Quantiles from the bands' bins: within a bin's width of the exact ones.
        np.testing.assert_allclose(
            f.moved.p95, np.quantile(digest.moved / 1e8, 0.95, axis=0), rtol=2 * RELATIVE_ERROR
        )
        assert len(f.sectors) == len(digest.sector_names) == len(bands.sector_names)


def test_one_replication_draws_no_nan(runs: dict[str, Path]) -> None:
    text = render_report([runs["single"]])
    charts = svgs(text)
    assert len(charts) > 10
    for svg in charts:
        assert_svg_numbers_finite(svg)
    assert not re.search(r"(?i)\b(nan|inf)\b", text)
    assert "n/a (1 replication)" in text
    # Bands collapse onto the mean: the 90% band's top and bottom are the same line.
    f = fans(RunDir(runs["single"]).bands())
    np.testing.assert_array_equal(f.unmet.p05, f.unmet.p95)


def test_charts_of_every_run_have_finite_coordinates(html: str) -> None:
    for svg in svgs(html):
        assert_svg_numbers_finite(svg)
        assert 'role="img"' in svg and "<title>" in svg and 'aria-label="' in svg
        assert svg_label(svg), "every chart says what it shows"


def _section(html: str, variant: str) -> str:
    text = html[html.index(f'class="variant" data-variant="{variant}"') :]
    return text[: text.index("</section>")]


def _charts(section: str) -> dict[str, list[str]]:
    """The SVG of each chart of a section, by its ``data-chart`` name."""
    out: dict[str, list[str]] = {}
    for name, svg in re.findall(r'data-chart="([^"]*)">(<svg\b.*?</svg>)', section, flags=re.S):
        out.setdefault(name, []).append(svg)
    return out


def test_charts_show_and_describe_the_digest_numbers(html: str, runs: dict[str, Path]) -> None:
    f = fans(RunDir(runs["baseline"]).bands())
    charts = _charts(_section(html, "baseline"))
    for name, band in (("moved", f.moved), ("deficit", f.deficit)):
        svg = charts[name][0]
        label = svg_label(svg)
        m = re.search(r"mean (\S+) in the first month, (\S+) in the last", label)
        assert m, label
        # The label at the end of the mean line reads the last month's mean, as the
        # description says.
        assert m.group(2) in svg_texts(svg), name
        assert float(m.group(2).replace(",", "")) == pytest.approx(band.mean[-1], abs=0.06)
        assert "year ends: " in label and "90% interval" in label
    share = svg_label(charts["share"][0])
    assert share.startswith("Primary-care share of budgets.")
    end = re.search(r"(\S+)% in the last", share)
    assert end and float(end.group(1)) == pytest.approx(f.share.mean[-1], abs=0.006)
    texts = svg_texts(charts["sector-0"][0])
    assert RunDir(runs["baseline"]).bands().sector_names[0] in texts, "titled by its sector"
    assert any(re.fullmatch(r"20\d\d/\d\d", t) for t in texts), "financial years on the axis"
    # Bar charts write their values at the bars' ends.
    power = charts["power"][0]
    assert "Board from 2025-04" in svg_texts(power)
    assert "Shapley-Shubik" in svg_texts(power) and any(t.endswith("%") for t in svg_texts(power))
    fences = _charts(_section(html, "primary_care_ringfence"))["ring-fences"][0]
    assert "How often each ring-fence bound" in svg_texts(fences)
    overlay = re.search(r'data-chart="overlay-share">(<svg\b.*?</svg>)', html, flags=re.S)
    assert overlay
    for variant in ("baseline", "primary_care_ringfence", "no_fences", "single"):
        assert variant in svg_texts(overlay.group(1)), "each variant in the legend"
        assert f"{variant} ends at " in svg_label(overlay.group(1))


def test_text_is_escaped(html: str) -> None:
    assert "<script" not in html
    assert "GP joins &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html


def test_page_text_is_readable(html: str) -> None:
    """Every colour the style sheet draws text in has at least 4.5:1 contrast on white and on
    the page's tinted panels, and charts scale to the page's width."""
    css = html[html.index("<style>") : html.index("</style>")]
    colours = dict(re.findall(r"--([a-z]+):(#[0-9a-fA-F]{6})", css))
    for name in ("ink", "muted", "accent"):
        for background in ("#ffffff", colours["soft"], NOTE):
            assert contrast_ratio(colours[name], background) >= MIN_TEXT_CONTRAST, name
    assert "figure svg{display:block;max-width:100%;height:auto}" in css, "charts shrink to fit"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_the_template_is_package_data() -> None:
    """The page's template ships with the package (pyproject's package-data)."""
    from importlib.resources import files

    assert (files("sim.report") / "templates" / "report.html.j2").is_file()
    assert (files("sim.report") / "templates" / "report.css.j2").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"sim.report" = ["templates/*.j2"]' in pyproject


def test_broken_run_dirs_are_noted_and_the_rest_still_render(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing"
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(runs["baseline"] / "manifest.json", partial / "manifest.json")
    corrupt = tmp_path / "corrupt"
    shutil.copytree(runs["ringfence"], corrupt)
    (corrupt / "bands.parquet").write_bytes(b"not a parquet file")
    text = render_report([missing, partial, runs["baseline"], corrupt])
    notes = text[text.index('id="skipped"') :]
    notes = notes[: notes.index("</section>")]
    assert f"{missing}</code>: not found" in notes
    assert f"{partial}</code>: not a complete run directory: missing summary.csv" in notes
    assert f"{corrupt}</code>: could not be read" in notes
    assert set(_page(text).sections) == {"baseline"}
    assert 'href="#skipped"' in text
    nothing = render_report([missing])
    assert "No runs to report." in nothing and str(missing) in nothing


def test_write_report_replaces_the_report_atomically(
    runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous report")
    dirs = [runs["baseline"], runs["no_fences"]]
    path = write_report(out, dirs)
    assert path == out / "report.html"
    assert path.read_text(encoding="utf-8") == render_report(dirs)
    assert [p.name for p in out.iterdir()] == ["report.html"], "no temporary file left"

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("sim.report.page.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report(out, [runs["baseline"]])
    assert path.read_text(encoding="utf-8") == render_report(dirs), "old report untouched"
    assert [p.name for p in out.iterdir()] == ["report.html"], "no temporary file left"


def test_same_runs_give_the_same_bytes(runs: dict[str, Path], html: str) -> None:
    assert render_report(list(runs.values())) == html
    reordered = render_report([runs["ringfence"], runs["baseline"]])
    order = re.findall(r'class="variant" data-variant="([^"]*)"', reordered)
    assert order == ["primary_care_ringfence", "baseline"], "variants appear in the order given"

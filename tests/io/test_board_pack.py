"""The board pack (sim.report.board_pack): what it says, in plain words, with no reference
outside itself; the assumptions log it reads from docs/model.md; and the app's download."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace
from pathlib import Path

import pytest
from markupsafe import escape

from sim import load_scenario, run
from sim.analysis.compare import paired_rows
from sim.analysis.measures import REGISTRY
from sim.analysis.narrative import Horizon, comparison_sentence, displacements, tile_words
from sim.app.controller import apply_settings, settings_of
from sim.app.headline import HEADLINES
from sim.app.run_cache import Run
from sim.app.views.summary import summary_table
from sim.charts.render import SVG_NS
from sim.report import assumptions as log
from sim.report.board_pack import PackRun, render_board_pack
from sim.report.settings_words import difference_words, settings_words
from sim.scenario.format import Scenario
from tests.paths import SCENARIOS

SMALL = {"replications": 20, "horizon_years": 2}
QUESTION = "With one GP seat in twelve, would a 13% minimum primary-care share stop the drift?"
DAY = dt.date(2026, 12, 2)


def b_of(a: Scenario) -> Scenario:
    """A with 3 GP seats and a 13% minimum primary-care share, as the app's controls set."""
    s = settings_of(a)
    fences = list(s.fences)
    at = next(i for i, f in enumerate(fences) if f.level == 0.13 and not f.on)
    fences[at] = replace(fences[at], on=True)
    return apply_settings(
        a, replace(s, seats={**s.seats, "primary_care": 3}, fences=tuple(fences)), "app"
    )


@pytest.fixture(scope="module")
def runs() -> tuple[PackRun, PackRun]:
    a = load_scenario(SCENARIOS / "baseline.toml").model_copy(update=SMALL)
    return PackRun.of(run(a)), PackRun.of(run(b_of(a)))


@pytest.fixture(scope="module")
def single(runs: tuple[PackRun, PackRun]) -> str:
    return render_board_pack(runs[0], HEADLINES, generated=DAY)


@pytest.fixture(scope="module")
def pinned(runs: tuple[PackRun, PackRun]) -> str:
    a, b = runs
    return render_board_pack(b, HEADLINES, QUESTION, a, DAY)


def visible(page: str) -> str:
    """Every piece of text a reader sees (the charts' text included), spaces normalised."""
    text = re.sub(r"(?s)<style>.*?</style>", " ", page)
    # Inline elements join the words around them; any other tag separates them.
    text = re.sub(r"</?(?:span|a|strong)\b[^>]*>", "", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text))


def words(text: str) -> str:
    """Text as :func:`visible` gives it, for finding a sentence in a page."""
    return re.sub(r"\s+", " ", text)


def code_names(text: str) -> list[str]:
    """Whatever in the text looks like code: snake_case, a field path, the unit 'fraction'."""
    found = re.findall(r"\w*[A-Za-z0-9]_[A-Za-z0-9]\w*", text)
    found += re.findall(r"\w+\[\d+\]\.\w+", text)
    found += re.findall(r"\bfractions?\b", text, re.IGNORECASE)
    return found


def test_pack_says_the_question_settings_and_answer(
    runs: tuple[PackRun, PackRun], single: str
) -> None:
    a = runs[0]
    text = visible(single)
    assert single.startswith("<!DOCTYPE html>") and 'lang="en-GB"' in single
    assert a.scenario.description in text  # the default question
    for line in settings_words(a.scenario):
        assert words(line) in text, line
    h = Horizon(a.scenario.start_year, a.scenario.horizon_years)
    for m in HEADLINES:
        assert REGISTRY[m].label in text, m
        row = a.row(m)
        assert row is not None and words(tile_words(row, h)) in text, m
    assert single.count("<svg") == 3
    assert "Figure 3." in text and "Against A, B" not in text
    assert code_names(text) == []


def test_pack_with_a_pinned_compares_b_with_a(runs: tuple[PackRun, PackRun], pinned: str) -> None:
    a, b = runs
    text = visible(pinned)
    assert QUESTION in text
    rows = paired_rows(a.measures, b.measures)
    h = Horizon(b.scenario.start_year, b.scenario.horizon_years)
    sentence = comparison_sentence(rows, h)
    assert sentence.startswith("Against A, B") and words(sentence) in text
    capped = displacements(rows)
    assert {d.sector for d in capped} >= {"community", "general practice", "mental health"}
    for d in capped:
        assert words(d.words(h)) in text, d.sector
    for line in difference_words(a.scenario, b.scenario):
        assert words(line) in text, line
    assert "3 voting seats" in text and "13.0%" in text
    # A and B are named in the charts' legends by what differs between them.
    assert "A: primary care (GP) partners 1 voting seat" in text
    assert pinned.count("<svg") == 3
    assert code_names(text) == []
    # The footer names both scenarios, the seed, the replications, the version and the day.
    footer = visible(pinned.split("<footer>")[1])
    assert "baseline edited (B), compared with baseline (A)" in footer
    assert f"seed {b.scenario.seed}" in footer and "20 replications" in footer
    assert "2 December 2026" in footer and "model version" in footer


def test_pack_has_the_assumptions_with_their_sources(single: str) -> None:
    text = visible(single)
    rows = [r for r in log.assumptions() if not r.board_vote_only]
    for r in rows:
        assert words(r.name) in text and words(r.default) in text, r.name
    for s in log.cited(rows, log.sources()):
        assert f'id="source-{s.tag}"' in single and f'href="#source-{s.tag}"' in single
    assert text.count("ASSUMPTION") >= sum(r.assumed for r in rows)
    for group, _ in log.GROUPS:
        assert f"<caption>{escape(group)}</caption>" in single, group
    # The alternative model's defaults are left out of a recovery-plan scenario, and said so.
    assert "Stances" not in text and "left out" in text


def test_pack_refers_to_nothing_outside_itself(single: str, pinned: str) -> None:
    for page in (single, pinned):
        targets = re.findall(r"""(?i)\b(?:src|href|xlink:href)\s*=\s*["']([^"']*)""", page)
        assert targets and all(t.startswith("#") for t in targets), targets
        assert not re.search(r"(?i)<(script|link|iframe|img|object|embed)\b", page)
        assert not re.search(r"(?i)@import|url\(\s*['\"]?(?!#)", page)
        # Any web address is plain text of a citation, never fetched; the SVG namespace
        # is a name, not a request.
        bare = page.replace(f'xmlns="{SVG_NS}"', "")
        for m in re.finditer(r"https?://", bare):
            assert bare.rfind("<", 0, m.start()) < bare.rfind(">", 0, m.start()), m


def test_pack_without_a_pairing_says_so(runs: tuple[PackRun, PackRun]) -> None:
    b = runs[1]
    other = load_scenario(SCENARIOS / "baseline.toml").model_copy(
        update={**SMALL, "replications": 7}
    )
    page = render_board_pack(b, HEADLINES, QUESTION, PackRun.of(run(other)), DAY)
    assert "cannot be compared replication by replication" in visible(page)
    assert "Against A, B" not in page


def test_assumptions_parse_every_row_of_the_model_reference() -> None:
    text = log.MODEL_DOC.read_text(encoding="utf-8")
    rows = log.parse_assumptions(text)
    # Every row of the table, as counted from the file, and at least the 45 it has now.
    assert len(rows) == len(log.table_lines(text)) >= 45
    refs = log.parse_sources(text)
    assert len(refs) >= 34
    for r in rows:
        assert r.name and r.default and r.source, r
        assert r.assumed or r.tags, f"{r.name}: neither a source nor ASSUMPTION"
        assert all(t in refs for t in r.tags), f"{r.name}: unknown source {r.tags}"
        assert code_names(f"{r.name} {r.default} {r.source}") == [], r
    for s in log.cited(rows, refs):
        assert code_names(s.text) == [], s
    # Each group opens where its first row is, so every group has rows.
    assert [g for g, _ in log.GROUPS] == list(dict.fromkeys(r.group for r in rows))
    assert sum(r.assumed for r in rows) >= 30


def test_assumptions_fail_loudly_on_a_broken_table() -> None:
    with pytest.raises(log.AssumptionsError, match="no section"):
        log.parse_assumptions("# Model\n\n## 10. Outputs\n")
    with pytest.raises(log.AssumptionsError, match="no table"):
        log.parse_assumptions(f"{log.TABLE_HEADING}\n\nNo table here.\n")


def test_plain_words_of_the_model_reference() -> None:
    assert log.plain("the activity forecast (`need_growth`) ASSUMPTION") == (
        "the activity forecast (need growth) ASSUMPTION"
    )
    assert (
        log.plain("calibration (`python -m sim calibrate`, `data/x_y.toml`): fit")
        == "calibration: fit"
    )
    assert log.plain("ASSUMPTION ([power.md](power.md))") == "ASSUMPTION (docs/power.md)"
    assert (
        log.plain("[SPLIT][CBP10031] **bold** need_ratio") == "[SPLIT] [CBP10031] bold need ratio"
    )


def test_summary_table_is_in_plain_words(runs: tuple[PackRun, PackRun]) -> None:
    table = summary_table(runs[0].summary)
    assert table.column_names[:4] == ["Measure", "For", "Unit", "Average"]
    cells = " ".join(str(v) for col in table.columns for v in col.to_pylist())
    assert code_names(" ".join(table.column_names) + " " + cells) == []
    first = table.slice(0, 1).to_pylist()[0]
    assert first["Measure"] == "Primary-care share of budgets" and first["Unit"] == "%"
    assert first["Average"].endswith("%")


def test_the_app_builds_the_pack_from_its_runs(runs: tuple[PackRun, PackRun]) -> None:
    from sim.app.downloads import board_pack_html

    res = run(load_scenario(SCENARIOS / "baseline.toml").model_copy(update=SMALL))
    held = Run(res, runs[0].summary)
    page = board_pack_html(held, "  ", None)
    assert runs[0].scenario.description in visible(page) and page.count("<svg") == 3


def test_pack_says_so_when_the_model_reference_is_missing(
    runs: tuple[PackRun, PackRun], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(log, "MODEL_DOC", tmp_path / "model.md")
    log._read.cache_clear()
    try:
        page = visible(render_board_pack(runs[0], HEADLINES, generated=DAY))
    finally:
        log._read.cache_clear()
    assert "The assumptions log could not be read: the model reference" in page
    assert "Figure 3." in page  # the rest of the pack is there

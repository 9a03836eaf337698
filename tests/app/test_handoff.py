"""The app's non-UI logic: controls to scenario (sim.app.controller), the diff (sim.report.settings_words),
the hand-off file and uploads (sim.app.handoff), the size limit and the result downloads."""

from __future__ import annotations

import io
import tomllib
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim import load_scenario, run
from sim.analysis.summary import summarise
from sim.app.controller import (
    FenceSetting,
    Settings,
    apply_settings,
    describe_expiry,
    expiry_options,
    fence_choices,
    parse_seed,
    settings_of,
    voting_seats,
)
from sim.app.downloads import (
    outputs_zip_bytes,
    report_html,
    summary_csv_bytes,
    timeseries_parquet_bytes,
)
from sim.app.handoff import read_upload, scenario_toml
from sim.app.size import check_size
from sim.report.settings_words import diff_documents, difference_words, scenario_changes
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Scenario
from sim.store.writer import OUTPUT_FILES, measures_table, scenario_document, scenario_hash
from tests.paths import SCENARIOS


def lines(old: object, new: object) -> list[str]:
    """The modeller's form of every difference between two documents."""
    return [c.line() for c in diff_documents(old, new)]


def with_fence(s: Settings, index: int, **changes: object) -> Settings:
    fences = list(s.fences)
    fences[index] = replace(fences[index], **changes)  # type: ignore[arg-type]
    return replace(s, fences=tuple(fences))


def with_seats(s: Settings, **seats: int) -> Settings:
    return replace(s, seats={**s.seats, **seats})


@pytest.fixture(scope="module")
def ccg() -> Scenario:
    """A board given as counted seats (no named members)."""
    return load_scenario(SCENARIOS / "board_ccg_like.toml")


def test_settings_of_reads_every_control_from_the_file(baseline: Scenario) -> None:
    s = settings_of(baseline)
    assert s.seats == {
        "chair": 1,
        "executive": 4,
        "non_executive": 2,
        "trust": 2,
        "primary_care": 1,
        "local_authority": 1,
        "mental_health": 1,
        "place": 0,
        "other": 0,
    }
    assert (s.rule, s.quorum, s.casting_vote) == ("consensus_then_majority", 0.5, True)
    assert (s.intensity, s.shock_frequency, s.growth_rate) == (1.0, 1.0, 0.03)
    assert s.ae_per_appointment == 0.033
    assert (s.horizon_years, s.replications, s.seed) == (5, 200, 20250401)
    # The file's two MHIS rules (on), then the two primary-care rules it lacks (off).
    choices = fence_choices(baseline)
    assert [(f.rule.name, f.in_file) for f in choices] == [
        ("Mental Health Investment Standard", True),
        ("MHIS in-year protection", True),
        ("Primary care minimum share", False),
        ("Primary care in-year protection", False),
    ]
    assert s.fences == (
        FenceSetting(on=True, level="overall"),
        FenceSetting(on=True),
        FenceSetting(on=False, level=0.13),  # primary care's first-year share, 0.09 + 0.04
        FenceSetting(on=False),
    )


def test_unchanged_settings_give_the_file_itself(baseline: Scenario, ccg: Scenario) -> None:
    for sc in (baseline, ccg):
        assert apply_settings(sc, settings_of(sc), "app") == sc


def test_primary_care_rules_are_offered_only_when_missing() -> None:
    sc = load_scenario(SCENARIOS / "primary_care_ringfence.toml")
    assert [f.in_file for f in fence_choices(sc)] == [True, True, True, True]
    expires = load_scenario(SCENARIOS / "primary_care_ringfence_expires.toml")
    assert all(f.in_file for f in fence_choices(expires))


def test_adding_seats_adds_counted_members_and_removing_drops_the_last(baseline: Scenario) -> None:
    s = settings_of(baseline)
    more = apply_settings(baseline, with_seats(s, primary_care=3), "app")
    assert more.board.seats == {"primary_care": 2}
    assert voting_seats(more)["primary_care"] == 3
    assert [m.name for m in more.board.all_members()][-2:] == ["primary care 1", "primary care 2"]
    fewer = apply_settings(baseline, with_seats(s, executive=2, trust=0), "app")
    names = [m.name for m in fewer.board.all_members()]
    assert "Medical Director" not in names and "Director of Nursing" not in names
    assert "Chief Executive" in names and "Director of Finance" in names
    assert not any(m.constituency == "trust" for m in fewer.board.all_members())
    assert voting_seats(fewer)["executive"] == 2


def test_seats_on_a_counted_board(ccg: Scenario) -> None:
    s = settings_of(ccg)
    assert s.seats["primary_care"] == 6
    sc = apply_settings(ccg, with_seats(s, primary_care=2, place=1), "app")
    assert sc.board.seats["primary_care"] == 2
    assert sc.board.seats["place"] == 1
    sc = apply_settings(ccg, with_seats(s, primary_care=0), "app")
    assert sc.board.seats["primary_care"] == 0  # the file names it: kept, at 0
    assert voting_seats(sc)["primary_care"] == 0


def test_non_voting_members_are_kept(baseline: Scenario) -> None:
    doc = scenario_document(baseline)
    doc["board"]["members"].append(
        {"name": "Healthwatch", "constituency": "other", "voting": False}
    )
    from sim.scenario.loader import parse_scenario

    sc = parse_scenario(doc, "test")
    s = settings_of(sc)
    assert s.seats["other"] == 0
    out = apply_settings(sc, with_seats(s, other=1), "app")
    assert [m.name for m in out.board.all_members() if m.constituency == "other"] == [
        "Healthwatch",
        "other 1",
    ]


def test_every_control_reaches_its_field(baseline: Scenario) -> None:
    s = settings_of(baseline)
    changed = replace(
        with_fence(with_fence(with_fence(s, 0, level=0.05), 1, on=False), 2, on=True, level=0.15),
        rule="two_thirds",
        quorum=0.6,
        casting_vote=False,
        intensity=1.5,
        shock_frequency=2.0,
        ae_per_appointment=0.05,
        growth_rate=0.05,
        horizon_years=3,
        replications=50,
        seed=7,
    )
    changed = with_fence(changed, 2, until="2027-03")
    sc = apply_settings(baseline, changed, "app")
    assert sc.board.rule == "two_thirds" and sc.board.quorum == 0.6
    assert sc.board.casting_vote is False
    assert sc.pressure.intensity == 1.5 and sc.pressure.shock_frequency == 2.0
    assert sc.spill_over.ae_per_appointment == 0.05 and sc.allocation.growth_rate == 0.05
    # The rest of the spill-over table is the file's.
    assert sc.spill_over.model_copy(update={"ae_per_appointment": 0.033}) == baseline.spill_over
    assert (sc.horizon_years, sc.replications, sc.seed) == (3, 50, 7)
    assert [rf.name for rf in sc.ring_fences] == [
        "Mental Health Investment Standard",
        "Primary care minimum share",
    ]
    assert sc.ring_fences[0].growth == 0.05
    assert sc.ring_fences[1].min_share == 0.15 and sc.ring_fences[1].until == "2027-03"
    assert sc.name == "baseline_edited"


def test_slider_floats_are_tidied_but_file_values_kept(baseline: Scenario) -> None:
    s = settings_of(baseline)
    sc = apply_settings(baseline, replace(s, quorum=0.35000000000000003), "app")
    assert sc.board.quorum == 0.35
    assert apply_settings(baseline, replace(s, growth_rate=0.03), "app") == baseline
    sc = apply_settings(baseline, replace(s, ae_per_appointment=0.035000000000000003), "app")
    assert sc.spill_over.ae_per_appointment == 0.035


def test_errors_are_the_validators_one_line_messages(baseline: Scenario) -> None:
    s = settings_of(baseline)
    with pytest.raises(ScenarioError) as err:
        apply_settings(baseline, replace(s, seed=parse_seed("abc")), "app")
    assert str(err.value) == "app: seed: must be a whole number, got 'abc'"
    with pytest.raises(ScenarioError) as err:
        apply_settings(baseline, replace(s, seed=parse_seed("-1")), "app")
    assert str(err.value) == "app: seed: must be >= 0, got -1"
    nobody = {c: 0 for c in s.seats}
    with pytest.raises(ScenarioError) as err:
        apply_settings(baseline, replace(s, seats=nobody), "app")
    assert str(err.value) == "app: board.members: at least one member must vote"
    crowd = with_seats(s, trust=12, primary_care=12, place=12)
    with pytest.raises(ScenarioError) as err:
        apply_settings(baseline, crowd, "app")
    assert str(err.value) == "app: board: at most 32 members with seats included, got 45"


def test_infeasible_ring_fences_are_named(baseline: Scenario) -> None:
    s = settings_of(baseline)
    bad = with_fence(with_fence(s, 0, level=0.2), 2, on=True)
    with pytest.raises(ScenarioError) as err:
        apply_settings(baseline, replace(bad, horizon_years=20), "app")
    assert str(err.value) == (
        "app: ring_fences: rules 'Mental Health Investment Standard', 'Primary care minimum "
        "share' cannot all hold in 2037/38 (their minimum budgets exceed the money available)"
    )
    with pytest.raises(ScenarioError) as err:  # an expiry beyond the horizon
        apply_settings(baseline, with_fence(s, 1, until="2031-03"), "app")
    assert "ring_fences[1].until: 2031-03 is outside the horizon (2025-04 to 2030-03)" in str(
        err.value
    )


def test_parse_seed() -> None:
    assert parse_seed(" 20,250,401 ") == 20250401
    assert parse_seed("12_3") == 123
    assert parse_seed("1.5") == "1.5"


def test_expiry_options(baseline: Scenario) -> None:
    options = expiry_options(baseline)
    assert options[:3] == [None, "2026-03", "2027-03"]
    assert len(options) == 51
    assert "2027-09" in expiry_options(baseline, "2027-09")
    assert describe_expiry("2027-03") == "end of 2026/27 (2027-03)"
    assert describe_expiry("2027-09") == "2027-09"
    assert describe_expiry(None) == "no expiry"


def test_check_size(baseline: Scenario) -> None:
    assert check_size(baseline) is None
    big = baseline.model_copy(update={"replications": 1_000_000})
    message = check_size(big)
    assert message is not None
    assert message.startswith("baseline: replications: 1,000,000 replications of 5 years")
    assert "at most 9,523 here" in message


def test_diff_lists_each_change_field_by_field(baseline: Scenario) -> None:
    s = settings_of(baseline)
    new = apply_settings(
        baseline,
        with_fence(with_fence(with_seats(s, primary_care=3), 1, on=False), 2, on=True),
        "app",
    )
    assert [c.line() for c in scenario_changes(baseline, new)] == [
        "board.seats.primary_care: (not set) -> 2",
        'ring_fences[1]: added "Primary care minimum share" {rule = "min_share", '
        'kind = "primary", place = "all", min_share = 0.13}',
        'ring_fences: removed "MHIS in-year protection"',
    ]
    assert lines({"a": [1, 2], "b": "x"}, {"a": [1, 3], "b": "x", "c": True}) == [
        "a: [1, 2] -> [1, 3]",
        "c: (not set) -> true",
    ]
    assert lines({"a": 1}, {"a": 1.0}) == ["a: 1 -> 1.0"]
    items = [{"name": "x", "v": 1}, {"name": "y", "v": 2}]
    assert lines({"l": items}, {"l": items[::-1]}) == ['l: order changed to ["y", "x"]']


def test_scenario_toml_runs_to_identical_results(baseline: Scenario, tmp_path: Path) -> None:
    s = settings_of(baseline)
    app = apply_settings(
        baseline,
        replace(with_fence(with_seats(s, primary_care=2), 2, on=True), replications=30, seed=11),
        "app",
    )
    text = scenario_toml(app, baseline, "scenarios/baseline.toml")
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert head[:3] == [
        "# Scenario 'baseline_edited', exported from the ICB funding simulator app.",
        "# Started from scenarios/baseline.toml (scenario 'baseline').",
        "# Changed in the app (4):",
    ]
    assert "#   seed: 20250401 -> 11" in head
    assert "#   replications: 200 -> 30" in head
    assert "#   board.seats.primary_care: (not set) -> 1" in head
    assert "extends" not in tomllib.loads(text)
    path = tmp_path / "handed.toml"
    path.write_text(text)
    loaded = load_scenario(path)
    assert loaded == app
    assert scenario_hash(loaded) == scenario_hash(app)
    # Identical results, to the penny and per replication.
    ours, theirs = run(app), run(loaded)
    np.testing.assert_array_equal(ours.series["budget"], theirs.series["budget"])
    assert measures_table(ours).equals(measures_table(theirs))
    assert summarise(ours) == summarise(theirs)


def test_scenario_toml_of_an_unchanged_file(baseline: Scenario) -> None:
    text = scenario_toml(baseline, baseline, "scenarios/baseline.toml")
    assert "# Nothing was changed in the app" in text
    assert tomllib.loads(text)["name"] == "baseline"


def test_read_upload_validates_like_the_cli(baseline_path: Path) -> None:
    good = read_upload(
        "my board.toml",
        scenario_toml(load_scenario(baseline_path), load_scenario(baseline_path), None).encode(),
    )
    assert good.name == "baseline"
    doc = scenario_document(load_scenario(baseline_path))
    del doc["name"]
    import tomli_w

    unnamed = read_upload("my board.toml", tomli_w.dumps(doc).encode())
    assert unnamed.name == "my_board"
    cases = {
        b"name = [": "x.toml (upload): invalid TOML: ",
        b"\xff\xfe": "x.toml (upload): file is not UTF-8 text",
        b'extends = "baseline.toml"': (
            "x.toml (upload): extends: an upload cannot extend another file ('baseline.toml' "
            "is not here); upload a complete scenario, such as one downloaded from this app"
        ),
        b"[sweep]\n": "x.toml (upload): sweep: the app runs one scenario",
        b"replications = 0\n": "x.toml (upload): replications: must be >= 1, got 0",
        b" " * 1_000_001: "x.toml (upload): file is larger than 1000000 bytes",
    }
    for data, start in cases.items():
        with pytest.raises(ScenarioError) as err:
            read_upload("x.toml", data)
        assert str(err.value).startswith(start), str(err.value)


def test_result_downloads(baseline: Scenario, tmp_path: Path) -> None:
    res = run(baseline.model_copy(update={"replications": 4}))
    csv = summary_csv_bytes(res).decode()
    assert csv.splitlines()[0].startswith("measure,detail,unit,n,mean")
    assert len(csv.splitlines()) == len(summarise(res)) + 1
    table = pq.read_table(io.BytesIO(timeseries_parquet_bytes(res)))
    assert table.num_rows == 4 * 60 * len(baseline.sectors)
    with zipfile.ZipFile(io.BytesIO(outputs_zip_bytes(res))) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    assert {n.split("/")[1] for n in names} == set(OUTPUT_FILES)
    assert {n.split("/")[0] for n in names} == {"baseline"}
    unzipped = tmp_path / "baseline"
    summary = pq.read_table(unzipped / "measures.parquet")
    assert summary.equals(measures_table(res))
    html = report_html(res)
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html>")
    assert "baseline" in html and "<svg" in html


def test_zero_seats_in_the_file_are_kept(baseline: Scenario) -> None:
    from sim.scenario.loader import parse_scenario

    doc = scenario_document(baseline)
    doc["board"]["seats"] = {"place": 0, "primary_care": 1}
    sc = parse_scenario(doc, "test")
    s = settings_of(sc)
    assert s.seats["place"] == 0
    # Untouched: the same scenario, no change listed, the file's name kept.
    same = apply_settings(sc, s, "app")
    assert same == sc and same.name == sc.name
    assert scenario_changes(sc, same) == []
    assert same.board.seats == {"place": 0, "primary_care": 1}
    # Changed and back: listed as a change of the count, never as a removed key.
    more = apply_settings(sc, with_seats(s, place=2), "app")
    assert [c.line() for c in scenario_changes(sc, more)] == ["board.seats.place: 0 -> 2"]
    assert difference_words(sc, more) == ["Place members: 0 voting seats → 2 voting seats"]
    assert apply_settings(sc, with_seats(s, place=0), "app") == sc


def test_the_source_cannot_break_out_of_the_toml_comment(baseline: Scenario) -> None:
    source = 'evil.toml\nreplications = 1\n[x]\r"a" (upload)'
    text = scenario_toml(baseline, baseline, source)
    head = text.split("\n\n", 1)[0].splitlines()
    assert all(line.startswith("#") for line in head)
    assert head[1] == (
        '# Started from "evil.toml\\nreplications = 1\\n[x]\\r\\"a\\" (upload)" '
        "(scenario 'baseline')."
    )
    assert tomllib.loads(text) == scenario_document(baseline)
    # An ordinary name is written as it is.
    assert "# Started from my file (1).toml (upload) (scenario" in scenario_toml(
        baseline, baseline, "my file (1).toml (upload)"
    )

"""Malformed scenario files: each gives exit code 2 and exact one-line messages, no traceback.

Every case starts from ``scenarios/baseline.toml``, breaks one thing (by editing the parsed
dictionary and writing it back with ``tomli_w``, or by writing literal file text), writes the
result to a temporary folder and runs ``python -m sim validate`` on it in-process. Messages read
``<file>: <field.path[2].name>: <reason>``; the tests run in the temporary folder so the file
is named as the user would type it (``bad.toml``).
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sim.cli import main
from sim.scenario.loader import load_scenario
from tests.paths import SCENARIOS

BASELINE_TEXT = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
BASELINE: dict[str, Any] = tomllib.loads(BASELINE_TEXT)

KINDS = "'primary', 'secondary', 'community', 'mental_health' or 'other'"


# --- edits of the baseline dictionary ------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _walk(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding ``path`` (such as ``sectors[0].share``) and the last key."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node: Any = data
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def set_(path: str, value: Any) -> Edit:
    """Set (or add) the field at ``path``."""

    def edit(data: dict[str, Any]) -> None:
        node, last = _walk(data, path)
        node[last] = value

    return edit


def drop(path: str) -> Edit:
    """Remove the field at ``path``."""

    def edit(data: dict[str, Any]) -> None:
        node, last = _walk(data, path)
        del node[last]

    return edit


def rename(path: str, new_key: str) -> Edit:
    """Rename the field at ``path`` (a typo in its name), keeping its value."""

    def edit(data: dict[str, Any]) -> None:
        node, last = _walk(data, path)
        node[new_key] = node.pop(last)

    return edit


def add_ring_fence(**fields: Any) -> Edit:
    """Append a ring-fence (it becomes ``ring_fences[2]`` after the baseline's two)."""

    def edit(data: dict[str, Any]) -> None:
        data["ring_fences"].append(dict(fields))

    return edit


def all_of(*edits: Edit) -> Edit:
    """Apply several edits in order."""

    def edit(data: dict[str, Any]) -> None:
        for e in edits:
            e(data)

    return edit


def no_member_votes(data: dict[str, Any]) -> None:
    for member in data["board"]["members"]:
        member["voting"] = False


# --- the cases: (id, how to break the baseline, expected stderr after "bad.toml: ") --------

CASES = [
    # Unknown, missing and mistyped fields (pydantic, translated by the loader).
    pytest.param(
        rename("horizon_years", "horizon_year"),
        "horizon_year: unknown field (check the spelling)",
        id="unknown-top-level-field",
    ),
    pytest.param(
        rename("sectors[2].need_growth", "need_grwth"),
        "sectors[2].need_grwth: unknown field (check the spelling)",
        id="unknown-nested-field",
    ),
    pytest.param(
        drop("allocation.initial_gbp_m"),
        "allocation.initial_gbp_m: required field is missing",
        id="missing-required-field",
    ),
    pytest.param(
        set_("sectors[0].share", 1.4),
        "sectors[0].share: must be between 0 and 1, got 1.4",
        id="share-out-of-range",
    ),
    pytest.param(
        set_("sectors[0].share", "0.55"),
        "sectors[0].share: must be a number, got '0.55'",
        id="string-for-number",
    ),
    pytest.param(
        set_("sectors[0].share", True),
        "sectors[0].share: must be a number, got true",
        id="boolean-for-number",
    ),
    pytest.param(
        set_("horizon_years", 5.5),
        "horizon_years: must be a whole number, got 5.5",
        id="float-for-int",
    ),
    pytest.param(
        set_("sectors[1].kind", "mental-health"),
        f"sectors[1].kind: must be one of {KINDS}, got 'mental-health'",
        id="bad-sector-kind",
    ),
    pytest.param(
        set_("sectors[1].spending", "fixed"),
        "sectors[1].spending: must be one of 'capped' or 'demand_led', got 'fixed'",
        id="bad-spending-kind",
    ),
    pytest.param(
        set_("allocation.initial_gbp_m", -100.0),
        "allocation.initial_gbp_m: must be > 0, got -100",
        id="negative-allocation",
    ),
    pytest.param(
        set_("sectors", {"name": "acute", "kind": "secondary"}),
        "sectors: must be a list, got a table",
        id="table-for-list",
    ),
    pytest.param(
        set_("spill_over.lag_weights", [0.5, 0.6]),
        "spill_over.lag_weights: must sum to 1, got 1.1",
        id="lag-weights-not-summing",
    ),
    pytest.param(
        set_("spill_over.lag_months", 3),
        "spill_over.lag_months: removed in the second model; write spill_over.lag_weights "
        "(e.g. [0, 0, 1] for a single three-month lag)",
        id="removed-field-says-what-to-write",
    ),
    pytest.param(
        set_("spill_over.elasticity", 0.3),
        "spill_over.elasticity: removed in the second model; spill-over is priced through "
        "activity: set spill_over.ae_per_appointment (0.033 is about the old 0.3)",
        id="removed-elasticity",
    ),
    pytest.param(
        set_("sectors[0].slippage", 0.1),
        "sectors[0].slippage: a demand-led sector spends its need, so it cannot slip; set it "
        "to 0 or make the sector capped",
        id="demand-led-slippage",
    ),
    pytest.param(
        set_("planning.committed_uplift_by_year", {"2026/28": 0.03}),
        "planning.committed_uplift_by_year.2026/28: must be a financial year like '2026/27', "
        "got '2026/28'",
        id="bad-year-label",
    ),
    pytest.param(
        set_("board.rule", "majority"),
        "board.rule: must be one of 'consensus_then_majority', 'simple_majority', "
        "'two_thirds' or 'unanimity', got 'majority'",
        id="bad-board-rule",
    ),
    pytest.param(
        set_("board.stance", {"gp": 0.1}),
        "board.stance.gp: must be one of 'chair', 'executive', 'non_executive', 'trust', "
        "'primary_care', 'local_authority', 'mental_health', 'place' or 'other', got 'gp'",
        id="stance-unknown-constituency",
    ),
    pytest.param(
        set_("ring_fences[0].growth", "all"),
        "ring_fences[0].growth: must be a number or 'overall', got 'all'",
        id="growth-neither-number-nor-overall",
    ),
    pytest.param(
        set_("ring_fences[0].growth", 0.9),
        "ring_fences[0].growth: must be <= 0.5, got 0.9",
        id="growth-out-of-range",
    ),
    pytest.param(
        set_("ring_fences[0].from", "2027-13"),
        "ring_fences[0].from: must be a month like '2027-04', got '2027-13'",
        id="bad-month",
    ),
    pytest.param(
        set_("ring_fences[0].from", "April 2027"),
        "ring_fences[0].from: must be a month like '2027-04', got 'April 2027'",
        id="month-in-words",
    ),
    pytest.param(
        set_("ring_fences[0].from", datetime.date(2027, 4, 1)),
        "ring_fences[0].from: must be a string, got the date 2027-04-01",
        id="month-as-toml-date",
    ),
    # Cross-field checks (sim/scenario/consistency.py).
    pytest.param(
        set_("sectors[0].share", 0.5),
        "sectors: shares must sum to 1, got 0.95",
        id="shares-do-not-sum-to-1",
    ),
    pytest.param(
        set_("sectors[2].name", "acute"),
        "sectors[2].name: duplicate sector name 'acute'",
        id="duplicate-sector-name",
    ),
    pytest.param(
        set_("board.members[4].name", "Medical Director"),
        "board.members[4].name: duplicate member name 'Medical Director'",
        id="duplicate-member-name",
    ),
    pytest.param(
        no_member_votes,
        "board.members: at least one member must vote",
        id="no-voting-members",
    ),
    pytest.param(
        set_("board.members[5].constituency", "chair"),
        "board.members[5].constituency: a board has only one chair",
        id="two-chairs",
    ),
    pytest.param(
        set_("sectors[0].kind", "other"),  # the only "secondary" sector
        "spill_over.to_kind: no sector of kind 'secondary'",
        id="spill-over-to-missing-kind",
    ),
    pytest.param(
        all_of(drop("ring_fences[0].kind"), set_("ring_fences[0].sector", "mental heath")),
        "ring_fences[0].sector: no sector named 'mental heath'",
        id="ring-fence-unknown-sector",
    ),
    pytest.param(
        set_("ring_fences[1].place", "Hull"),
        "ring_fences[1].place: no place named 'Hull'",
        id="ring-fence-unknown-place",
    ),
    pytest.param(
        set_("ring_fences[0].sector", "mental health"),
        "ring_fences[0]: give exactly one of 'sector' or 'kind'",
        id="ring-fence-sector-and-kind",
    ),
    pytest.param(
        drop("ring_fences[0].kind"),
        "ring_fences[0]: give exactly one of 'sector' or 'kind'",
        id="ring-fence-neither-sector-nor-kind",
    ),
    pytest.param(
        add_ring_fence(name="GP minimum", rule="min_share", kind="primary"),
        "ring_fences[2].min_share: required for rule 'min_share'",
        id="min-share-missing",
    ),
    pytest.param(
        add_ring_fence(
            name="GP minimum", rule="min_share", kind="primary", min_share=0.1, cap=0.05
        ),
        "ring_fences[2].cap: not used by rule 'min_share'",
        id="parameter-not-used-by-rule",
    ),
    pytest.param(
        set_("ring_fences[0].from", "2031-04"),
        "ring_fences[0].from: 2031-04 is outside the horizon (2025-04 to 2030-03)",
        id="from-after-horizon",
    ),
    pytest.param(
        set_("ring_fences[0].until", "2025-03"),
        "ring_fences[0].until: 2025-03 is outside the horizon (2025-04 to 2030-03)",
        id="until-before-horizon",
    ),
    pytest.param(
        all_of(set_("ring_fences[0].from", "2027-04"), set_("ring_fences[0].until", "2026-10")),
        "ring_fences[0].until: 2026-10 is before 'from' (2027-04)",
        id="until-before-from",
    ),
    pytest.param(
        all_of(
            add_ring_fence(
                name="Primary care floor", rule="min_share", kind="primary", min_share=0.6
            ),
            add_ring_fence(name="Acute floor", rule="min_share", kind="secondary", min_share=0.6),
        ),
        "ring_fences: rules 'Primary care floor', 'Acute floor', 'Mental Health Investment "
        "Standard' cannot all hold in 2025/26: with the other sectors' committed lines they "
        "claim 140% of the money",
        id="infeasible-min-shares",
    ),
    pytest.param(
        add_ring_fence(name="All to primary", rule="min_share", kind="primary", min_share=1.0),
        "ring_fences: rules 'All to primary', 'Mental Health Investment Standard' cannot all "
        "hold in 2025/26: with the other sectors' committed lines they claim 158% of the money",
        id="full-primary-share-beside-mhis",
    ),
    pytest.param(
        add_ring_fence(name="Half to primary", rule="min_share", kind="primary", min_share=0.5),
        "ring_fences: rules 'Half to primary', 'Mental Health Investment Standard' cannot all "
        "hold in 2025/26: with the other sectors' committed lines they claim 108% of the money",
        id="primary-share-beside-mhis",
    ),
    pytest.param(
        set_("allocation.initial_gbp_m", 5e6),
        "allocation.initial_gbp_m: must be at most about £350,673m with this growth, need and "
        "horizon (larger sums could overflow the engine's pence), got 5e+06",
        id="allocation-overflow",
    ),
    pytest.param(
        set_("allocation.initial_gbp_m", math.inf),
        "allocation.initial_gbp_m: must be <= 10000000, got inf",
        id="infinite-allocation",
    ),
    pytest.param(
        set_("extends", 3),
        "extends: must be a file name, got 3",
        id="extends-not-a-string",
    ),
]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty temporary folder, so messages name files as ``bad.toml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, str]:
    """Run ``python -m sim validate FILES`` in-process: (exit code, stderr)."""
    code = main(["validate", *files])
    out = capsys.readouterr()
    assert out.out == ""
    return code, out.err


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_malformed_scenario(
    edit: Edit, expected: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(BASELINE)
    edit(data)
    (in_tmp / "bad.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    assert validate(capsys, "bad.toml") == (2, f"bad.toml: {expected}\n")


# --- whole files: syntax, encoding, missing files and ``extends`` ---------------------------

FILE_CASES = [
    pytest.param(
        {"bad.toml": "name = 'x'\n[allocation\ninitial_gbp_m = 1.0\n"},
        "bad.toml: invalid TOML: Expected ']' at the end of a table declaration "
        "(at line 2, column 12)",
        id="invalid-toml-syntax",
    ),
    pytest.param(
        {"bad.toml": "name = 'x'\nname = 'y'\n"},
        "bad.toml: invalid TOML: Cannot overwrite a value (at line 2, column 11)",
        id="duplicate-toml-key",
    ),
    pytest.param(
        {"bad.toml": b"name = '\xff'\n"},
        "bad.toml: file is not UTF-8 text",
        id="not-utf8",
    ),
    pytest.param({}, "bad.toml: file not found", id="missing-file"),
    pytest.param(
        {"bad.toml": "extends = 'parent.toml'\n"},
        "bad.toml: extends: parent file not found: parent.toml",
        id="extends-missing-parent",
    ),
    pytest.param(
        {"bad.toml": "extends = 'b.toml'\n", "b.toml": "extends = 'bad.toml'\n"},
        "bad.toml: extends: cycle: bad.toml -> b.toml -> bad.toml",
        id="extends-cycle",
    ),
    pytest.param(
        {"bad.toml": "extends = ''\n"},
        "bad.toml: extends: must be a file name, got ''",
        id="extends-empty",
    ),
    pytest.param(
        {"bad.toml": "extends = 'scenarios'\n", "scenarios/baseline.toml": BASELINE_TEXT},
        "bad.toml: extends: must name a .toml scenario file, got 'scenarios'",
        id="extends-not-toml",
    ),
    pytest.param(
        {"bad.toml": "extends = 'folder.toml'\n", "folder.toml/baseline.toml": BASELINE_TEXT},
        "bad.toml: extends: parent is not a regular file: folder.toml",
        id="extends-a-folder",
    ),
    pytest.param(
        {"bad.toml": "extends = 'bad.toml'\n"},
        "bad.toml: extends: cycle: bad.toml -> bad.toml",
        id="extends-itself",
    ),
    pytest.param(
        {"bad.toml": "extends = 'parent.toml'\n", "parent.toml": "name = \n"},
        "bad.toml: extends: parent file parent.toml: invalid TOML: Invalid value "
        "(at line 1, column 8)",
        id="extends-invalid-parent",
    ),
    pytest.param(
        {
            "bad.toml": "extends = 'baseline.toml'\n[allocation]\ngrowth_rate = 0.9\n",
            "baseline.toml": BASELINE_TEXT,
        },
        "bad.toml: allocation.growth_rate: must be between -0.5 and 0.5, got 0.9",
        id="extends-child-out-of-range",
    ),
]


@pytest.mark.parametrize(("files", "expected"), FILE_CASES)
def test_malformed_file(
    files: dict[str, str | bytes],
    expected: str,
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, content in files.items():
        (in_tmp / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (in_tmp / name).write_bytes(content)
        else:
            (in_tmp / name).write_text(content, encoding="utf-8")
    assert validate(capsys, "bad.toml") == (2, f"{expected}\n")


def test_baseline_written_back_is_valid(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "good.toml").write_text(tomli_w.dumps(BASELINE), encoding="utf-8")
    assert main(["validate", "good.toml"]) == 0
    assert capsys.readouterr().out == "ok: baseline\n"


def test_baseline_written_back_is_the_same_scenario(in_tmp: Path) -> None:
    """The cases above differ from the baseline only by their edit: the loader reads the
    baseline written back (arrays of tables, other layout) as the same scenario."""
    (in_tmp / "baseline.toml").write_text(tomli_w.dumps(BASELINE), encoding="utf-8")
    assert load_scenario("baseline.toml") == load_scenario(SCENARIOS / "baseline.toml")


def test_several_problems_one_line_each(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(BASELINE)
    all_of(set_("sectors[0].share", 1.4), set_("horizon_years", 5.5))(data)
    del data["allocation"]
    (in_tmp / "bad.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    assert validate(capsys, "bad.toml") == (
        2,
        "bad.toml: horizon_years: must be a whole number, got 5.5\n"
        "bad.toml: allocation: required field is missing\n"
        "bad.toml: sectors[0].share: must be between 0 and 1, got 1.4\n",
    )


def test_good_and_bad_files_together(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One invalid file makes the exit code 2; the valid one is still reported."""
    (in_tmp / "good.toml").write_text(BASELINE_TEXT, encoding="utf-8")
    code = main(["validate", "good.toml", "missing.toml"])
    out = capsys.readouterr()
    assert (code, out.out, out.err) == (2, "ok: baseline\n", "missing.toml: file not found\n")


def test_full_path_outside_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside the working directory a file is named by the path as given."""
    bad = tmp_path / "bad.toml"
    data = copy.deepcopy(BASELINE)
    set_("sectors[0].share", 1.4)(data)
    bad.write_text(tomli_w.dumps(data), encoding="utf-8")
    assert validate(capsys, str(bad)) == (
        2,
        f"{bad}: sectors[0].share: must be between 0 and 1, got 1.4\n",
    )


# --- ``extends`` that works --------------------------------------------------------------


@pytest.fixture
def parent(in_tmp: Path) -> Path:
    """The baseline copied into the temporary folder, for children to extend."""
    path = in_tmp / "baseline.toml"
    path.write_text(BASELINE_TEXT, encoding="utf-8")
    return path


def test_extends_deep_merges_tables(parent: Path) -> None:
    (parent.parent / "child.toml").write_text(
        "extends = 'baseline.toml'\n[allocation]\ngrowth_rate = 0.01\n[board]\nquorum = 0.6\n",
        encoding="utf-8",
    )
    child, base = load_scenario("child.toml"), load_scenario(parent)
    assert child.allocation.growth_rate == 0.01
    assert child.allocation.model_dump(exclude={"growth_rate"}) == base.allocation.model_dump(
        exclude={"growth_rate"}
    )
    assert child.board.quorum == 0.6
    assert child.board.members == base.board.members
    assert child.model_dump(exclude={"name", "allocation", "board"}) == base.model_dump(
        exclude={"name", "allocation", "board"}
    )


def test_extends_does_not_inherit_name(parent: Path) -> None:
    (parent.parent / "my child.toml").write_text("extends = 'baseline.toml'\n", encoding="utf-8")
    (parent.parent / "named.toml").write_text(
        "extends = 'baseline.toml'\nname = 'own-name'\n", encoding="utf-8"
    )
    assert load_scenario(parent).name == "baseline"
    assert load_scenario("my child.toml").name == "my_child"
    assert load_scenario("named.toml").name == "own-name"


def test_extends_replaces_arrays_whole(parent: Path) -> None:
    (parent.parent / "child.toml").write_text(
        "extends = 'baseline.toml'\n"
        "[[ring_fences]]\n"
        "name = 'GP floor'\nrule = 'min_share'\nkind = 'primary'\nmin_share = 0.1\n",
        encoding="utf-8",
    )
    child = load_scenario("child.toml")
    assert [(r.name, r.rule, r.min_share) for r in child.ring_fences] == [
        ("GP floor", "min_share", 0.1)
    ]
    assert len(child.sectors) == len(BASELINE["sectors"])


def test_extends_chain_resolved_from_each_files_folder(parent: Path) -> None:
    """A grandchild in a sub-folder: each ``extends`` is relative to the file naming it."""
    sub = parent.parent / "sub"
    sub.mkdir()
    (parent.parent / "child.toml").write_text(
        "extends = 'baseline.toml'\n[allocation]\ngrowth_rate = 0.01\n", encoding="utf-8"
    )
    (sub / "grandchild.toml").write_text(
        "extends = '../child.toml'\n[allocation]\ninflation = 0.03\n", encoding="utf-8"
    )
    grandchild = load_scenario(sub / "grandchild.toml")
    assert grandchild.name == "grandchild"
    assert (grandchild.allocation.growth_rate, grandchild.allocation.inflation) == (0.01, 0.03)
    assert grandchild.allocation.initial_gbp_m == BASELINE["allocation"]["initial_gbp_m"]

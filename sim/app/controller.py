"""What the app needs besides layout: its controls as scenario changes, and the hand-off.

The Streamlit app (``app.py``) is a thin layer: it shows one control per field of
:class:`Settings`, and everything it does with their values is here, so that it can be
tested without a browser:

* :func:`settings_of` reads each control's starting value from a scenario;
* :func:`apply_settings` turns control values into a scenario, validated by the same
  :func:`sim.scenario.loader.parse_scenario` as every file (so errors are the CLI's one-line
  messages);
* :func:`scenario_toml` writes the scenario the app ran as a complete TOML file, headed by
  the changes from the file it started from, so that ``python -m sim run`` on the
  downloaded file gives exactly the app's results;
* :func:`read_upload` validates an uploaded file; the ``*_bytes`` functions build the
  result downloads from :mod:`sim.store.writer`.

Seats. A board may list members by name (``[[board.members]]``), count them per
constituency (``[board.seats]``), or both. The app shows one "voting seats" control per
constituency: the voting members of that constituency, named or counted. Adding seats adds
counted seats (members named ``primary_care 1``, ...); removing seats removes counted seats
first, then named voting members of that constituency from the end of the list. Non-voting
members are never touched.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pyarrow.parquet as pq
import tomli_w

from sim.analysis.summary import summarise
from sim.batch.scheduler import CHUNK_CELLS, cells_per_replication
from sim.engine.results import Results
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.format import Constituency, RingFence, Scenario
from sim.scenario.loader import MAX_FILE_BYTES, parse_scenario, read_toml, variant_name
from sim.store.tables import timeseries_table
from sim.store.writer import scenario_document, write_run, write_summary_csv
from sim.units.calendar import Calendar

#: Every constituency, in the order the app shows them.
CONSTITUENCIES: tuple[Constituency, ...] = get_args(Constituency)
#: The parameter each ring-fence rule takes (None: the rule has no level).
LEVEL_FIELD: dict[str, str | None] = {
    "min_share": "min_share",
    "min_growth": "growth",
    "cap_transfers_out": "cap",
    "no_transfers_out": None,
    "real_terms_floor": None,
}
#: Largest run the app does, in replication-months × places × sectors: the batch runner's
#: largest chunk (about 2 GB of memory); bigger runs belong to ``python -m sim run``.
MAX_APP_CELLS = CHUNK_CELLS
#: Suffix of the name of a scenario changed in the app, so its outputs do not overwrite
#: those of the file it started from.
EDITED_SUFFIX = "_edited"
#: Shown for a field that is not set.
NOT_SET = "(not set)"


@dataclass(frozen=True)
class Fence:
    """A ring-fence the app offers: one of the file's rules, or one it proposes to add."""

    rule: RingFence
    in_file: bool

    @property
    def level_field(self) -> str | None:
        """The rule's parameter (``min_share``, ``growth`` or ``cap``), or None."""
        return LEVEL_FIELD[self.rule.rule]

    def describe(self) -> str:
        """What the rule protects, e.g. ``min_share on kind primary``."""
        target = f"sector {self.rule.sector}" if self.rule.sector else f"kind {self.rule.kind}"
        where = "" if self.rule.place == "all" else f" in {self.rule.place}"
        return f"{self.rule.rule} on {target}{where}"


@dataclass(frozen=True)
class FenceSetting:
    """The controls of one ring-fence: on or off, its level and its last month."""

    on: bool
    #: The rule's parameter: a fraction, ``"overall"`` (min_growth only), or None.
    level: float | str | None = None
    #: Last month the rule applies (``YYYY-MM``), or None for no expiry.
    until: str | None = None


@dataclass(frozen=True)
class Settings:
    """The value of every control of the app."""

    #: Voting seats per constituency (named and counted members).
    seats: Mapping[str, int]
    rule: str
    quorum: float
    casting_vote: bool
    #: One per :func:`fence_choices` item, in the same order.
    fences: tuple[FenceSetting, ...]
    intensity: float
    shock_frequency: float
    elasticity: float
    growth_rate: float
    horizon_years: int
    replications: int
    #: An integer, or the text typed (reported by the validator as not a whole number).
    seed: int | str


# -- controls ---------------------------------------------------------------------------


def voting_seats(sc: Scenario) -> dict[str, int]:
    """Voting members per constituency, named or counted (every constituency, maybe 0)."""
    out: dict[str, int] = dict.fromkeys(CONSTITUENCIES, 0)
    for m in sc.board.all_members():
        if m.voting:
            out[m.constituency] += 1
    return out


def primary_share(sc: Scenario) -> float:
    """The first-year share of the sectors of kind ``primary`` (rounded to 4 decimals)."""
    return round(sum(s.share for s in sc.sectors if s.kind == "primary"), 4)


def _protects_primary(sc: Scenario, rf: RingFence) -> bool:
    kinds = {s.name: s.kind for s in sc.sectors}
    return rf.kind == "primary" or (rf.sector is not None and kinds.get(rf.sector) == "primary")


def fence_choices(sc: Scenario) -> list[Fence]:
    """The file's ring-fences, then the primary-care ring-fences it lacks (offered, off).

    Offered: a minimum share for primary care at its first-year share, and no in-year
    transfers out of primary care, each unless the file already has that rule for primary
    care (by kind or by a primary sector).
    """
    out = [Fence(rf, True) for rf in sc.ring_fences]
    if not any(s.kind == "primary" for s in sc.sectors):
        return out
    names = {rf.name for rf in sc.ring_fences}
    offers = [
        ("Primary care minimum share", "min_share", {"min_share": primary_share(sc)}),
        ("Primary care in-year protection", "no_transfers_out", {}),
    ]
    for name, rule, params in offers:
        if any(rf.rule == rule and _protects_primary(sc, rf) for rf in sc.ring_fences):
            continue
        while name in names:
            name += " (app)"
        rf = RingFence.model_validate({"name": name, "rule": rule, "kind": "primary", **params})
        out.append(Fence(rf, False))
    return out


def settings_of(sc: Scenario) -> Settings:
    """Every control at the scenario's value (offered ring-fences off, at their defaults)."""
    fences = []
    for f in fence_choices(sc):
        level = getattr(f.rule, f.level_field) if f.level_field else None
        fences.append(FenceSetting(on=f.in_file, level=level, until=f.rule.until))
    return Settings(
        seats=voting_seats(sc),
        rule=sc.board.rule,
        quorum=sc.board.quorum,
        casting_vote=sc.board.casting_vote,
        fences=tuple(fences),
        intensity=sc.pressure.intensity,
        shock_frequency=sc.pressure.shock_frequency,
        elasticity=sc.spill_over.elasticity,
        growth_rate=sc.allocation.growth_rate,
        horizon_years=sc.horizon_years,
        replications=sc.replications,
        seed=sc.seed,
    )


def expiry_options(sc: Scenario, current: str | None = None) -> list[str | None]:
    """Choices for a ring-fence's last month: none, or the end (March) of a financial year.

    Years run from the scenario's first to the longest horizon allowed (50 years); a
    ``current`` month that is not a March is included where it falls.
    """
    cal = Calendar(sc.start_year, 50)
    months: list[str] = [cal.label(12 * y + 11) for y in range(50)]
    if current is not None and current not in months:
        months = sorted([*months, current])
    return [None, *months]


def describe_expiry(month: str | None) -> str:
    """``2027-03`` as ``end of 2026/27 (2027-03)``; None as ``no expiry``."""
    if month is None:
        return "no expiry"
    year, mm = int(month[:4]), int(month[5:7])
    if mm == 3:
        return f"end of {year - 1}/{year % 100:02d} ({month})"
    return month


def parse_seed(text: str) -> int | str:
    """The seed typed in a text box: an integer, or the text itself for the validator."""
    t = text.strip().replace(",", "").replace("_", "")
    try:
        return int(t)
    except ValueError:
        return text


def _tidy(new: Any, old: Any) -> Any:
    """A control's float as entered: unchanged values kept exactly, others to 6 decimals.

    Sliders step in binary floating point (0.35000000000000003); the scenario records 0.35.
    """
    if isinstance(new, float) and not (isinstance(old, float | int) and new == old):
        return round(new, 6)
    return new


def set_seats(board: dict[str, Any], target: Mapping[str, int]) -> dict[str, Any]:
    """A board document (``board`` table) with the voting seats of each constituency set.

    See the module docstring: counted seats are added or removed first, then named voting
    members of the constituency from the end of the list. A constituency the file's
    ``seats`` table names keeps its entry, even at 0 seats (so an unchanged board is
    written as the file wrote it).
    """
    out = dict(board)
    members: list[dict[str, Any]] = [dict(m) for m in board.get("members", [])]
    in_file: dict[str, int] = dict(board.get("seats", {}))
    seats = dict(in_file)
    for c in CONSTITUENCIES:
        named = [
            i for i, m in enumerate(members) if m["constituency"] == c and m.get("voting", True)
        ]
        counted = seats.get(c, 0)
        want = target.get(c, len(named) + counted)
        if want >= len(named):
            counted = want - len(named)
        else:
            counted = 0
            drop = set(named[want:])
            members = [m for i, m in enumerate(members) if i not in drop]
        if counted or c in in_file:
            seats[c] = counted
        else:
            seats.pop(c, None)
    out["members"] = members
    out["seats"] = seats
    return out


def apply_settings(original: Scenario, s: Settings, source: str) -> Scenario:
    """The scenario with every control's value, validated like a file.

    A scenario that differs from ``original`` is renamed ``<name>_edited`` so that its
    outputs do not overwrite the original's.

    Raises:
        ScenarioError: one line per problem (e.g. ring-fences that cannot all hold).
    """
    doc = scenario_document(original)
    board = set_seats(doc["board"], s.seats)
    board["rule"] = s.rule
    board["quorum"] = _tidy(s.quorum, original.board.quorum)
    board["casting_vote"] = s.casting_vote
    doc["board"] = board
    fences = []
    for choice, setting in zip(fence_choices(original), s.fences, strict=True):
        if not setting.on:
            continue
        item = choice.rule.model_dump(mode="json", by_alias=True, exclude_none=True)
        if choice.level_field:
            old = getattr(choice.rule, choice.level_field)
            item[choice.level_field] = _tidy(setting.level, old)
        if setting.until is None:
            item.pop("until", None)
        else:
            item["until"] = setting.until
        fences.append(item)
    doc["ring_fences"] = fences
    pressure = original.pressure
    doc["pressure"]["intensity"] = _tidy(s.intensity, pressure.intensity)
    doc["pressure"]["shock_frequency"] = _tidy(s.shock_frequency, pressure.shock_frequency)
    doc["spill_over"]["elasticity"] = _tidy(s.elasticity, original.spill_over.elasticity)
    doc["allocation"]["growth_rate"] = _tidy(s.growth_rate, original.allocation.growth_rate)
    doc["horizon_years"] = s.horizon_years
    doc["replications"] = s.replications
    doc["seed"] = s.seed
    if _without_name(doc) != _without_name(scenario_document(original)):
        doc["name"] = edited_name(original.name)
    return parse_scenario(doc, source)


def edited_name(name: str) -> str:
    """The name of a scenario changed in the app (at most 80 characters)."""
    if name.endswith(EDITED_SUFFIX):
        return name
    return name[: 80 - len(EDITED_SUFFIX)] + EDITED_SUFFIX


def _without_name(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "name"}


def check_size(sc: Scenario) -> str | None:
    """Why a run is too big for the app (one line), or None."""
    per_rep = cells_per_replication(sc)
    if sc.replications * per_rep <= MAX_APP_CELLS:
        return None
    fits = max(1, MAX_APP_CELLS // per_rep)
    return (
        f"{sc.name}: replications: {sc.replications:,} replications of {sc.horizon_years} years "
        f"are too many for the app (at most {fits:,} here); run bigger batches with "
        "python -m sim run"
    )


# -- the differences between two scenarios ----------------------------------------------


def show_value(value: Any) -> str:
    """A value as written in TOML (``"two_thirds"``, ``true``, ``0.13``, ``[...]``)."""
    if value is None:
        return NOT_SET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def diff_documents(old: Any, new: Any, path: str = "") -> list[str]:
    """Field-by-field differences, one line each: ``board.quorum: 0.5 -> 0.6``.

    Tables are compared key by key (a missing table counts as empty); lists of named tables
    (sectors, places, members, ring-fences) item by item by name, with added and removed
    items named; other values as a whole. The top-level ``name`` is left out.
    """
    if isinstance(old, dict) or isinstance(new, dict):
        o = old if isinstance(old, dict) else {}
        n = new if isinstance(new, dict) else {}
        lines: list[str] = []
        for key in [*o, *(k for k in n if k not in o)]:
            if not path and key == "name":
                continue
            sub = f"{path}.{key}" if path else str(key)
            lines += diff_documents(o.get(key), n.get(key), sub)
        return lines
    if _named(old) and _named(new) and (old or new):
        return _diff_named(old, new, path)
    if old == new and type(old) is type(new):
        return []
    return [f"{path}: {show_value(old)} -> {show_value(new)}"]


def _diff_named(old: list[dict[str, Any]], new: list[dict[str, Any]], path: str) -> list[str]:
    by_name = {i["name"]: i for i in old}
    new_names = [i["name"] for i in new]
    lines: list[str] = []
    for i, item in enumerate(new):
        if item["name"] in by_name:
            lines += diff_documents(by_name[item["name"]], item, f"{path}[{i}]")
        else:
            rest = {k: v for k, v in item.items() if k != "name"}
            lines.append(f"{path}[{i}]: added {show_value(item['name'])} {show_value(rest)}")
    lines += [f"{path}: removed {show_value(i['name'])}" for i in old if i["name"] not in new_names]
    kept_old = [i["name"] for i in old if i["name"] in new_names]
    kept_new = [n for n in new_names if n in by_name]
    if kept_old != kept_new:
        lines.append(f"{path}: order changed to {show_value(kept_new)}")
    return lines


def scenario_changes(original: Scenario, scenario: Scenario) -> list[str]:
    """What the app changed, field by field (see :func:`diff_documents`)."""
    return diff_documents(scenario_document(original), scenario_document(scenario))


# -- the hand-off -----------------------------------------------------------------------


def scenario_toml(scenario: Scenario, original: Scenario, source: str | None) -> str:
    """The scenario as a complete TOML file, headed by what changed from ``original``.

    Every field is written out (``extends`` is not used), so the file runs anywhere:
    ``python -m sim run`` on it simulates exactly ``scenario``.

    Args:
        scenario: the scenario the app ran.
        original: the scenario as loaded from its file.
        source: how to name the file it started from (a path, or an upload's name).
    """
    changes = scenario_changes(original, scenario)
    head = [
        f"# Scenario {scenario.name!r}, exported from the ICB funding simulator app.",
        f"# Started from {one_line(source or 'a scenario')} (scenario {original.name!r}).",
    ]
    if changes:
        head.append(f"# Changed in the app ({len(changes)}):")
        head += [f"#   {line}" for line in changes]
        if scenario.name != original.name:
            head.append(
                f"# Renamed {scenario.name!r} so its outputs do not overwrite the original's."
            )
    else:
        head.append("# Nothing was changed in the app: this is the file as loaded, fully resolved.")
    head += [
        "# Every field is written out, so this file runs on its own and gives the app's results:",
        f"#   python -m sim run {scenario.name}.toml",
        "",
    ]
    return "\n".join(head) + "\n" + tomli_w.dumps(scenario_document(scenario))


def one_line(text: str) -> str:
    """Text safe in a one-line TOML comment: control characters (newlines) escaped.

    ``a.toml`` stays ``a.toml``; a name with a line break, say, is written as a JSON string
    (``"a\\n[board]"``), so it cannot start a line of TOML.
    """
    if text.isprintable():
        return text
    return json.dumps(text)


def read_upload(file_name: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario file exactly like a file given to the CLI.

    An upload cannot ``extends`` another file (its parent is not here) or declare a sweep
    (the app runs one scenario): both are reported in one line.

    Raises:
        ScenarioError: one line per problem, naming the upload.
    """
    source = f"{file_name} (upload)"
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(source, [Problem("", f"file is larger than {MAX_FILE_BYTES} bytes")])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.toml"
        path.write_bytes(data)
        doc = read_toml(path, source)
    if "extends" in doc:
        raise ScenarioError(
            source,
            [
                Problem(
                    "extends",
                    f"an upload cannot extend another file ({show_value(doc['extends'])} is not "
                    "here); upload a complete scenario, such as one downloaded from this app",
                )
            ],
        )
    if "sweep" in doc:
        raise ScenarioError(
            source,
            [Problem("sweep", "the app runs one scenario; run sweeps with python -m sim run")],
        )
    return parse_scenario(doc, source, default_name=variant_name(Path(file_name).stem, []))


def summary_csv_bytes(res: Results) -> bytes:
    """``summary.csv`` of a run (as ``python -m sim run`` writes it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.csv"
        write_summary_csv(summarise(res), path)
        return path.read_bytes()


def timeseries_parquet_bytes(res: Results) -> bytes:
    """``timeseries.parquet`` of a run (as ``python -m sim run`` writes it)."""
    buf = io.BytesIO()
    pq.write_table(timeseries_table(res), buf)
    return buf.getvalue()


def outputs_zip_bytes(res: Results) -> bytes:
    """Every output file of ``python -m sim run`` for this run, zipped in a folder.

    The large tables are directories of part files (see :mod:`sim.store.writer`); they are zipped
    as they are, so the unzipped folder reads like a run directory.
    """
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_run(res, tmp)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(p for p in run_dir.rglob("*") if p.is_file()):
                zf.write(f, f"{run_dir.name}/{f.relative_to(run_dir).as_posix()}")
    return buf.getvalue()


def report_html(res: Results) -> str:
    """The HTML report of this run (:func:`sim.report.page.render_report` of its outputs)."""
    from sim.report.page import render_report

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_run(res, tmp)
        return render_report([run_dir])

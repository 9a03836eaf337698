"""The ICB funding simulator in the browser: pick a board and ring-fences, see where the money goes.

Run with ``make app`` (``python -m streamlit run app.py -- [SCENARIO.toml]``). The app is a
thin layer over the package: it loads scenarios with :mod:`sim.scenario.loader`, turns its controls
into a scenario with :mod:`sim.app.controller`, runs it with :func:`sim.engine.runner.run` and draws what
:mod:`sim.analysis.measures`, :mod:`sim.analysis.monthly`, :mod:`sim.analysis.compare`, :mod:`sim.model.power`,
:mod:`sim.store.writer` and :mod:`sim.analysis.explain` compute. It holds no model logic. See
``docs/app.md``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from sim.analysis.compare import (
    NotPaired,
    PairedRow,
    breach_chance,
    paired_rows,
    paired_with,
)
from sim.analysis.explain import explain
from sim.analysis.measures import REGISTRY
from sim.analysis.monthly import Band, Digest, band
from sim.analysis.summary import SummaryRow, summarise
from sim.app.controller import (
    CONSTITUENCIES,
    MAX_APP_CELLS,
    Fence,
    FenceSetting,
    Settings,
    apply_settings,
    check_size,
    describe_expiry,
    expiry_options,
    fence_choices,
    outputs_zip_bytes,
    parse_seed,
    read_upload,
    report_html,
    scenario_changes,
    scenario_toml,
    settings_of,
    summary_csv_bytes,
    timeseries_parquet_bytes,
    voting_seats,
)
from sim.batch.scheduler import cells_per_replication
from sim.engine.results import Results
from sim.engine.runner import run
from sim.scenario.errors import ScenarioError
from sim.scenario.format import Allocation, Board, Pressure, Scenario, SpillOver
from sim.scenario.loader import MAX_FILE_BYTES, display_path, load_scenario
from sim.store.tables import decisions_table, measures_table, transfers_table
from sim.store.writer import scenario_hash
from sim.units.money import PENCE_PER_MILLION

ROOT = Path(__file__).resolve().parent
LIBRARY = ROOT / "scenarios"
DEFAULT_FILE = LIBRARY / "baseline.toml"
#: Runs kept in memory (a 500-replication baseline run holds about 25 MB), and the most
#: replication-months-places-sectors they may hold together (about 1 GB).
KEEP_RUNS = 8
KEEP_CELLS = 2 * MAX_APP_CELLS
#: A run taking longer than this (seconds) shows a progress bar.
PROGRESS_AFTER = 0.25
#: Most rows of the decision log shown at once (every meeting of the replication is
#: explained, so that "Why contains" can search all of them).
MAX_EXPLAINED = 60
#: The detail of a summary row that belongs to one financial year (e.g. ``2029/30``); other
#: rows (cumulative, end of horizon, counts) cover the whole horizon.
YEAR_DETAIL = re.compile(r"\d{4}/\d{2}")
VIEWS = (
    "Where the money goes",
    "Primary to hospital care",
    "Deficits",
    "Board power",
    "Decision log",
    "Compare A and B",
    "Summary and downloads",
)
NO_EXPIRY = "no expiry"
#: Seat sliders go up to this (or the file's count, if larger); a board has at most 32.
SEATS_SHOWN = 12
SEAT_HELP = {
    "chair": "The chair; with a casting vote, they break exact ties under majority rules.",
    "executive": "Chief executive and finance, medical and nursing directors.",
    "non_executive": "Independent non-executive members.",
    "trust": "Partner members nominated by NHS trusts (hospitals).",
    "primary_care": "Partner members for general practice (GPs).",
    "local_authority": "Partner members nominated by the councils.",
    "mental_health": "Members for mental-health trusts.",
    "place": "Members who represent a place (a council footprint).",
    "other": "Any other voting members.",
}
CONSTITUENCY_LABELS = {
    "chair": "Chair",
    "executive": "Executives",
    "non_executive": "Non-executives",
    "trust": "Trust partners",
    "primary_care": "Primary care (GP) partners",
    "local_authority": "Local authority partners",
    "mental_health": "Mental health partners",
    "place": "Place members",
    "other": "Other members",
}
RULE_LABELS = {
    "consensus_then_majority": "Consensus, then simple majority",
    "simple_majority": "Simple majority",
    "two_thirds": "Two-thirds majority",
    "unanimity": "Unanimity",
}
#: Headline measures shown as metrics (labels from the registry); the share is the final year's.
HEADLINES = tuple(
    (m, REGISTRY[m].label)
    for m in (
        "primary_care_share",
        "moved_primary_to_secondary",
        "unmet_primary_need",
        "spill_over_cost",
        "acute_overspend",
        "system_deficit",
    )
)

ss = st.session_state


# -- runs, cached by scenario hash ------------------------------------------------------


@dataclass
class Run:
    """A finished run and what the page draws from it (each part built on first use)."""

    results: Results
    summary: list[SummaryRow]
    _digest: Digest | None = None
    _measures: pa.Table | None = None
    _decisions: pa.Table | None = None
    _transfers: pa.Table | None = None
    _explained: dict[int, dict[int, str]] = field(default_factory=dict)

    def row(self, measure: str, last: bool = False) -> SummaryRow | None:
        """The summary row of a measure (its last one: the final year of a yearly measure)."""
        rows = [r for r in self.summary if r.measure == measure]
        return (rows[-1] if last else rows[0]) if rows else None

    def find(self, measure: str, detail: str) -> SummaryRow | None:
        """The summary row of a measure with this detail (e.g. the same year), or None."""
        return next((r for r in self.summary if (r.measure, r.detail) == (measure, detail)), None)

    @property
    def digest(self) -> Digest:
        if self._digest is None:
            self._digest = Digest.from_results(self.results)
        return self._digest

    @property
    def measures(self) -> pa.Table:
        if self._measures is None:
            self._measures = measures_table(self.results)
        return self._measures

    @property
    def decisions(self) -> pa.Table:
        if self._decisions is None:
            self._decisions = decisions_table(self.results)
        return self._decisions

    @property
    def transfers(self) -> pa.Table:
        if self._transfers is None:
            self._transfers = transfers_table(self.results)
        return self._transfers

    def explanations(self, replication: int) -> dict[int, str]:
        """Every meeting of a replication explained in words (:func:`sim.analysis.explain.explain`)."""
        if replication not in self._explained:
            d = self.decisions.filter(pc.equal(self.decisions["replication"], replication))
            t = self.transfers.filter(pc.equal(self.transfers["replication"], replication))
            meetings = sorted(set(d["meeting"].to_pylist()))
            self._explained[replication] = {
                m: explain(self.results.scenario, d, t, replication, m) for m in meetings
            }
        return self._explained[replication]


class RunStore:
    """Recent runs by scenario hash, shared by every session of the server.

    Holds at most ``size`` runs and, beyond the two newest (a session's current run and its
    file's own), at most ``max_cells`` replication-months-places-sectors in all (a run keeps
    about 120 bytes a cell: 25 MB for 500 replications of the baseline).
    """

    def __init__(self, size: int, max_cells: int) -> None:
        self._runs: OrderedDict[str, tuple[Run, int]] = OrderedDict()
        self._size = size
        self._max_cells = max_cells
        self._lock = threading.Lock()

    def get(self, key: str) -> Run | None:
        with self._lock:
            found = self._runs.get(key)
            if found is None:
                return None
            self._runs.move_to_end(key)
            return found[0]

    def put(self, key: str, value: Run) -> None:
        cells = value.results.n * cells_per_replication(value.results.scenario)
        with self._lock:
            self._runs[key] = (value, cells)
            while len(self._runs) > 2 and (
                len(self._runs) > self._size
                or sum(c for _, c in self._runs.values()) > self._max_cells
            ):
                self._runs.popitem(last=False)


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """The server's run cache (``st.cache_resource.clear()`` empties it)."""
    return RunStore(KEEP_RUNS, KEEP_CELLS)


def get_run(scenario: Scenario, what: str, slot: Any) -> Run:
    """The scenario's run: from the cache, or run now with a progress bar if it is slow.

    ``slot`` is the page's progress placeholder (an ``st.empty()`` made on every script
    run, so that the page's layout does not shift when a run is not cached).
    """
    key = scenario_hash(scenario)
    found = run_store().get(key)
    if found is not None:
        return found
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - start > PROGRESS_AFTER:
            slot.progress(
                done / max(total, 1),
                text=f"Running {what}: {scenario.replications:,} replications, "
                f"month {done:,} of {total:,}",
            )

    results = run(scenario, progress=progress)
    slot.empty()
    made = Run(results, summarise(results))
    run_store().put(key, made)
    return made


# -- loading a scenario and resetting the controls --------------------------------------


def control_key(name: str) -> str:
    """A control's widget key; a new generation of keys starts at each load or reset."""
    return f"{name}.{ss['gen']}"


def set_controls(scenario: Scenario) -> None:
    """Set every control to the scenario's value (new widget keys, so nothing is stale)."""
    ss["gen"] = ss.get("gen", 0) + 1
    s = settings_of(scenario)
    values: dict[str, Any] = {
        "rule": s.rule,
        "quorum": s.quorum,
        "casting_vote": s.casting_vote,
        "intensity": s.intensity,
        "shock_frequency": s.shock_frequency,
        "elasticity": s.elasticity,
        "growth_rate": s.growth_rate,
        "horizon_years": s.horizon_years,
        "replications": s.replications,
        "seed": str(s.seed),
    }
    for c, n in s.seats.items():
        values[f"seats_{c}"] = n
    for i, (f, fs) in enumerate(zip(fence_choices(scenario), s.fences, strict=True)):
        values[f"fence{i}_on"] = fs.on
        values[f"fence{i}_until"] = NO_EXPIRY if fs.until is None else fs.until
        if f.rule.rule == "min_growth":
            values[f"fence{i}_overall"] = fs.level == "overall"
            number = fs.level if isinstance(fs.level, float) else scenario.allocation.growth_rate
            values[f"fence{i}_level"] = number
        elif f.level_field:
            values[f"fence{i}_level"] = fs.level
    for name, value in values.items():
        ss[control_key(name)] = value


def use_scenario(scenario: Scenario, source: str) -> None:
    """Make a validated scenario the loaded one and set the controls to it."""
    ss["original"] = scenario
    ss["source"] = source
    ss["load_error"] = None
    set_controls(scenario)


def load_file(path: Path) -> None:
    """Load a scenario file; a bad file leaves the current one and shows the CLI's error."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        ss["load_error"] = str(exc)
        return
    use_scenario(scenario, display_path(path))


def library() -> dict[str, Path]:
    """The scenario library, and a file named on the command line that is not in it."""
    out = {p.name: p for p in sorted(LIBRARY.glob("*.toml"))}
    given = ss.get("cli_file")
    if isinstance(given, Path) and given.resolve() not in {p.resolve() for p in out.values()}:
        out[display_path(given)] = given
    return out


def start_file() -> Path:
    """The file named after ``--`` on the command line (``make app``), or the baseline."""
    for arg in sys.argv[1:]:
        if arg.endswith(".toml"):
            return Path(arg)
    return DEFAULT_FILE


def on_file_choice() -> None:
    choice = ss["file_choice"]
    files = library()
    if choice in files:
        load_file(files[choice])


def on_upload() -> None:
    upload = ss.get("upload")
    if upload is None:
        return
    try:
        scenario = read_upload(upload.name, upload.getvalue())
    except ScenarioError as exc:
        ss["load_error"] = str(exc)
        return
    label = f"{upload.name} (upload)"
    use_scenario(scenario, label)
    ss["file_choice"] = label


def on_reset() -> None:
    ss["load_error"] = None
    set_controls(ss["original"])


def on_pin() -> None:
    # The callback runs before the script, with the controls of this rerun not yet read:
    # main() pins the scenario it builds from them.
    ss["pin_requested"] = True


def on_unpin() -> None:
    ss["pinned"] = None


def initialise() -> None:
    if "original" in ss:
        return
    ss["gen"] = 0
    ss["pinned"] = None
    ss["original"] = None
    path = start_file()
    ss["cli_file"] = path
    load_file(path)
    for label, p in library().items():
        if p.resolve() == path.resolve():
            ss["file_choice"] = label


# -- the controls -----------------------------------------------------------------------


def described(model: Any, name: str) -> str:
    """A field's description from the scenario format (the same text as docs/scenarios.md)."""
    return str(model.model_fields[name].description or "")


def scenario_controls(original: Scenario | None) -> None:
    st.sidebar.header("Scenario")
    files = library()
    options = list(files)
    if ss.get("file_choice") not in options and ss.get("file_choice"):
        options = [ss["file_choice"], *options]
    st.sidebar.selectbox(
        "Scenario file",
        options,
        key="file_choice",
        on_change=on_file_choice,
        help="The scenario library in scenarios/ (each file opens with the question it answers).",
    )
    st.sidebar.file_uploader(
        "…or upload a scenario file",
        type=["toml"],
        key="upload",
        on_change=on_upload,
        max_upload_size=max(1, MAX_FILE_BYTES // 1_000_000),
        help="A complete scenario TOML file (no extends), such as one downloaded from this app. "
        "It is validated exactly as python -m sim validate would.",
    )
    if original is not None:
        st.sidebar.caption(
            f"Loaded **{literal(ss['source'])}**: {original.description or original.name}"
        )
        st.sidebar.button(
            "Reset to file",
            on_click=on_reset,
            key="reset",
            icon=":material/restart_alt:",
            help="Put every control back to the loaded file's value.",
        )


def board_controls(original: Scenario) -> tuple[dict[str, int], str, float, bool]:
    side = st.sidebar
    side.header("Board")
    side.caption(
        "Voting seats per constituency. Named members are kept; extra seats are added as "
        "generic members (e.g. 'primary_care 2'), and removing seats removes the last ones."
    )
    seats: dict[str, int] = {}
    in_file = voting_seats(original)
    for c in CONSTITUENCIES:
        most = 1 if c == "chair" else max(SEATS_SHOWN, in_file[c])
        seats[c] = int(
            side.slider(
                f"{CONSTITUENCY_LABELS[c]} (voting seats)",
                0,
                most,
                step=1,
                key=control_key(f"seats_{c}"),
                help=SEAT_HELP.get(c),
            )
        )
    rule = side.selectbox(
        "Voting rule",
        list(RULE_LABELS),
        format_func=RULE_LABELS.__getitem__,
        key=control_key("rule"),
        help=described(Board, "rule"),
    )
    quorum = side.slider(
        "Quorum (share of voting weight present)",
        0.0,
        1.0,
        step=0.05,
        format="percent",
        key=control_key("quorum"),
        help=described(Board, "quorum"),
    )
    casting = side.toggle(
        "Chair has a casting vote",
        key=control_key("casting_vote"),
        help=described(Board, "casting_vote"),
    )
    return seats, str(rule), float(quorum), bool(casting)


def fence_controls(original: Scenario) -> tuple[FenceSetting, ...]:
    side = st.sidebar
    side.header("Ring-fences")
    out = []
    for i, f in enumerate(fence_choices(original)):
        out.append(one_fence(original, i, f))
    if not out:
        side.caption("This scenario has no sectors of kind 'primary' and no ring-fences.")
    return tuple(out)


def one_fence(original: Scenario, i: int, f: Fence) -> FenceSetting:
    box = st.sidebar.container(border=True)
    origin = "in the file" if f.in_file else "not in the file: switch on to add it"
    on = bool(
        box.toggle(f.rule.name, key=control_key(f"fence{i}_on"), help=f"{f.describe()} ({origin})")
    )
    level: float | str | None = None
    if f.rule.rule == "min_growth":
        overall = box.checkbox(
            "At least the overall growth (as the MHIS)",
            key=control_key(f"fence{i}_overall"),
            disabled=not on,
        )
        number = box.slider(
            "Minimum growth a year",
            -0.5,
            0.5,
            step=0.005,
            format="percent",
            key=control_key(f"fence{i}_level"),
            disabled=not on or bool(overall),
        )
        level = "overall" if overall else float(number)
    elif f.level_field == "min_share":
        level = float(
            box.slider(
                "Minimum share of sector money",
                0.0,
                1.0,
                step=0.005,
                format="percent",
                key=control_key(f"fence{i}_level"),
                disabled=not on,
            )
        )
    elif f.level_field == "cap":
        level = float(
            box.slider(
                "Most moved out in-year (share of budget)",
                0.0,
                1.0,
                step=0.01,
                format="percent",
                key=control_key(f"fence{i}_level"),
                disabled=not on,
            )
        )
    choices = [NO_EXPIRY, *(m for m in expiry_options(original, f.rule.until) if m is not None)]
    until = box.selectbox(
        "Expires",
        choices,
        format_func=lambda m: m if m == NO_EXPIRY else describe_expiry(m),
        key=control_key(f"fence{i}_until"),
        disabled=not on,
        help="Last month the rule applies.",
    )
    return FenceSetting(on=on, level=level, until=None if until == NO_EXPIRY else str(until))


def money_controls() -> tuple[float, float, float, float]:
    side = st.sidebar
    side.header("Money and pressure")
    growth = side.slider(
        "Allocation growth a year",
        -0.5,
        0.5,
        step=0.001,
        format="percent",
        key=control_key("growth_rate"),
        help=described(Allocation, "growth_rate"),
    )
    intensity = side.slider(
        "Pressure intensity",
        0.0,
        10.0,
        step=0.05,
        key=control_key("intensity"),
        help=described(Pressure, "intensity"),
    )
    shocks = side.slider(
        "Shock frequency",
        0.0,
        10.0,
        step=0.05,
        key=control_key("shock_frequency"),
        help=described(Pressure, "shock_frequency"),
    )
    elasticity = side.slider(
        "Spill-over elasticity (£ of hospital need per £ unmet)",
        0.0,
        1.0,
        step=0.01,
        key=control_key("elasticity"),
        help=described(SpillOver, "elasticity"),
    )
    return float(growth), float(intensity), float(shocks), float(elasticity)


def run_controls() -> tuple[int, int, int | str]:
    side = st.sidebar
    side.header("Run")
    horizon = side.slider(
        "Horizon (financial years)",
        1,
        50,
        step=1,
        key=control_key("horizon_years"),
        help=described(Scenario, "horizon_years"),
    )
    reps = side.number_input(
        "Replications",
        min_value=1,
        max_value=10_000_000,
        step=100,
        key=control_key("replications"),
        help="Stochastic replications; more narrow the confidence intervals.",
    )
    seed = side.text_input(
        "Random seed",
        key=control_key("seed"),
        help="Root random seed. The same seed gives the same shocks to every setting "
        "(common random numbers).",
    )
    return int(horizon), int(reps), parse_seed(str(seed))


def read_settings(original: Scenario) -> Settings:
    seats, rule, quorum, casting = board_controls(original)
    fences = fence_controls(original)
    growth, intensity, shocks, elasticity = money_controls()
    horizon, reps, seed = run_controls()
    return Settings(
        seats=seats,
        rule=rule,
        quorum=quorum,
        casting_vote=casting,
        fences=fences,
        intensity=intensity,
        shock_frequency=shocks,
        elasticity=elasticity,
        growth_rate=growth,
        horizon_years=horizon,
        replications=reps,
        seed=seed,
    )


# -- formatting and charts --------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value:.2%}"
    if unit == "£m":
        return f"£{value:,.1f}m"
    return f"{value:,.1f}"


def fmt_delta(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value * 100:+.2f} pts"
    if unit == "£m":
        sign = "-" if value < 0 else "+"
        return f"{sign}£{abs(value):,.1f}m"
    return f"{value:+,.1f}"


def band_rows(series: str, b: Band, labels: Sequence[str], scale: float) -> list[dict[str, Any]]:
    """A band as chart rows (one per month), values divided by ``scale``."""
    cols = {
        "mean": b.mean,
        "p05": b.p05,
        "p25": b.p25,
        "p50": b.p50,
        "p75": b.p75,
        "p95": b.p95,
    }
    return [
        {
            "month": f"{label}-01",
            "series": series,
            **{k: float(v[t]) / scale for k, v in cols.items()},
        }
        for t, label in enumerate(labels)
    ]


#: Name of the data set the fan charts' specifications refer to.
BANDS = "bands"


@st.cache_data(show_spinner=False, max_entries=64)
def fan_spec(
    y_title: str,
    percent: bool,
    facet: bool,
    order: tuple[str, ...],
    zero: bool = True,
    columns: int = 3,
) -> str:
    """A fan chart, built with Altair once per layout: mean line, 50% and 90% bands over time.

    One colour per series, or one panel each (``facet``); series in ``order`` (sectors in
    file order); ``zero=False`` lets the y axis start near the data (shares). The chart
    refers to the data set named :data:`BANDS`, filled in by :func:`show_fan`: building an
    Altair chart takes longer than running 500 replications, so it is cached across reruns
    and only the numbers change from run to run. Returned as JSON text (a fresh copy for
    each use).
    """
    y_format = (".4~%" if facet else ".1%") if percent else ",.0f"
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%Y-%m", labelAngle=0))
    color = alt.Color(
        "series:N",
        title=None,
        sort=list(order),
        legend=None if facet else alt.Legend(orient="top"),
        scale=alt.Scale(scheme="tableau10"),
    )
    base = alt.Chart({"name": BANDS}).encode(x=x)
    outer = base.mark_area(opacity=0.18).encode(
        y=alt.Y(
            "p05:Q",
            title=y_title,
            axis=alt.Axis(format=y_format),
            scale=alt.Scale(zero=zero),
        ),
        y2="p95:Q",
        color=color,
    )
    inner = base.mark_area(opacity=0.35).encode(y="p25:Q", y2="p75:Q", color=color)
    tips = [
        alt.Tooltip("month:T", format="%Y-%m", title="month"),
        alt.Tooltip("series:N", title="series"),
        alt.Tooltip("mean:Q", format=y_format, title="mean"),
        alt.Tooltip("p05:Q", format=y_format, title="5th percentile"),
        alt.Tooltip("p95:Q", format=y_format, title="95th percentile"),
    ]
    line = base.mark_line(strokeWidth=2).encode(y="mean:Q", color=color, tooltip=tips)
    layered = alt.layer(outer, inner, line)
    if facet:
        chart = (
            layered.properties(width=210, height=150)
            .facet(facet=alt.Facet("series:N", title=None, sort=list(order)), columns=columns)
            .resolve_scale(y="independent")
        )
    else:
        chart = layered.properties(height=280)
    return json.dumps(chart.to_dict())


def show_fan(
    rows: list[dict[str, Any]],
    y_title: str,
    percent: bool = False,
    facet: bool = False,
    zero: bool = True,
) -> None:
    """Draw a fan chart (:func:`fan_spec`) of band rows (:func:`band_rows`)."""
    order = tuple(dict.fromkeys(r["series"] for r in rows))
    spec = json.loads(fan_spec(y_title, percent, facet, order, zero))
    spec.pop("datasets", None)
    spec["data"] = {"values": rows}
    st.vega_lite_chart(spec=spec, width="content" if facet else "stretch")


#: Characters that Markdown (and Streamlit's LaTeX) would otherwise interpret.
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>#|~$"})


def literal(text: str) -> str:
    """Text shown as it is in Markdown (a file name with ``*`` or ``_``, say)."""
    return text.translate(_MARKDOWN)


def show_error(message: str) -> None:
    """An error as the CLI prints it: one line per problem, shown literally."""
    st.error("  \n".join(line.translate(_MARKDOWN) for line in message.splitlines()))


def show_run_error(scenario: Scenario, exc: Exception, where: str = "") -> None:
    """A failure while running or drawing, in one line (as the CLI reports it)."""
    what = f"{where} failed" if where else "run failed"
    show_error(f"{scenario.name}: {what}: {type(exc).__name__}: {exc}")


def table_height(rows: int) -> int:
    """Pixels that show a table of ``rows`` rows without scrolling."""
    return 35 * (rows + 1) + 3


# -- the page ---------------------------------------------------------------------------


def same_period(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios cover the same months (start year and horizon)."""
    return (a.start_year, a.horizon_years) == (b.start_year, b.horizon_years)


def period(sc: Scenario) -> str:
    """``5 years from 2025/26``."""
    return f"{sc.horizon_years} years from {sc.start_year}/{(sc.start_year + 1) % 100:02d}"


def headline(current: Run, reference: Run | None, same: bool) -> None:
    """Headline metrics with their change against the loaded file's own result.

    A change is shown only against the file's row for the same measure and detail (the
    same year of a yearly measure), and not for whole-horizon measures (cumulative, end of
    horizon) when the horizon differs from the file's: they cover different periods.
    """
    if reference is not None and not same_period(
        current.results.scenario, reference.results.scenario
    ):
        st.caption(
            f"These results cover {period(current.results.scenario)}, the file's "
            f"{period(reference.results.scenario)}: totals over the horizon cover different "
            "periods, so no change from the file is shown for them; the share is compared "
            "with the file's for the same year, if the file has it."
        )
    cols = [*st.columns(3), *st.columns(3)]
    for col, (measure, label) in zip(cols, HEADLINES, strict=True):
        last = measure == "primary_care_share"
        row = current.row(measure, last)
        if row is None:
            continue
        ref = None if reference is None else reference.find(measure, row.detail)
        if (
            ref is not None
            and reference is not None
            and not YEAR_DETAIL.fullmatch(row.detail)
            and not same_period(current.results.scenario, reference.results.scenario)
        ):
            ref = None
        name = f"{label}, {row.detail}" if last else label
        delta = None if same or ref is None else fmt_delta(row.mean - ref.mean, row.unit)
        colour: Literal["normal", "inverse", "off"] = "off"
        if REGISTRY[measure].better == "higher":
            colour = "normal"
        elif REGISTRY[measure].better == "lower":
            colour = "inverse"
        ci = (
            f"95% CI of the mean {fmt(row.ci95_low, row.unit)} to {fmt(row.ci95_high, row.unit)}"
            if row.n > 1
            else "one replication: no CI"
        )
        note = (
            f"Mean over {row.n:,} replications; {ci}; 5th to 95th percentile "
            f"{fmt(row.p05, row.unit)} to {fmt(row.p95, row.unit)}."
        )
        if ref is not None:
            note += f" The file's own result: {fmt(ref.mean, ref.unit)}."
        col.metric(name, fmt(row.mean, row.unit), delta, delta_color=colour, help=note, border=True)


def view_money(r: Run) -> None:
    d = r.digest
    labels = d.labels()
    st.subheader("Primary-care share of all budgets")
    st.caption(
        "General practice plus pharmacy, dental and optometry, as a share of every sector's "
        "budget (the year's plan plus in-year transfers to date). Line: mean; bands: 50% and "
        f"90% of {d.n:,} replications."
    )
    show_fan(
        band_rows("primary care", band(d.share("primary")), labels, 1.0),
        "share",
        percent=True,
        zero=False,
    )
    shares = d.sector_shares()
    budget_rows: list[dict[str, Any]] = []
    share_rows: list[dict[str, Any]] = []
    for s, name in enumerate(d.sector_names):
        budget_rows += band_rows(name, band(d.budget[:, :, s]), labels, PENCE_PER_MILLION)
        share_rows += band_rows(name, band(shares[:, :, s]), labels, 1.0)
    st.subheader("Budgets by sector (£m a year)")
    show_fan(budget_rows, "£m a year", facet=True)
    st.subheader("Shares of the budgets by sector")
    show_fan(share_rows, "share", percent=True, zero=False, facet=True)


def view_primary(r: Run) -> None:
    d = r.digest
    labels = d.labels()
    st.caption(
        "Cumulative since the first month, £m. Moved: in-year transfers out of primary-care "
        "budgets. Unmet need: primary-care need its capped budgets could not pay for. "
        "Spill-over: the hospital cost that unmet need returns as, after a lag."
    )
    rows = (
        band_rows("moved from primary care", band(d.moved), labels, PENCE_PER_MILLION)
        + band_rows("unmet primary-care need", band(d.unmet), labels, PENCE_PER_MILLION)
        + band_rows("spill-over to hospitals", band(d.spill), labels, PENCE_PER_MILLION)
    )
    show_fan(rows, "£m, cumulative", facet=True)


def view_deficits(r: Run) -> None:
    d = r.digest
    st.subheader("The system's accumulated deficit (£m)")
    st.caption("Positive: owed. Line: mean; bands: 50% and 90% of replications.")
    show_fan(band_rows("system deficit", band(d.deficit), d.labels(), PENCE_PER_MILLION), "£m")
    row = r.row("system_deficit")
    over = r.row("acute_overspend")
    if row is not None and over is not None:
        st.write(
            f"At the end of the horizon the deficit averages **{fmt(row.mean, row.unit)}** "
            f"(5th to 95th percentile {fmt(row.p05, row.unit)} to {fmt(row.p95, row.unit)}); "
            f"hospitals overspend by **{fmt(over.mean, over.unit)}** in all."
        )
    limit = st.number_input(
        "Deficit limit (£m)",
        min_value=0.0,
        value=0.0,
        step=10.0,
        key="deficit_limit",
        help="The chance that the system ends the horizon with a larger deficit than this.",
    )
    p_deficit, p_fence = breach_chance(r.measures, float(limit))
    a, b = st.columns(2)
    a.metric(f"Chance of a deficit above £{limit:,.0f}m", f"{p_deficit:.0%}")
    b.metric("Chance that a ring-fence had to be relaxed", f"{p_fence:.0%}")


def view_power(r: Run) -> None:
    res = r.results
    comps = res.compositions
    cal = res.calendar
    if not comps:
        st.info("No board composition was recorded.")
        return
    pick = 0
    if len(comps) > 1:
        pick = int(
            st.selectbox(
                "Board from",
                range(len(comps)),
                key="power_from",
                format_func=lambda i: cal.label(comps[i][0]),
            )
        )
    month, vp = comps[pick]
    b = vp.by_bloc()
    rule = RULE_LABELS.get(vp.rule, vp.rule)
    st.caption(
        f"Exact voting power from {cal.label(month)} under {rule.lower()}"
        + (", with the chair's casting vote" if vp.casting_vote else "")
        + ". Shapley-Shubik: the share of orderings of the voters in which a member is pivotal; "
        "Banzhaf: the share of swings. With one member one vote every member has 1/n; blocs "
        "differ by their seats and the chair by the casting vote (docs/power.md)."
    )
    bloc_rows = []
    for j, bloc in enumerate(b.blocs):
        for index, values in (
            ("Shapley-Shubik", b.shapley_shubik),
            ("Banzhaf", b.banzhaf_normalised),
        ):
            bloc_rows.append(
                {
                    "bloc": CONSTITUENCY_LABELS.get(bloc, bloc),
                    "index": index,
                    "power": float(values[j]),
                    "voting members": int(b.voting_members[j]),
                }
            )
    chart = (
        alt.Chart({"values": bloc_rows})
        .mark_bar()
        .encode(
            y=alt.Y("bloc:N", title=None, sort="-x", axis=alt.Axis(labelLimit=240)),
            x=alt.X("power:Q", title="power", axis=alt.Axis(format=".0%")),
            yOffset="index:N",
            color=alt.Color("index:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["bloc:N", "index:N", alt.Tooltip("power:Q", format=".1%"), "voting members:Q"],
        )
        .properties(height=40 * len(b.blocs) + 40)
    )
    st.subheader("Power by bloc")
    st.altair_chart(chart, width="stretch")
    st.subheader("Power by member")
    table = pa.table(
        {
            "member": list(vp.names),
            "constituency": [CONSTITUENCY_LABELS.get(c, c) for c in vp.constituencies],
            "voting": list(vp.voting),
            "Shapley-Shubik": [float(x) for x in vp.shapley_shubik],
            "Banzhaf (normalised)": [float(x) for x in vp.banzhaf_normalised],
            "Banzhaf (chance decisive)": [float(x) for x in vp.banzhaf_absolute],
        }
    )
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(table.num_rows),
        column_config={
            "Shapley-Shubik": percent,
            "Banzhaf (normalised)": percent,
            "Banzhaf (chance decisive)": percent,
        },
    )


def view_decisions(r: Run) -> None:
    res = r.results
    st.caption(
        "Every board meeting of one replication: what was proposed (secondary care's "
        "underlying forecast overspend), what the board agreed and moved, who was pivotal, "
        "which ring-fences bound, and why, in words (as python -m sim explain)."
    )
    c1, c2, c3 = st.columns([1, 1.5, 2])
    rep = int(
        c1.number_input(
            "Replication", min_value=0, max_value=res.n - 1, value=0, step=1, key="log_replication"
        )
    )
    moved_only = c2.toggle("Only meetings that moved money", value=True, key="log_moved")
    text = c3.text_input(
        "Why contains",
        value="",
        key="log_text",
        placeholder="e.g. a member, a sector or a ring-fence",
    )
    d = r.decisions.filter(pc.equal(r.decisions["replication"], res.replications[rep]))
    if moved_only:
        d = d.filter(pc.greater(d["moved_pence"], 0))
    if len(res.place_names) > 1:
        places = st.multiselect("Places", list(res.place_names), key="log_places")
        if places:
            d = d.filter(pc.is_in(d["place"], pa.array(places)))
    if d.num_rows == 0:
        st.info("No meeting matches these filters.")
        return
    why = r.explanations(int(res.replications[rep]))
    meetings = d["meeting"].to_pylist()
    texts = [why.get(m, "") for m in meetings]
    if text.strip():
        keep = [text.strip().lower() in t.lower() for t in texts]
        d = d.filter(pa.array(keep, type=pa.bool_()))
        texts = [t for t, k in zip(texts, keep, strict=True) if k]
        meetings = d["meeting"].to_pylist()
    if d.num_rows == 0:
        st.info("No meeting matches these filters.")
        return
    money = [round(float(x) / PENCE_PER_MILLION, 1) for x in d["moved_pence"].to_pylist()]
    table = pa.table(
        {
            "meeting": meetings,
            "month": d["period"].to_pylist(),
            "kind": ["extraordinary" if x else "scheduled" for x in d["extraordinary"].to_pylist()],
            "place": d["place"].to_pylist(),
            "proposal £m": [
                round(x / PENCE_PER_MILLION, 1) for x in d["proposal_pence"].to_pylist()
            ],
            "agreed": d["cover"].to_pylist(),
            "moved £m": money,
            "pivotal member": d["pivot"].to_pylist(),
            "decided": [
                "not quorate" if not q else ("by consensus" if c else "by vote")
                for q, c in zip(d["quorate"].to_pylist(), d["consensus"].to_pylist(), strict=True)
            ],
            "ring-fences that bound": [", ".join(x) for x in d["bound_rules"].to_pylist()],
            "why": [t.replace("\n", " ") for t in texts],
        }
    )
    if len(res.place_names) == 1:
        table = table.drop_columns(["place"])
    st.dataframe(
        table.slice(0, MAX_EXPLAINED),
        hide_index=True,
        column_config={
            "agreed": st.column_config.NumberColumn(format="percent"),
            "why": st.column_config.TextColumn(width="large"),
        },
    )
    if d.num_rows > MAX_EXPLAINED:
        st.caption(f"The first {MAX_EXPLAINED} of {d.num_rows} rows.")
    pick = st.selectbox(
        "Read one explanation",
        sorted(set(meetings)),
        key="log_meeting",
        format_func=lambda m: f"meeting {m}",
    )
    if pick is not None:
        st.code(why[int(pick)], language=None, wrap_lines=True)


def view_compare(current: Run, scenario: Scenario, slot: Any) -> None:
    st.caption(
        "Pin the current settings as A, change the controls, and compare B (the current "
        "settings) with A replication by replication: both see the same need, shocks and "
        "allocation growth (common random numbers), so the paired difference is much more "
        "precise than either result alone."
    )
    c1, c2 = st.columns(2)
    c1.button(
        "Pin current settings as A",
        key="pin",
        on_click=on_pin,
        type="primary",
        icon=":material/push_pin:",
    )
    pinned: Scenario | None = ss.get("pinned")
    if pinned is None:
        st.info("Nothing pinned yet.")
        return
    c2.button("Unpin A", key="unpin", on_click=on_unpin)
    a = paired_with(pinned, scenario)
    if a is not pinned:
        st.info(
            f"A is run with B's seed ({scenario.seed}) and replications "
            f"({scenario.replications:,}) so that the replications pair."
        )
    too_big = check_size(a)
    if too_big:
        show_error(f"A cannot be run to pair with B: {too_big}")
        return
    changes = scenario_changes(a, scenario)
    if changes:
        with st.expander(f"B differs from A in {len(changes)} setting(s)", expanded=True):
            st.code("\n".join(changes), language=None, wrap_lines=True)
    else:
        st.warning("B is the same as A: change a control to compare.")
    ra = get_run(a, "A", slot)
    try:
        rows = paired_rows(ra.measures, current.measures)
    except NotPaired as exc:
        show_error(f"A and B cannot be paired: {exc}")
        return
    if not same_period(a, scenario):
        whole = sorted({r.measure for r in rows if not YEAR_DETAIL.fullmatch(r.detail)})
        rows = [r for r in rows if YEAR_DETAIL.fullmatch(r.detail)]
        st.warning(
            f"A covers {period(a)} and B {period(scenario)}: only the years both cover are "
            "compared. Totals over the horizon cover different periods and are left out"
            + (f" ({', '.join(whole)})." if whole else ".")
        )
    if rows:
        paired_table(rows)
    else:
        st.info("A and B have no measure for the same period to compare.")
    overlay = band_rows("A", band(ra.digest.share("primary")), ra.digest.labels(), 1.0) + band_rows(
        "B", band(current.digest.share("primary")), current.digest.labels(), 1.0
    )
    st.subheader("Primary-care share: A and B")
    show_fan(overlay, "share", percent=True, zero=False)


def paired_table(rows: Sequence[PairedRow]) -> None:
    """The paired differences B - A, one row per measure and detail."""
    table = pa.table(
        {
            "measure": [r.measure for r in rows],
            "detail": [r.detail for r in rows],
            "n": [r.n for r in rows],
            "A": [fmt(r.mean_a, r.unit) for r in rows],
            "B": [fmt(r.mean_b, r.unit) for r in rows],
            "B - A": [fmt_delta(r.difference, r.unit) for r in rows],
            "95% CI (paired)": [
                f"{fmt_delta(r.ci95_low, r.unit)} to {fmt_delta(r.ci95_high, r.unit)}"
                if r.n > 1
                else "n/a"
                for r in rows
            ],
            "P(B > A)": [r.p_b_higher for r in rows],
            "better": [r.better for r in rows],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        height=table_height(table.num_rows),
        column_config={
            "n": st.column_config.NumberColumn("replications paired", format="%d"),
            "P(B > A)": st.column_config.NumberColumn(format="%.2f"),
        },
    )


def view_summary(r: Run, scenario: Scenario) -> None:
    rows = r.summary
    table = pa.table(
        {
            "measure": [x.measure for x in rows],
            "detail": [x.detail for x in rows],
            "unit": [x.unit for x in rows],
            "mean": [x.mean for x in rows],
            "95% CI low": [x.ci95_low for x in rows],
            "95% CI high": [x.ci95_high for x in rows],
            "5th pct": [x.p05 for x in rows],
            "median": [x.p50 for x in rows],
            "95th pct": [x.p95 for x in rows],
        }
    )
    st.dataframe(table, hide_index=True, height=table_height(table.num_rows))
    st.subheader("Downloads")
    st.caption(
        "The same files python -m sim run writes for this scenario. Large files are built when "
        "you click."
    )
    res = r.results
    name = scenario.name
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(
        "Summary (CSV)",
        summary_csv_bytes(res),
        f"{name}-summary.csv",
        "text/csv",
        key="dl_summary",
        icon=":material/table:",
    )
    c2.download_button(
        "Time series (Parquet)",
        lambda: timeseries_parquet_bytes(res),
        f"{name}-timeseries.parquet",
        "application/octet-stream",
        key="dl_timeseries",
        icon=":material/timeline:",
    )
    c3.download_button(
        "All output files (zip)",
        lambda: outputs_zip_bytes(res),
        f"{name}.zip",
        "application/zip",
        key="dl_zip",
        icon=":material/folder_zip:",
    )
    c4.download_button(
        "Report (HTML)",
        lambda: report_html(res),
        f"{name}-report.html",
        "text/html",
        key="dl_report",
        icon=":material/description:",
    )


def main() -> None:
    st.set_page_config(page_title="ICB funding simulator", page_icon="🏥", layout="wide")
    initialise()
    original: Scenario | None = ss["original"]
    pin_requested = bool(ss.pop("pin_requested", False))
    scenario_controls(original)
    st.title("Where will the ICB's money go?")
    if ss.get("load_error"):
        show_error(ss["load_error"])
        if original is not None:
            st.caption(f"Still showing {literal(ss['source'])}.")
    if original is None:
        st.stop()
        return
    settings = read_settings(original)
    try:
        scenario = apply_settings(original, settings, f"{ss['source']} with the app's settings")
    except ScenarioError as exc:
        show_error(str(exc))
        st.stop()
        return
    too_big = check_size(scenario)
    if too_big:
        show_error(too_big)
        st.stop()
        return
    ss["current"] = scenario
    if pin_requested:  # the scenario of this rerun's controls (see on_pin)
        ss["pinned"] = scenario
    changes = scenario_changes(original, scenario)
    st.sidebar.header("Hand-off")
    ss["scenario_toml"] = scenario_toml(scenario, original, ss["source"])
    st.sidebar.download_button(
        "Download scenario (TOML)",
        ss["scenario_toml"],
        f"{scenario.name}.toml",
        "application/toml",
        key="dl_scenario",
        icon=":material/download:",
        help="The full scenario with these settings, headed by what changed from the file. "
        "python -m sim run on it gives exactly these results.",
    )
    slot = st.empty()  # progress of a run that is not cached; made every run (fixed layout)
    same = not changes
    # The file's own run, for the changes; a file too big for the app is refused above
    # unless its controls were changed, and then only the deltas are dropped.
    reference_too_big = None if same else check_size(original)
    try:
        reference = None if reference_too_big else get_run(original, "the file as loaded", slot)
        current = reference if same and reference else get_run(scenario, "your settings", slot)
    except Exception as exc:  # report in one line, as the CLI does, and keep the page
        show_run_error(scenario, exc)
        st.stop()
        return
    st.markdown(
        f"**{literal(scenario.name)}**: {scenario.replications:,} replications, seed "
        f"{scenario.seed}, {scenario.horizon_years} years from {scenario.start_year}/"
        f"{(scenario.start_year + 1) % 100:02d}. "
        + (
            "These are the file's own results."
            if same
            else f"Changes are against **{literal(ss['source'])}** as loaded "
            f"({original.replications:,} replications, seed {original.seed})."
        )
    )
    if reference_too_big:
        st.warning(
            f"No change from the file is shown: the file as loaded is too big to run here "
            f"({reference_too_big})".translate(_MARKDOWN)
        )
    headline(current, reference, same)
    if changes:
        with st.expander(f"What you changed from the file ({len(changes)})"):
            st.code("\n".join(changes), language=None, wrap_lines=True)
    tabs = st.tabs(VIEWS, key="view", on_change="rerun")
    views: dict[str, Callable[[], None]] = {
        VIEWS[0]: lambda: view_money(current),
        VIEWS[1]: lambda: view_primary(current),
        VIEWS[2]: lambda: view_deficits(current),
        VIEWS[3]: lambda: view_power(current),
        VIEWS[4]: lambda: view_decisions(current),
        VIEWS[5]: lambda: view_compare(current, scenario, slot),
        VIEWS[6]: lambda: view_summary(current, scenario),
    }
    for tab, name in zip(tabs, VIEWS, strict=True):
        if tab.open:
            with tab:
                try:
                    views[name]()
                except Exception as exc:  # one line, as for the runs; the page stays
                    show_run_error(scenario, exc, name)


main()

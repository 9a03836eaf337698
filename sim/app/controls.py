"""The sidebar's controls: the scenario file, the board, the ring-fences, money, the run.

Each control's key is :func:`sim.app.session.control_key` of its :class:`Settings` field (a
new generation at each load or reset), its value starts at the loaded file's
(:func:`sim.app.session.set_controls`), and its range is the scenario format's own bound for
the field (:mod:`sim.app.bounds`), so a control can never offer a value a file may not hold.
Two sliders show a narrower range on purpose, widened to the file's value if it lies beyond:
the seats (:func:`seat_range`) and the extra A&E visits (:func:`spill_range`, the range the
studies support).
Each control's help is one line in a finance lead's terms (:data:`sim.app.labels.CONTROL_HELP`),
shown on demand. Under each control is an empty slot (:mod:`sim.app.beside`) where a problem
with its value is shown. :func:`read_settings` draws them all and returns their values.
"""

from __future__ import annotations

import streamlit as st

from sim.app.beside import Slots
from sim.app.bounds import float_bounds, int_bounds
from sim.app.controller import (
    CONSTITUENCIES,
    Fence,
    FenceSetting,
    Settings,
    describe_expiry,
    expiry_options,
    fence_choices,
    parse_seed,
    voting_seats,
)
from sim.app.labels import CONSTITUENCY_LABELS, CONTROL_HELP, FENCE_HELP, RULE_LABELS, SEAT_HELP
from sim.app.screen import literal
from sim.app.session import (
    NO_EXPIRY,
    control_key,
    library,
    on_file_choice,
    on_reset,
    on_upload,
)
from sim.scenario.finance import SpillOver
from sim.scenario.format import Allocation, Board, Pressure, RingFence, Scenario
from sim.scenario.loader import MAX_FILE_BYTES
from sim.scenario.plausibility import MAX_AE_PER_APPOINTMENT
from sim.units import display

#: Seat sliders go up to this (or the file's count, if larger), never beyond the format's
#: bound on a constituency's seats (``board.seats``: 32, as many as a board may have).
SEATS_SHOWN = 12


def scenario_controls(original: Scenario | None) -> None:
    """The file choice, the upload, what is loaded, and "Reset to file"."""
    ss = st.session_state
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


def seat_range(constituency: str, in_file: int) -> tuple[int, int]:
    """The range of a constituency's seat slider.

    The format allows up to 32 seats per constituency (``board.seats``), but a slider of 32
    steps is hard to move one seat at a time, so the app deliberately shows a narrower range:
    up to :data:`SEATS_SHOWN`, or the file's count if larger, clipped to the format's bound.
    The chair's goes to 1: a board has only one chair (:mod:`sim.scenario.consistency`).
    """
    low, high = int_bounds(Board, "seats")
    most = 1 if constituency == "chair" else max(SEATS_SHOWN, in_file)
    return low, min(most, high)


def board_controls(original: Scenario, slots: Slots) -> tuple[dict[str, int], str, float, bool]:
    """Seats per constituency, the voting rule, the quorum and the casting vote."""
    side = st.sidebar
    side.header("Board")
    side.caption(
        "Who votes on the board: seats per group. The file's named members are kept; extra "
        "seats are added as unnamed members, and removing seats removes the last ones."
    )
    seats: dict[str, int] = {}
    in_file = voting_seats(original)
    for c in CONSTITUENCIES:
        low, most = seat_range(c, in_file[c])
        seats[c] = int(
            side.slider(
                f"{CONSTITUENCY_LABELS[c]} (voting seats)",
                low,
                most,
                step=1,
                key=control_key(f"seats_{c}"),
                help=SEAT_HELP.get(c),
            )
        )
    slots.make(side, "seats", "Board seats")
    rule = side.selectbox(
        "Voting rule",
        list(RULE_LABELS),
        format_func=RULE_LABELS.__getitem__,
        key=control_key("rule"),
        help=CONTROL_HELP["rule"],
    )
    slots.make(side, "rule", "Voting rule")
    quorum = side.slider(
        "Quorum (share of votes present)",
        *float_bounds(Board, "quorum"),
        step=0.05,
        format="percent",
        key=control_key("quorum"),
        help=CONTROL_HELP["quorum"],
    )
    slots.make(side, "quorum", "Quorum")
    casting = side.toggle(
        "Chair has a casting vote",
        key=control_key("casting_vote"),
        help=CONTROL_HELP["casting_vote"],
    )
    slots.make(side, "casting_vote", "Casting vote")
    return seats, str(rule), float(quorum), bool(casting)


def fence_controls(original: Scenario, slots: Slots) -> tuple[FenceSetting, ...]:
    """One box per ring-fence the app offers (:func:`sim.app.controller.fence_choices`)."""
    side = st.sidebar
    side.header("Ring-fences")
    side.caption(
        "Money the board may not move: switch a rule on to protect a budget, and set how far."
    )
    slots.make(side, "fences", "Ring-fences")  # problems of the rules together
    out = []
    for i, f in enumerate(fence_choices(original)):
        out.append(one_fence(original, i, f, slots))
    if not out:
        side.caption("This scenario has no sectors of kind 'primary' and no ring-fences.")
    return tuple(out)


def one_fence(original: Scenario, i: int, f: Fence, slots: Slots) -> FenceSetting:
    """A ring-fence's box: on or off, its level (whichever the rule takes) and its expiry."""
    box = st.sidebar.container(border=True)
    origin = "In the file." if f.in_file else "Not in the file: switch on to add it."
    on = bool(
        box.toggle(
            f.rule.name,
            key=control_key(f"fence{i}_on"),
            help=f"{FENCE_HELP[f.rule.rule]} {origin}",
        )
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
            *float_bounds(RingFence, "growth"),
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
                *float_bounds(RingFence, "min_share"),
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
                *float_bounds(RingFence, "cap"),
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
        help=CONTROL_HELP["fence_until"],
    )
    slots.make(box, f"fence{i}", f.rule.name)
    return FenceSetting(on=on, level=level, until=None if until == NO_EXPIRY else str(until))


def spill_range(in_file: float) -> tuple[float, float]:
    """The range of the A&E visits slider.

    The format allows up to 1 extra A&E attendance per unmet appointment
    (``spill_over.ae_per_appointment``), but the studies support 0 to
    :data:`~sim.scenario.plausibility.MAX_AE_PER_APPOINTMENT` (0.1; docs/model.md), the
    limit beyond which :func:`~sim.scenario.plausibility.cautions` warns. The slider shows
    that documented range, or up to the file's value if larger, clipped to the format's bound.
    """
    low, high = float_bounds(SpillOver, "ae_per_appointment")
    return low, min(max(MAX_AE_PER_APPOINTMENT, in_file), high)


def growth_label(original: Scenario) -> str:
    """The allocation growth slider's label: it sets the years without a published figure."""
    if original.allocation.growth_by_year:
        return "Allocation growth a year (years not published)"
    return "Allocation growth a year"


def growth_help(original: Scenario) -> str:
    """The growth slider's help: the field's description, and the years the file fixes."""
    text = CONTROL_HELP["growth_rate"]
    published = original.allocation.growth_by_year
    if published:
        years = ", ".join(f"{y} {display.percent(g, 2)}" for y, g in sorted(published.items()))
        text += f" The file fixes the published years ({years}); this sets the others."
    return text


def money_controls(original: Scenario, slots: Slots) -> tuple[float, float, float, float]:
    """Allocation growth, pressure intensity, shock frequency and extra A&E visits."""
    side = st.sidebar
    side.header("Money and pressure")
    growth = side.slider(
        growth_label(original),
        *float_bounds(Allocation, "growth_rate"),
        step=0.001,
        format="percent",
        key=control_key("growth_rate"),
        help=growth_help(original),
    )
    slots.make(side, "growth_rate", "Allocation growth")
    intensity = side.slider(
        "Size of demand surprises",
        *float_bounds(Pressure, "intensity"),
        step=0.05,
        key=control_key("intensity"),
        help=CONTROL_HELP["intensity"],
    )
    slots.make(side, "intensity", "Size of demand surprises")
    shocks = side.slider(
        "How often demand shocks come",
        *float_bounds(Pressure, "shock_frequency"),
        step=0.05,
        key=control_key("shock_frequency"),
        help=CONTROL_HELP["shock_frequency"],
    )
    slots.make(side, "shock_frequency", "Demand shocks")
    spill = original.spill_over
    ae = side.slider(
        "Extra A&E visits per unmet GP appointment",
        *spill_range(spill.ae_per_appointment),
        step=0.001,
        format="%.3f",
        key=control_key("ae_per_appointment"),
        help=CONTROL_HELP["ae_per_appointment"],
    )
    slots.make(side, "ae_per_appointment", "Extra A&E visits")
    cost = spill.model_copy(update={"ae_per_appointment": float(ae)}).pounds_per_pound
    side.caption(
        f"With the file's unit costs and admissions: about **£{cost:.2f}** of hospital cost "
        "for each £1 of unmet need."
    )
    return float(growth), float(intensity), float(shocks), float(ae)


def run_controls(slots: Slots) -> tuple[int, int, int | str]:
    """The horizon, the replications and the seed (typed: the validator reports bad text)."""
    side = st.sidebar
    side.header("Run")
    horizon = side.slider(
        "Horizon (financial years)",
        *int_bounds(Scenario, "horizon_years"),
        step=1,
        key=control_key("horizon_years"),
        help=CONTROL_HELP["horizon_years"],
    )
    slots.make(side, "horizon_years", "Horizon")
    # No bounds on the box itself: a value out of range is reported beside it, in words,
    # by the same validator as a file (Streamlit's own refusal is only a small icon).
    reps = side.number_input(
        "Simulated futures (replications)",
        step=100,
        key=control_key("replications"),
        help=CONTROL_HELP["replications"],
    )
    slots.make(side, "replications", "Simulated futures")
    seed = side.text_input("Random seed", key=control_key("seed"), help=CONTROL_HELP["seed"])
    slots.make(side, "seed", "Random seed")
    return int(horizon), int(reps), parse_seed(str(seed))


def read_settings(original: Scenario, slots: Slots) -> Settings:
    """Draw every control, the ring-fences (the main lever) first, then the board, money and
    the run, and read their values; each leaves a slot for its messages in ``slots``."""
    fences = fence_controls(original, slots)
    seats, rule, quorum, casting = board_controls(original, slots)
    growth, intensity, shocks, ae = money_controls(original, slots)
    horizon, reps, seed = run_controls(slots)
    return Settings(
        seats=seats,
        rule=rule,
        quorum=quorum,
        casting_vote=casting,
        fences=fences,
        intensity=intensity,
        shock_frequency=shocks,
        ae_per_appointment=ae,
        growth_rate=growth,
        horizon_years=horizon,
        replications=reps,
        seed=seed,
    )

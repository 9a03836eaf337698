"""Messages beside the controls that cause them.

A problem with the settings (an error that stops the run, or a warning that the setting is
implausible) names a field of the scenario (``ring_fences[1].min_share``). The finance lead
changed a control, not a field: each control leaves an empty slot under itself
(:meth:`Slots.make`), and :func:`place` puts each problem into the slot of the control that
sets its field, in words (the control's label, then the reason), never the field path. A
problem of a field no control sets (a value from the file) is returned, to be shown at the
top of the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from streamlit.delta_generator import DeltaGenerator

from sim.app.controller import Settings
from sim.scenario.errors import Problem

#: Field paths (prefixes) of the scenario and the control that sets them.
FIELD_CONTROLS: tuple[tuple[str, str], ...] = (
    ("ring_fences", "fences"),
    ("board.seats", "seats"),
    ("board", "seats"),  # the board as a whole: its size, who votes
    ("board.members", "seats"),
    ("board.rule", "rule"),
    ("board.quorum", "quorum"),
    ("board.casting_vote", "casting_vote"),
    ("allocation.growth_rate", "growth_rate"),
    # The first year's money is the file's; it is too large only with the growth and the
    # horizon set here (the money would overflow), so the growth slider is blamed.
    ("allocation.initial_gbp_m", "growth_rate"),
    ("pressure.intensity", "intensity"),
    ("pressure.shock_frequency", "shock_frequency"),
    ("spill_over.ae_per_appointment", "ae_per_appointment"),
    ("horizon_years", "horizon_years"),
    ("replications", "replications"),
    ("seed", "seed"),
)
FENCE_FIELD = re.compile(r"ring_fences\[(\d+)\]")
#: A file's date outside the horizon (a plan's or a member's): the horizon control caused it.
OUTSIDE_HORIZON = "is outside the horizon"
Level = Literal["error", "warning"]


def control_of(path: str, settings: Settings) -> str | None:
    """The control that sets a field (``fence2`` for the third ring-fence the app offers),
    or None if no control does.

    The scenario's ring-fences are the offered ones that are switched on, in the app's order
    (:func:`sim.app.controller.apply_settings`), so the k-th rule is the k-th one on.
    """
    m = FENCE_FIELD.match(path)
    if m is not None:
        on = [i for i, f in enumerate(settings.fences) if f.on]
        k = int(m.group(1))
        return f"fence{on[k]}" if k < len(on) else None
    for prefix, control in FIELD_CONTROLS:
        if path == prefix:
            return control
    for prefix, control in FIELD_CONTROLS:
        if prefix != "board" and path.startswith((f"{prefix}.", f"{prefix}[")):
            return control
    return None


@dataclass
class Slots:
    """The empty places under the controls, by control, and their labels."""

    slots: dict[str, DeltaGenerator] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: The controls a problem was shown beside (the summary says so only if any).
    filled: set[str] = field(default_factory=set)

    def make(self, where: DeltaGenerator, control: str, label: str) -> None:
        """Leave an empty slot for ``control``'s messages at ``where`` (under the control)."""
        self.slots[control] = where.empty()
        self.labels[control] = label


def words(problem: Problem, label: str | None) -> str:
    """A problem as the page shows it: the control's label and the reason (no field path)."""
    return f"{label}: {problem.reason}" if label else problem.reason


def place(problems: Sequence[Problem], settings: Settings, slots: Slots, level: Level) -> list[str]:
    """Show each problem under its control; return those no control sets, in words.

    Every problem is also returned in words with its control's label (the page's summary
    line at the top names them all), so the first list is for the top of the page.
    """
    by_control: dict[str, list[str]] = {}
    lines = []
    for p in problems:
        control = control_of(p.field, settings)
        if control is None and OUTSIDE_HORIZON in p.reason:
            control = "horizon_years"
        label = slots.labels.get(control) if control else None
        text = words(p, label)
        lines.append(text if label else f"{_field_words(p.field)}: {p.reason}")
        if control in slots.slots:
            by_control.setdefault(control, []).append(p.reason)
    for control, reasons in by_control.items():
        slots.filled.add(control)
        show = slots.slots[control].error if level == "error" else slots.slots[control].warning
        show("  \n".join(reasons), icon=":material/error:" if level == "error" else None)
    return lines


def _field_words(path: str) -> str:
    """A field no control sets, in words: ``sectors 2 need growth`` rather than the path."""
    text = re.sub(r"\[(\d+)\]", lambda m: f" {int(m.group(1)) + 1}", path)
    return text.replace(".", " › ").replace("_", " ").strip().capitalize() or "The scenario"

"""When things happen: the SimPy processes that drive the calendar.

Time is counted in ticks, :data:`TICKS` per month, so that events in the same month happen
in a fixed order: dated policy changes, the year start (allocation and annual plan), the
month (need arises, money is spent, spill-over is queued, pressure is measured), board
meetings, the year end (in March), and the month-end record. What each event does is the
engine's (:class:`Events`); this module only says when.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import simpy

from sim.model.board import CompiledBoard
from sim.model.ring_fence import Rule

TICKS = 10
POLICY, YEAR_START, MONTH, MEETING, YEAR_END, RECORD = 0, 1, 2, 5, 8, 9

#: Called with (months done, months in all) at each month end.
Progress = Callable[[int, int], None]
#: A dated change: (month, "rule" or "member", its index, whether it starts).
Change = tuple[int, Literal["rule", "member"], int, bool]


class Events(Protocol):
    """What happens at each event of the calendar, for every replication at once."""

    def policy_change(self, change: Change) -> None: ...
    def year_start(self, y: int) -> None: ...
    def month(self, m: int) -> npt.NDArray[np.bool_]: ...
    def meeting(self, m: int, held: npt.NDArray[np.bool_], extraordinary: bool) -> None: ...
    def year_end(self, y: int) -> None: ...
    def record(self, m: int) -> None: ...


def dated_changes(rules: list[Rule], board: CompiledBoard, months: int) -> list[Change]:
    """Ring-fences starting and expiring and members joining and leaving, in date order."""
    last = months - 1
    changes: list[Change] = []
    for k, rule in enumerate(rules):
        if rule.start > 0:
            changes.append((rule.start, "rule", k, True))
        if rule.until < last:
            changes.append((rule.until + 1, "rule", k, False))
    for j in range(board.size):
        if board.start[j] > 0:
            changes.append((int(board.start[j]), "member", j, True))
        if board.until[j] < last:
            changes.append((int(board.until[j]) + 1, "member", j, False))
    return sorted(changes)


def run_calendar(
    events: Events,
    years: int,
    meeting_interval: int,
    changes: list[Change],
    replications: int,
    progress: Progress | None = None,
) -> None:
    """Run every event of ``years`` financial years in order.

    Args:
        events: the engine whose handlers each event calls.
        meeting_interval: months between scheduled board meetings.
        changes: dated changes (:func:`dated_changes`).
        replications: how many replications the engine holds (a scheduled meeting is held
            in all of them; an extraordinary one only where pressure calls it).
    """
    env = simpy.Environment()
    months = 12 * years

    def at(month: int, tick: int) -> simpy.Timeout:
        return env.timeout(month * TICKS + tick - env.now)

    def policy() -> Generator[simpy.Event, Any, None]:
        for change in changes:
            yield at(change[0], POLICY)
            events.policy_change(change)

    def year_ends() -> Generator[simpy.Event, Any, None]:
        for y in range(years):
            yield at(12 * y, YEAR_START)
            events.year_start(y)
            yield at(12 * y + 11, YEAR_END)
            events.year_end(y)

    def extraordinary(m: int, mask: npt.NDArray[np.bool_]) -> Generator[simpy.Event, Any, None]:
        yield at(m, MEETING)
        events.meeting(m, mask, True)

    def each_month() -> Generator[simpy.Event, Any, None]:
        for m in range(months):
            yield at(m, MONTH)
            pressured = events.month(m)
            if (m + 1) % meeting_interval != 0 and pressured.any():
                env.process(extraordinary(m, pressured))
            yield at(m, RECORD)
            events.record(m)
            if progress is not None:
                progress(m + 1, months)

    def scheduled() -> Generator[simpy.Event, Any, None]:
        everyone = np.ones(replications, dtype=bool)
        for m in range(meeting_interval - 1, months, meeting_interval):
            yield at(m, MEETING)
            events.meeting(m, everyone, False)

    env.process(policy())
    env.process(year_ends())
    env.process(each_month())
    env.process(scheduled())
    env.run()

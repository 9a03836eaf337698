"""The board's compromise on the annual plan (sim.model.plan), without running the model."""

from __future__ import annotations

from sim.model.board import compile_board
from sim.model.plan import compromise
from sim.model.system import compile_system
from sim.scenario.format import Member, Scenario
from sim.units.calendar import Calendar


def test_more_gp_seats_tilt_the_plan_towards_primary_care(baseline: Scenario) -> None:
    system = compile_system(baseline)
    cal = Calendar(baseline.start_year, baseline.horizon_years)
    primary = system.sector_kinds.index("primary")
    last = None
    for extra in range(0, 6):
        board = baseline.board.model_copy(
            update={
                "members": [
                    *baseline.board.members,
                    *[Member(name=f"GP {i}", constituency="primary_care") for i in range(extra)],
                ]
            }
        )
        cb = compile_board(board, cal)
        share = compromise(cb, cb.seated(12), baseline, system, 12)[primary]
        assert last is None or share >= last
        last = share

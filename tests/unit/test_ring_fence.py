"""Ring-fences as pure functions: the annual plan under rules that cannot all hold."""

from __future__ import annotations

import numpy as np

from sim.model.ring_fence import PlanHistory, annual_plan, compile_rules
from sim.model.system import compile_system
from sim.scenario.format import RingFence, Scenario


def test_rules_that_cannot_all_hold_are_relaxed_in_priority_order(baseline: Scenario) -> None:
    first = RingFence(name="A 60%", rule="min_share", sector="acute", min_share=0.6)
    second = RingFence(name="GP 50%", rule="min_share", sector="general practice", min_share=0.5)
    sc = baseline.model_copy(update={"ring_fences": [first, second]})  # not validated on purpose
    system = compile_system(sc)
    rules = compile_rules(sc, system)
    total = np.array([[1_000_000]], dtype=np.int64)
    proposal = total[:, :, None] * system.shares[None, None, :]
    plan = annual_plan(rules, [True, True], proposal, total, PlanHistory(None, None, None, 1.0))
    assert plan.budgets.sum() == 1_000_000
    assert plan.budgets[0, 0, 0] >= 600_000  # the first rule holds in full
    assert plan.budgets[0, 0, 3] == 1_000_000 - plan.budgets[0, 0, 0]  # the second gets the rest
    assert plan.shortfall.tolist() == [[False, True]]

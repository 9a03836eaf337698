"""Ring-fences in whole runs: bindings and dated rules (the annual plan's relaxation of rules
that cannot all hold is in tests/unit/test_ring_fence.py)."""

from __future__ import annotations

import numpy as np

from sim import run
from sim.scenario.format import RingFence, Scenario


def with_rules(sc: Scenario, *rules: RingFence, **update: object) -> Scenario:
    return sc.model_copy(update={"ring_fences": [*sc.ring_fences, *rules], **update})


def test_a_floor_at_the_proposal_never_binds(baseline: Scenario) -> None:
    # General practice is planned at exactly 9% of sector money in the first year.
    at = RingFence(name="GP 9%", rule="min_share", sector="general practice", min_share=0.09)
    above = RingFence(name="GP 9.5%", rule="min_share", sector="general practice", min_share=0.095)
    res = run(with_rules(baseline, at, above, horizon_years=1), replications=range(5))
    k_at, k_above = len(baseline.ring_fences), len(baseline.ring_fences) + 1
    assert (res.bindings[:, k_at] == 0).all()
    assert (res.bindings[:, k_above] >= 1).all()
    gp = res.plans[:, 0, :, 3].sum(axis=1)
    total = res.plans[:, 0].sum(axis=(1, 2))
    assert (gp >= np.ceil(0.095 * total)).all()


def test_dated_rules_start_and_expire_on_their_dates(baseline: Scenario) -> None:
    fence = RingFence.model_validate(
        {
            "name": "GP protected 2026/27",
            "rule": "no_transfers_out",
            "kind": "primary",
            "from": "2026-04",
            "until": "2027-03",
        }
    )
    res = run(with_rules(baseline, fence), replications=range(12))
    assert (res.policy_log[0], res.policy_log[1]) == (
        (12, fence.name, "starts"),
        (24, fence.name, "expires"),
    )
    primary = res.kind_mask("primary")
    moved = res.series["transfers_out"][..., primary].sum(axis=(0, 2, 3))  # by month
    assert moved[12:24].sum() == 0
    assert moved[:12].sum() > 0 and moved[24:].sum() > 0

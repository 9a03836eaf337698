"""Hypothesis strategies for valid scenarios, including extreme ones."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import assume
from hypothesis import strategies as st

from sim.scenario.errors import ScenarioError
from sim.scenario.format import Constituency, Scenario, SectorKind
from sim.scenario.loader import parse_scenario

KINDS: list[str] = list(get_args(SectorKind))
CONSTITUENCIES: list[str] = list(get_args(Constituency))


@st.composite
def scenario_dicts(draw: st.DrawFn, max_sectors: int = 6, max_places: int = 12) -> dict[str, Any]:
    """A scenario as a dictionary, as a TOML file would give it."""
    n_sectors = draw(st.integers(1, max_sectors))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n_sectors, max_size=n_sectors))
    if draw(st.booleans()):
        kinds[0] = "secondary"
    weights = draw(st.lists(st.integers(1, 100), min_size=n_sectors, max_size=n_sectors))
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    sectors = []
    for i, (kind, share) in enumerate(zip(kinds, shares, strict=True)):
        spending = draw(st.sampled_from(["capped", "demand_led"]))
        committed = draw(st.sampled_from([0.0, 0.5, 0.8, 1.0]))
        slippage = 0.0 if spending == "demand_led" else draw(st.sampled_from([0.0, 0.1, 0.4]))
        sectors.append(
            {
                "name": f"s{i}",
                "kind": kind,
                "share": share,
                "spending": spending,
                "committed": min(committed, 1.0 - slippage),
                "slippage": slippage,
                "slippage_rate": draw(st.sampled_from([0.0, 0.1, 1.0])),
                "slippage_sd": draw(st.sampled_from([0.0, 0.05, 0.5])),
                "need_ratio": draw(st.sampled_from([0.0, 0.5, 1.0, 1.05, 1.3, 3.0])),
                "need_growth": draw(st.sampled_from([-0.1, 0.0, 0.02, 0.08])),
                "seasonality": draw(st.sampled_from([0.0, 0.1, 0.5])),
                "noise_sd": draw(st.sampled_from([0.0, 0.02, 0.3, 1.0])),
                "noise_autocorrelation": draw(st.sampled_from([0.0, 0.5, 0.99])),
                "shock_probability": draw(st.sampled_from([0.0, 0.05, 0.5, 1.0])),
                "shock_size": draw(st.sampled_from([0.0, 0.1, 2.0, 5.0])),
                "shock_persistence": draw(st.sampled_from([0.0, 0.6, 0.99])),
            }
        )
    # Mostly one to three places, sometimes many.
    n_places = draw(st.integers(1, 3) | st.integers(1, max_places))
    places = [
        {
            "name": f"p{i}",
            "population": draw(st.integers(1, 3_000_000)),
            "need_index": draw(st.sampled_from([0.5, 1.0, 1.7])),
        }
        for i in range(n_places)
    ]
    n_members = draw(st.integers(1, 14))
    constituencies = draw(
        st.lists(st.sampled_from(CONSTITUENCIES[1:]), min_size=n_members, max_size=n_members)
    )
    if draw(st.booleans()):
        constituencies[0] = "chair"
    members = [
        {
            "name": f"m{i}",
            "constituency": c,
            "weight": draw(st.sampled_from([1.0, 1.0, 2.0, 0.5])),
            "voting": True if i == 0 else draw(st.booleans() | st.just(True)),
        }
        for i, c in enumerate(constituencies)
    ]
    rules = []
    for j in range(draw(st.integers(0, 4))):
        rule = draw(
            st.sampled_from(
                [
                    "min_share",
                    "min_share_at_plan",
                    "min_growth",
                    "no_transfers_out",
                    "cap_transfers_out",
                    "real_terms_floor",
                ]
            )
        )
        target = draw(st.integers(0, n_sectors - 1))
        rf: dict[str, Any] = {"name": f"r{j}", "rule": rule}
        if draw(st.booleans()):
            rf["sector"] = f"s{target}"
        else:
            rf["kind"] = kinds[target]
        if n_places > 1 and draw(st.booleans()):
            rf["place"] = f"p{draw(st.integers(0, n_places - 1))}"
        if rule in ("min_share", "min_share_at_plan"):
            rf["min_share"] = draw(st.sampled_from([0.01, 0.1, 0.3]))
        elif rule == "min_growth":
            rf["growth"] = draw(st.sampled_from(["overall", 0.0, 0.01, -0.02]))
        elif rule == "cap_transfers_out":
            rf["cap"] = draw(st.sampled_from([0.0, 0.005, 0.05]))
        rules.append(rf)
    horizon = draw(st.integers(1, 3))
    start = 2025
    # Places: current shares away from fair share, red lines, pooled money, delegation.
    if n_places > 1 and draw(st.booleans()):
        raw = draw(st.lists(st.integers(1, 10), min_size=n_places, max_size=n_places))
        for place, w in zip(places, raw, strict=True):
            place["current_share"] = w / sum(raw)
        places[-1]["current_share"] = 1.0 - sum(p["current_share"] for p in places[:-1])
    for i, place in enumerate(places):
        place["red_line"] = draw(st.booleans())
        if "community" in kinds and draw(st.booleans()):
            place["pooled_gbp_m"] = draw(st.sampled_from([0.0, 1e-6, 0.001]))
        if draw(st.integers(0, 3)) == 0:
            place["delegated"] = True
            members.append(
                {
                    "name": f"rep{i}",
                    "constituency": draw(st.sampled_from(CONSTITUENCIES[1:])),
                    "place": f"p{i}",
                }
            )
        if draw(st.integers(0, 3)) == 0:
            members.append({"name": f"la{i}", "constituency": "local_authority", "place": f"p{i}"})
    # Dated members: some join or leave during the horizon.
    for member in members[1:]:
        if draw(st.integers(0, 4)) == 0:
            member["from" if draw(st.booleans()) else "until"] = (
                f"{start + draw(st.integers(0, horizon - 1))}-{draw(st.sampled_from(['04', '09', '12']))}"
            )
    plan: dict[str, Any] = {}
    if draw(st.booleans()):
        plan["priorities"] = {draw(st.sampled_from(KINDS)): draw(st.sampled_from([-0.5, 0.5, 2.0]))}
    if rules and draw(st.booleans()):
        rules[0]["from"] = (
            f"{start + draw(st.integers(0, horizon - 1))}-{draw(st.sampled_from(['04', '10']))}"
        )
    if rules and draw(st.booleans()):
        rules[-1]["until"] = f"{start + horizon}-{draw(st.sampled_from(['01', '03']))}"
    return {
        "name": "generated",
        "seed": draw(st.integers(0, 2**63 - 1)),
        "replications": draw(st.integers(1, 6)),
        "start_year": start,
        "horizon_years": horizon,
        "allocation": {
            "initial_gbp_m": draw(st.sampled_from([0.000_01, 0.5, 3646.0, 250_000.0, 5_000_000.0])),
            "growth_rate": draw(st.sampled_from([-0.05, 0.0, 0.04, 0.2])),
            "growth_sd": draw(st.sampled_from([0.0, 0.01, 0.05])),
            "inflation": draw(st.sampled_from([0.0, 0.025, 0.1])),
            "contingency_share": draw(st.sampled_from([0.0, 0.005, 0.05])),
            "pace_of_change": draw(st.sampled_from([0.0, 0.25, 1.0])),
        },
        "sectors": sectors,
        "places": places,
        "spill_over": {
            "ae_per_appointment": draw(st.sampled_from([0.0, 0.033, 0.1, 1.0])),
            "admissions_per_appointment": draw(st.sampled_from([0.0, 0.002, 0.01])),
            "investment_response": draw(st.sampled_from([0.0, 1.0, 2.0])),
            "lag_weights": draw(
                st.sampled_from([[1.0], [0.0, 0.5, 0.5], [0.2, 0.3, 0.25, 0.15, 0.1]])
            ),
            "from_kinds": ["primary", "community"],
            "to_kind": "secondary" if "secondary" in kinds else kinds[0],
        },
        "planning": {
            "committed_uplift": draw(st.sampled_from([-0.05, 0.0, 0.025, 0.2])),
            "cost_improvement": draw(st.sampled_from([0.0, 0.02, 0.2])),
            "cost_improvement_delivery": draw(st.sampled_from([0.0, 0.8, 1.0])),
            "cost_improvement_delivery_sd": draw(st.sampled_from([0.0, 0.15, 0.5])),
            "pace": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "consensus_tolerance": draw(st.sampled_from([0.0, 0.05, 1.0])),
        },
        "recovery": {
            "model": draw(st.sampled_from(["recovery_plan", "board_vote"])),
            "from_month": draw(st.sampled_from([1, 4, 12])),
            "threshold": draw(st.sampled_from([0.0, 0.002, 0.1])),
            "max_pause": draw(st.sampled_from([0.0, 0.1, 1.0])),
            "delegated_limit": draw(st.sampled_from([0.0, 0.0025, 0.1])),
        },
        "deficit": {
            "regime": draw(
                st.sampled_from(["in_force", "system_breakeven", "individual_breakeven", "none"])
            ),
            "repayment_years": draw(st.sampled_from([1, 2, 10])),
            "penalty": draw(st.sampled_from([0.0, 0.1, 1.0])),
        },
        "pressure": {
            "intensity": draw(st.sampled_from([0.0, 1.0, 10.0])),
            "shock_frequency": draw(st.sampled_from([0.0, 1.0, 10.0])),
            "extraordinary_threshold": draw(st.sampled_from([0.0, 0.02, 1.0])),
        },
        "board": {
            "members": members,
            "rule": draw(
                st.sampled_from(
                    ["consensus_then_majority", "simple_majority", "two_thirds", "unanimity"]
                )
            ),
            "quorum": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "casting_vote": draw(st.booleans()),
            "absence_probability": draw(st.sampled_from([0.0, 0.1, 0.9])),
            "meeting_interval_months": draw(st.sampled_from([1, 2, 3, 12])),
            "recurrent_share": draw(st.sampled_from([0.0, 0.5, 1.0])),
        },
        "ring_fences": rules,
        "plan": plan,
    }


@st.composite
def scenarios(draw: st.DrawFn, **kwargs: int) -> Scenario:
    """A validated scenario (invalid combinations, e.g. infeasible ring-fences, are skipped)."""
    data = draw(scenario_dicts(**kwargs))
    try:
        return parse_scenario(data, "<generated>")
    except ScenarioError:
        assume(False)
        raise

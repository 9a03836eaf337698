"""Checks of facts that must hold for any run, recomputed independently from the results."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from sim.engine.results import Results
from sim.model.place import place_shares
from sim.units.money import split

Pence = npt.NDArray[np.int64]


def account_balances(res: Results) -> tuple[Pence, Pence]:
    """Month-end balance of every account rebuilt from the transfer records.

    Returns ``(balances, received)``: shape (R, M, A) and the cumulative money received from
    NHS England, shape (R, M).
    """
    t = res.transfers()
    r, m = res.n, res.calendar.months
    a = len(res.account_names)
    rows = np.searchsorted(res.replications, t.replication)
    flows = np.zeros((r, m, a + 1), dtype=np.int64)  # last column: external
    np.add.at(flows, (rows, t.month, np.where(t.source < 0, a, t.source)), -t.amount)
    np.add.at(flows, (rows, t.month, np.where(t.target < 0, a, t.target)), t.amount)
    cum = np.cumsum(flows, axis=1)
    return cum[:, :, :a], -cum[:, :, a]


def assert_conserved(res: Results) -> None:
    """Held + spent = allocated at every month end in every replication, to the penny."""
    balances, received = account_balances(res)
    np.testing.assert_array_equal(balances.sum(axis=2), received)
    np.testing.assert_array_equal(received, res.system_series["allocated"])
    np.testing.assert_array_equal(balances[:, :, 1], res.system_series["reserve"])
    np.testing.assert_array_equal(balances[:, :, 2], res.system_series["deficit"])
    p, s = len(res.place_names), len(res.sector_names)
    spend_acc = balances[:, :, 3 + p * s : 3 + 2 * p * s].reshape(res.n, -1, p, s)
    np.testing.assert_array_equal(spend_acc, np.cumsum(res.series["spend"], axis=1))
    # The source account is empty after every year start: all money is planned or reserved.
    np.testing.assert_array_equal(balances[:, :, 0], 0)
    # Budgets are plans plus in-year transfers, and month-end balances equal budget minus
    # the year's spending so far.
    s_ = res.series
    flows = np.cumsum(
        (s_["transfers_in"] - s_["transfers_out"]).reshape(res.n, -1, 12, p, s), axis=2
    )
    np.testing.assert_array_equal(
        s_["budget"], s_["allocation"] + flows.reshape(s_["budget"].shape)
    )
    spent_ytd = np.cumsum(s_["spend"].reshape(res.n, -1, 12, p, s), axis=2).reshape(
        s_["budget"].shape
    )
    budget_bal = balances[:, :, 3 : 3 + p * s].reshape(res.n, -1, p, s)
    mid_year = np.arange(res.calendar.months) % 12 != 11
    np.testing.assert_array_equal(budget_bal[:, mid_year], (s_["budget"] - spent_ytd)[:, mid_year])
    np.testing.assert_array_equal(budget_bal[:, ~mid_year], 0)


def assert_flows_sane(res: Results) -> None:
    """Non-negative flows; capped sectors never spend more than they hold."""
    s = res.series
    for k in (
        "need",
        "spend",
        "unmet",
        "transfers_in",
        "transfers_out",
        "allocation",
    ):
        assert (s[k] >= 0).all(), k
    np.testing.assert_array_equal(s["need"] - s["spend"], s["unmet"])
    capped = np.array([sec.spending == "capped" for sec in res.scenario.sectors])
    p = len(res.place_names)
    spent_ytd = np.cumsum(s["spend"].reshape(res.n, -1, 12, p, len(capped)), axis=2).reshape(
        s["spend"].shape
    )
    assert (spent_ytd[..., capped] <= s["budget"][..., capped]).all()
    assert (s["unmet"][..., ~capped] == 0).all()
    # In-year money leaves only capped sectors: recovery-plan pauses (a demand-led sector
    # spends its need whatever its budget), or board transfers from outside secondary care,
    # which arrive only in secondary care.
    secondary = res.kind_mask("secondary")
    assert (s["transfers_in"][..., ~secondary] == 0).all()
    assert (s["transfers_out"][..., ~capped] == 0).all()
    if res.scenario.recovery.model == "board_vote":
        assert (s["transfers_out"][..., secondary] == 0).all()
        np.testing.assert_array_equal(s["transfers_in"].sum(axis=3), s["transfers_out"].sum(axis=3))
    else:
        assert (s["transfers_in"] == 0).all()
    assert_lines_fixed(res)


def assert_lines_fixed(res: Results) -> None:
    """Committed and slippage lines never move in-year: what leaves a budget in a year
    (pauses or transfers) never exceeds its planned discretionary lines, and the lines are
    funded in every plan."""
    s = res.series
    plan = s["allocation"][:, ::12]  # (R, Y, P, S)
    floor = res.lines["committed"] + res.lines["slippage"]
    assert (plan >= floor).all()
    years = plan.shape[1]
    moved = s["transfers_out"].reshape(res.n, years, 12, *plan.shape[2:]).sum(axis=2)
    assert (moved <= plan - floor).all()


def _ceil(x: float) -> int:
    return math.ceil(x)


def assert_ring_fences_hold(res: Results) -> None:
    """No ring-fence bound is broken (unless the run recorded the rule as relaxed)."""
    sc = res.scenario
    cal = res.calendar
    plan = res.series["allocation"][:, ::12]  # (R, Y, P, S): each year's plan
    totals = plan.sum(axis=3)
    tout = res.series["transfers_out"]
    # Each place's share of each year's allocation (what "overall" growth compares): the
    # allocation arrives at the year start; deficit support, at a year end, is not part of it.
    allocated = res.system_series["allocated"]
    received = allocated[:, ::12] - np.concatenate(
        [np.zeros((res.n, 1), dtype=np.int64), allocated[:, 11:-1:12]], axis=1
    )
    shares = place_shares(sc)
    gross = np.stack(
        [
            split(received[:, y], np.broadcast_to(shares[y], (res.n, len(sc.places))))
            for y in range(sc.horizon_years)
        ],
        axis=1,
    )  # (R, Y, P)
    for k, rf in enumerate(sc.ring_fences):
        sectors = np.array(
            [(rf.sector == x.name) if rf.sector else (rf.kind == x.kind) for x in sc.sectors]
        )
        places = [i for i, pl in enumerate(sc.places) if rf.place in ("all", pl.name)]
        start = cal.month_index(rf.start) if rf.start else 0
        until = cal.month_index(rf.until) if rf.until else cal.months - 1
        for r in range(res.n):
            if res.shortfalls[r, k]:
                continue
            for y in range(sc.horizon_years):
                active = start <= 12 * y <= until
                for p in places:
                    x = plan[r, y, p]
                    if active and rf.rule in ("min_share", "min_share_at_plan"):
                        assert x[sectors].sum() >= _ceil(rf.min_share * totals[r, y, p]), (
                            rf.name,
                            r,
                            y,
                        )
                    if active and rf.rule == "min_growth" and y > 0:
                        prev = plan[r, y - 1, p]
                        if rf.growth == "overall":
                            factor = float(gross[r, y, p]) / max(int(gross[r, y - 1, p]), 1)
                        else:
                            factor = 1.0 + float(rf.growth)  # type: ignore[arg-type]
                        for s in np.flatnonzero(sectors):
                            assert x[s] >= _ceil(prev[s] * factor), (rf.name, r, y, s)
                    if active and rf.rule == "real_terms_floor" and y > 0:
                        price = (1.0 + sc.allocation.inflation) ** y
                        for s in np.flatnonzero(sectors):
                            assert x[s] >= _ceil(plan[r, 0, p, s] * price), (rf.name, r, y, s)
            months = np.arange(cal.months)
            in_force = (months >= start) & (months <= until)
            if rf.rule == "min_share":
                # A minimum share holds at every month-end, not only in the plan.
                budget = res.series["budget"][r]  # (M, P, S)
                month_totals = np.repeat(totals[r], 12, axis=0)  # (M, P)
                for p in places:
                    got = budget[:, p][:, sectors].sum(axis=1)
                    need = np.ceil(rf.min_share * month_totals[:, p].astype(float))  # type: ignore[operator]
                    plan_ok = np.repeat(
                        [start <= 12 * y <= until for y in range(sc.horizon_years)], 12
                    )
                    assert (got[in_force & plan_ok] >= need[in_force & plan_ok]).all(), (rf.name, r)
            for p in places:
                out = tout[r][:, p][:, sectors]  # (M, k)
                if rf.rule == "no_transfers_out":
                    assert (out[in_force] == 0).all(), (rf.name, r)
                if rf.rule == "cap_transfers_out":
                    for y in range(sc.horizon_years):
                        sl = slice(12 * y, 12 * y + 12)
                        moved = out[sl][in_force[sl]].sum(axis=0)
                        limit = np.floor(rf.cap * plan[r, y, p][sectors]).astype(np.int64)  # type: ignore[operator]
                        assert (moved <= limit).all(), (rf.name, r, y)

"""The figures of docs/model.md ("What changed for practitioners") and its charts.

Runs the library and the variants the section quotes with the CLI (``python -m sim run``),
prints every figure the section gives, and draws the charts to ``docs/images/model_*.png``
with the project's chart theme (Altair specs, PNG through ``vl_convert``)::

    .venv/bin/python docs/figures/model_figures.py                 # model v2 only
    .venv/bin/python docs/figures/model_figures.py --v1 /tmp/v1    # and the first version

``--v1`` is a source tree of the first version, made without touching the repository's
git state: ``mkdir /tmp/v1 && git archive 62a43ea | tar -x -C /tmp/v1``. Its runs use the
same CLI from that tree. ``--skip-runs`` re-reads the outputs of an earlier call.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import vl_convert as vlc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.calibration.history import read_table  # noqa: E402
from sim.charts.palette import PALETTE  # noqa: E402
from sim.charts.theme import themed  # noqa: E402

IMAGES = ROOT / "docs" / "images"
#: Real growth a year of spending by sector, 2016/17 to 2022/23 (Nuffield Trust, "Where does
#: the NHS money go?"), read from the project's data (data/history/sector_real_growth.csv).
#: The model's pharmacy, dental and optometry sector is compared with ophthalmic and
#: pharmacy (-2.0%) here, as this section always has; dentistry was -2.2%.
_GROWTH = {f.item: f.value for f in read_table("sector_real_growth")}
HISTORY = {
    "acute": _GROWTH["acute"],
    "mental health": _GROWTH["mental health"],
    "general practice": _GROWTH["general practice"],
    "community": _GROWTH["community"],
    "prescribing": _GROWTH["prescribing"],
    "pharmacy, dental and optometry": _GROWTH["ophthalmic and pharmacy"],
}
MENTAL_HEALTH = (
    '{name="Mental Health Investment Standard", rule="min_growth", kind="mental_health", '
    'growth="overall"}, {name="MHIS in-year protection", rule="no_transfers_out", '
    'kind="mental_health"}'
)
SPLIT_BOARD = ["board.seats.primary_care=2", "board.plan_tilt.primary_care.primary=2.0"]
DEFAULT_SPILL = "Model v2, default (£0.29 of hospital cost per £ unmet)"
TOP_SPILL_LABEL = "Model v2, top of the range (£1.05 per £)"
FIRST_SPILL = "First version, elasticity 1"
BOUND_LABEL = "Bound at the top of the range (£1.05 x spill-from need)"
TOP_SPILL = ["spill_over.ae_per_appointment=0.1", "spill_over.admissions_per_appointment=0.01"]


def runs(v1: bool) -> dict[str, tuple[str, list[str]]]:
    """Name -> (scenario path, overrides) of every run the section quotes."""
    out: dict[str, tuple[str, list[str]]] = {"library": ("scenarios", [])}
    for k in range(6):
        out[f"gp{k + 1}"] = ("scenarios/baseline.toml", [f"board.seats.primary_care={k}"])
    if v1:
        out["spill_e1"] = ("scenarios/baseline.toml", ["spill_over.elasticity=1.0"])
        return out
    for rule in ("consensus_then_majority", "simple_majority", "two_thirds", "unanimity"):
        out[f"split_{rule}"] = ("scenarios/baseline.toml", [*SPLIT_BOARD, f"board.rule={rule}"])
    out["split_no_casting"] = (
        "scenarios/baseline.toml",
        [*SPLIT_BOARD, "board.rule=simple_majority", "board.casting_vote=false"],
    )
    out["spill_top"] = ("scenarios/baseline.toml", TOP_SPILL)
    for rule in ("min_share", "min_share_at_plan"):
        fence = f'{{name="Primary care 13%", rule="{rule}", kind="primary", min_share=0.13}}'
        out[f"share_{rule}"] = (
            "scenarios/baseline.toml",
            [f"ring_fences=[{MENTAL_HEALTH}, {fence}]"],
        )
    for regime in ("system_breakeven", "none"):
        out[f"rules_{regime}"] = ("scenarios/rules_2026_27.toml", [f"deficit.regime={regime}"])
    out["baseline_none"] = ("scenarios/baseline.toml", ["deficit.regime=none"])
    return out


def command(path: str, overrides: Sequence[str], out: Path, n: int) -> list[str]:
    cmd = [sys.executable, "-m", "sim", "run", path, "--out", str(out), "-n", str(n), "--quiet"]
    for o in overrides:
        cmd += ["--set", o]
    return cmd


def run_all(tree: Path, out: Path, n: int, v1: bool, skip: bool) -> None:
    for name, (path, overrides) in runs(v1).items():
        if skip and (out / name).exists():
            continue
        cmd = command(path, overrides, out / name, n)
        print("$", " ".join(cmd[1:]), file=sys.stderr)
        done = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, check=False)
        if not list((out / name).glob("**/summary.csv")):
            sys.exit(f"{name} failed:\n{done.stderr[-2000:]}")


def run_dir(out: Path, name: str, scenario: str | None = None) -> Path:
    """The one run directory under ``out/name`` (or the named scenario of the library)."""
    base = out / name
    if scenario is not None:
        return base / scenario
    (found,) = [p.parent for p in base.glob("*/summary.csv")]
    return found


def summary(d: Path) -> dict[tuple[str, str], float]:
    with (d / "summary.csv").open() as fh:
        return {(r["measure"], r["detail"]): float(r["mean"]) for r in csv.DictReader(fh)}


def by(s: dict[tuple[str, str], float], measure: str) -> dict[str, float]:
    return {d: v for (m, d), v in s.items() if m == measure}


def sector_years(d: Path) -> pd.DataFrame:
    """Per replication, financial year and sector: plan, spend, unmet, in-year money out."""
    cols = ["replication", "month", "sector", "kind", "allocation_pence", "spend_pence"]
    cols += ["unmet_pence", "transfers_out_pence", "need_pence", "spill_in_pence"]
    ts = pq.read_table(d / "timeseries.parquet", columns=cols).to_pandas()
    ts["sector"], ts["kind"] = ts["sector"].astype(str), ts["kind"].astype(str)
    ts["year"] = ts["month"] // 12
    flows = ts.groupby(["replication", "year", "sector", "kind"], observed=True)[
        ["spend_pence", "unmet_pence", "transfers_out_pence", "need_pence", "spill_in_pence"]
    ].sum()
    april = ts[ts["month"] % 12 == 0]
    plan = april.groupby(["replication", "year", "sector", "kind"], observed=True)[
        "allocation_pence"
    ].sum()
    return flows.join(plan.rename("plan_pence")).reset_index()


def real_growth(sy: pd.DataFrame, inflation: float, column: str) -> dict[str, float]:
    """Mean over replications of the real growth a year, first to last year, per sector."""
    years = int(sy["year"].max()) + 1
    first = sy[sy["year"] == 0].set_index(["replication", "sector"])[column]
    last = sy[sy["year"] == years - 1].set_index(["replication", "sector"])[column]
    g = ((last / first) / (1 + inflation) ** (years - 1)) ** (1 / (years - 1)) - 1
    return {k: float(v) for k, v in g.groupby("sector").mean().items()}


def total_growth(sy: pd.DataFrame, inflation: float) -> float:
    """Mean real growth a year of all sectors' spending together, first to last year."""
    years = int(sy["year"].max()) + 1
    spend = sy.groupby(["replication", "year"]).spend_pence.sum().unstack()
    g = (spend[years - 1] / spend[0] / (1 + inflation) ** (years - 1)) ** (1 / (years - 1)) - 1
    return float(g.mean())


def inflation_of(d: Path) -> float:
    sc = json.loads((d / "manifest.json").read_text())["scenario"]
    return float(sc.get("allocation", {}).get("inflation", 0.025))


def in_year_moves(d: Path) -> pd.DataFrame:
    """In-year money out of budgets (board transfers or recovery-plan pauses), one row each."""
    tr = pq.read_table(d / "transfers.parquet").to_pandas()
    for c in ("reason", "from_account", "to_account"):
        tr[c] = tr[c].astype(str)
    keep = tr["reason"].str.contains("board meeting|recovery plan") & tr[
        "from_account"
    ].str.startswith("budget:")
    return tr[keep].assign(month_of_year=lambda t: t["month"] % 12)


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def report(out: Path, out_v1: Path | None) -> dict[str, Any]:
    """Print the section's figures; return what the charts need."""
    charts: dict[str, Any] = {}
    lib = run_dir(out, "library", "baseline")
    base = summary(lib)
    print("\n## Library (model v2), final-year primary share, real growth, money moved, unmet")
    for d in sorted((out / "library").glob("*/summary.csv")):
        s = summary(d.parent)
        share = by(s, "primary_care_share")
        years = list(share)
        rg = by(s, "real_growth")
        print(
            f"{d.parent.name}: share {pct(share[years[0]], 2)} -> {pct(share[years[-1]], 2)}; "
            + "growth "
            + ", ".join(f"{k[:14]} {100 * v:+.2f}" for k, v in rg.items())
            + f"; moved out {', '.join(f'{k[:14]} {v:.1f}' for k, v in by(s, 'moved_out').items())}"
            + f"; unmet {', '.join(f'{k[:14]} {v:.1f}' for k, v in by(s, 'unmet_need').items())}"
            + f"; unmet primary {s[('unmet_primary_need', 'cumulative')]:.1f}"
            + f"; spill {s[('spill_over_cost', 'cumulative')]:.1f}"
            + f"; acute overspend {s[('acute_overspend', 'cumulative')]:.1f}"
            + f"; deficit {s[('system_deficit', 'end of horizon')]:.1f}"
            + f"; repaid {s[('deficit_repaid', 'cumulative')]:.1f}"
            + f"; underlying {', '.join(f'{v:.1f}' for v in by(s, 'underlying_deficit').values())}"
            + f"; left shift {pct(next(iter(by(s, 'left_shift').values())))} -> "
            + f"{pct(list(by(s, 'left_shift').values())[-1])}"
            + f"; consensus {s[('plans_by_consensus', 'count')]:.2f}"
            + f"; agreement {s[('plan_agreement', 'mean over plans')]:.3f}"
            + f"; extraordinary {s[('extraordinary_meetings', 'count')]:.2f}"
        )
    charts["growth_v2"] = by(base, "real_growth")
    print(
        "all sectors' spending, real growth a year (baseline):",
        round(total_growth(sector_years(lib), inflation_of(lib)), 4),
    )

    sy = sector_years(lib)
    gp = sy[sy["sector"] == "general practice"]
    print("\n## General practice money moved in-year, % of its plan, by year (v2)")
    print(gp.assign(r=gp.transfers_out_pence / gp.plan_pence).groupby("year").r.mean().round(4))
    moves = in_year_moves(lib)
    total = moves["amount_pence"].sum()
    print("share of in-year money by month of the year (0 = April):")
    print((moves.groupby("month_of_year").amount_pence.sum() / total).round(3).to_dict())
    print("by reason £m a replication:")
    n = sy["replication"].nunique()
    print((moves.groupby("reason").amount_pence.sum() / n / 1e8).round(1).to_dict())
    per = moves[moves.from_account.str.endswith(":general practice")].groupby(
        ["replication", "month"]
    )
    biggest = per.amount_pence.sum()
    print(
        f"largest one-month GP outflow £m: max {biggest.max() / 1e8:.1f}, mean of each "
        f"replication's largest {biggest.groupby('replication').max().mean() / 1e8:.1f}"
    )

    print("\n## GP seats 1-6 (model v2): final share, moved primary, unmet primary, deficit")
    charts["gp_v2"] = gp_table(out)
    if out_v1 is not None:
        print("## GP seats 1-6 (first version)")
        charts["gp_v1"] = gp_table(out_v1)

    print("\n## Split board (2 extra GP seats, primary_care tilt 2.0): rules")
    for name in (
        "consensus_then_majority",
        "simple_majority",
        "split_no_casting",
        "two_thirds",
        "unanimity",
    ):
        key = name if name.startswith("split_") else f"split_{name}"
        s = summary(run_dir(out, key))
        share = list(by(s, "primary_care_share").values())[-1]
        print(
            f"{name}: agreement {s[('plan_agreement', 'mean over plans')]:.3f}, consensus "
            f"{s[('plans_by_consensus', 'count')]:.1f}, final share {pct(share, 2)}, GP growth "
            f"{100 * s[('real_growth', 'general practice')]:+.2f}%, unmet primary "
            f"{s[('unmet_primary_need', 'cumulative')]:.1f}, deficit "
            f"{s[('system_deficit', 'end of horizon')]:.1f}"
        )

    print("\n## Ring-fence displacement (primary_care_ringfence vs baseline)")
    fenced = summary(run_dir(out, "library", "primary_care_ringfence"))
    for key in (
        ("real_growth", "community"),
        ("real_growth", "general practice"),
        ("unmet_need", "community"),
        ("moved_out", "community"),
        ("unmet_primary_need", "cumulative"),
        ("system_deficit", "end of horizon"),
    ):
        print(key, round(base[key], 4), "->", round(fenced[key], 4))
    fsy = sector_years(run_dir(out, "library", "primary_care_ringfence"))
    print(
        "community plan real growth:",
        real_growth(sy, 0.025, "plan_pence")["community"],
        "->",
        real_growth(fsy, 0.025, "plan_pence")["community"],
    )

    print("\n## Minimum share at every month-end vs at plan only (13% primary, no in-year ban)")
    charts["share"] = {}
    for rule in ("min_share", "min_share_at_plan"):
        d = run_dir(out, f"share_{rule}")
        ts = pq.read_table(
            d / "timeseries.parquet",
            columns=["replication", "month", "kind", "budget_pence", "allocation_pence"],
        ).to_pandas()
        ts["kind"] = ts["kind"].astype(str)
        money = ts.groupby(["replication", "month"]).allocation_pence.sum()
        primary = ts[ts.kind == "primary"].groupby(["replication", "month"]).budget_pence.sum()
        below = primary < np.ceil(0.13 * money)
        share = (primary / money).groupby("month").mean()
        charts["share"][rule] = share
        s = summary(d)
        print(
            f"{rule}: month-ends below 13%: {int(below.sum())} of {below.size} "
            f"(replications with any: {int(below.groupby('replication').any().sum())}); "
            f"lowest {pct(float((primary / money).min()), 3)}; moved out of GP "
            f"{s[('moved_out', 'general practice')]:.1f}; unmet community "
            f"{s[('unmet_need', 'community')]:.1f}"
        )

    print("\n## Spill-over at the top of the documented range (rate 1.052) vs baseline (0.285)")
    charts["spill"] = {}
    for name, d, rate in (
        (DEFAULT_SPILL, lib, (0.033 * 242 + 0.002 * 2000) / 42),
        (TOP_SPILL_LABEL, run_dir(out, "spill_top"), (0.1 * 242 + 0.01 * 2000) / 42),
    ):
        charts["spill"][name] = spill_by_year(sector_years(d), rate, name)
    if out_v1 is not None:
        d = run_dir(out_v1, "spill_e1")
        charts["spill"][FIRST_SPILL] = spill_by_year(sector_years(d), 1.0, FIRST_SPILL)

    print("\n## Deficit regimes on rules_2026_27 (and the baseline without repayment)")
    for name, d in (
        ("individual_breakeven", run_dir(out, "library", "rules_2026_27")),
        ("system_breakeven", run_dir(out, "rules_system_breakeven")),
        ("none", run_dir(out, "rules_none")),
        ("baseline in_force", lib),
        ("baseline none", run_dir(out, "baseline_none")),
    ):
        s = summary(d)
        print(
            f"{name}: repaid {s[('deficit_repaid', 'cumulative')]:.1f}, owed at end "
            f"{s[('system_deficit', 'end of horizon')]:.1f}, underlying by year "
            f"{', '.join(f'{v:.1f}' for v in by(s, 'underlying_deficit').values())}, community "
            f"growth {100 * s[('real_growth', 'community')]:+.2f}%, unmet community "
            f"{s[('unmet_need', 'community')]:.1f}"
        )

    if out_v1 is not None:
        print("\n## First version")
        v1 = run_dir(out_v1, "library", "baseline")
        v1sy = sector_years(v1)
        infl = inflation_of(v1)
        charts["growth_v1"] = real_growth(v1sy, infl, "spend_pence")
        print("real growth of spending:", {k: round(v, 4) for k, v in charts["growth_v1"].items()})
        print("all sectors:", round(total_growth(v1sy, infl), 4))
        print(
            "real growth of plans:",
            {k: round(v, 4) for k, v in real_growth(v1sy, infl, "plan_pence").items()},
        )
        g1 = v1sy[v1sy["sector"] == "general practice"]
        print("GP moved in-year % of plan by year:")
        print(g1.assign(r=g1.transfers_out_pence / g1.plan_pence).groupby("year").r.mean().round(4))
        m1 = in_year_moves(v1)
        t1 = m1["amount_pence"].sum()
        april = m1[(m1.month_of_year == 0) & m1.reason.str.startswith("extraordinary")]
        print(
            f"share of in-year money at extraordinary April meetings: {pct(april.amount_pence.sum() / t1)}"
        )
        print(f"in-year money £m a replication: {t1 / v1sy['replication'].nunique() / 1e8:.1f}")
        rec = pq.read_table(v1 / "transfers.parquet").to_pandas()
        rec = rec[rec["reason"].astype(str).str.contains("board meeting")]
        print(
            f"recurrent share of board transfers: {rec[rec.recurrent].amount_pence.sum() / rec.amount_pence.sum():.3f}"
        )
        big = (
            m1[m1.from_account.str.endswith(":general practice")]
            .groupby(["replication", "month"])
            .amount_pence.sum()
        )
        print(
            f"largest one-month GP outflow £m: max {big.max() / 1e8:.1f}, mean of each replication's largest {big.groupby('replication').max().mean() / 1e8:.1f}"
        )
        for name in ("baseline", "primary_care_ringfence"):
            s = summary(run_dir(out_v1, "library", name))
            ssy = sector_years(run_dir(out_v1, "library", name))
            unmet = ssy.groupby("sector").unmet_pence.sum() / ssy["replication"].nunique() / 1e8
            print(
                f"{name}: share {', '.join(pct(v, 2) for v in by(s, 'primary_care_share').values())}; "
                f"moved {s[('moved_primary_to_secondary', 'cumulative')]:.1f}; deficit "
                f"{s[('system_deficit', 'end of horizon')]:.1f}; community plan growth "
                f"{100 * real_growth(ssy, infl, 'plan_pence')['community']:+.2f}%; unmet "
                f"community {unmet['community']:.1f}"
            )
    return charts


def gp_table(out: Path) -> pd.DataFrame:
    rows = []
    for k in range(1, 7):
        s = summary(run_dir(out, f"gp{k}"))
        share = by(s, "primary_care_share")
        for year, v in share.items():
            rows.append({"seats": k, "year": year, "share": v})
        print(
            f"{k} GP seats: share {', '.join(pct(v, 2) for v in share.values())}; moved primary "
            f"{s[('moved_primary_to_secondary', 'cumulative')]:.1f}; unmet primary "
            f"{s[('unmet_primary_need', 'cumulative')]:.1f}; GP growth "
            f"{100 * s.get(('real_growth', 'general practice'), float('nan')):+.2f}%; community "
            f"growth {100 * s.get(('real_growth', 'community'), float('nan')):+.2f}%; acute "
            f"overspend {s[('acute_overspend', 'cumulative')]:.1f}; deficit "
            f"{s[('system_deficit', 'end of horizon')]:.1f}; consensus "
            f"{s.get(('plans_by_consensus', 'count'), float('nan')):.1f}"
        )
    return pd.DataFrame(rows)


def spill_by_year(sy: pd.DataFrame, rate: float, name: str) -> pd.DataFrame:
    n = sy["replication"].nunique()
    source = sy[sy["kind"].isin(["primary", "community"])].groupby("year")
    need = source.need_pence.sum() / n / 1e8
    unmet = source.unmet_pence.sum() / n / 1e8
    spill = sy.groupby("year").spill_in_pence.sum() / n / 1e8
    per = sy.groupby(["replication", "year"])
    ratio = per.spill_in_pence.sum() / (
        rate
        * sy[sy["kind"].isin(["primary", "community"])]
        .groupby(["replication", "year"])
        .need_pence.sum()
    )
    print(
        f"{name}: total spill £{spill.sum():.0f}m; largest replication-year spill/bound {ratio.max():.3f}"
    )
    for y in need.index:
        print(
            f"  year {y + 1}: spill-from need £{need[y]:.0f}m, its unmet £{unmet[y]:.1f}m, "
            f"bound £{rate * need[y]:.0f}m, spill-over £{spill[y]:.1f}m"
        )
    return pd.DataFrame(
        {"year": need.index + 1, "spill": spill.values, "bound": rate * need.values}
    )


# -- charts ---------------------------------------------------------------------------------
def png(spec: dict[str, Any], name: str) -> Path:
    path = IMAGES / name
    path.write_bytes(vlc.vegalite_to_png(themed(spec), scale=2))
    print("wrote", path.relative_to(ROOT), file=sys.stderr)
    return path


def gp_chart(charts: dict[str, Any]) -> None:
    frames = [charts["gp_v2"].assign(model="Model v2")]
    if "gp_v1" in charts:
        frames.insert(0, charts["gp_v1"].assign(model="First version"))
    data = pd.concat(frames)
    data["label"] = data["seats"].map(lambda k: f"{k} GP seat" + ("s" if k > 1 else ""))
    layer = {
        "mark": {"type": "line", "point": True, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": "Financial year",
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": "Primary-care share of budgets",
                "axis": {"format": ".1%"},
                "scale": {"zero": False},
            },
            "color": {
                "field": "label",
                "type": "nominal",
                "title": "Board",
                "sort": [f"{k} GP seat" + ("s" if k > 1 else "") for k in range(1, 7)],
                "scale": {"range": list(PALETTE[:6])},
            },
        },
        "width": 300,
        "height": 260,
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": data.to_dict(orient="records")},
        "facet": {
            "column": {
                "field": "model",
                "type": "nominal",
                "title": None,
                "sort": ["First version", "Model v2"],
            }
        },
        "spec": layer,
        "resolve": {"scale": {"y": "shared"}},
        "title": {
            "text": "Primary care's share of budgets, by number of GP seats",
            "subtitle": "Baseline board plus 0-5 GP seats; mean of 500 replications, seed 20250401",
        },
    }
    png(spec, "model_gp_seats.png")


def growth_chart(charts: dict[str, Any]) -> None:
    rows = []
    order = list(HISTORY)
    for sector, v in HISTORY.items():
        rows.append({"sector": sector, "series": "History 2016/17-2022/23", "growth": v})
        rows.append(
            {
                "sector": sector,
                "series": "Model v2 (baseline)",
                "growth": charts["growth_v2"][sector],
            }
        )
        if "growth_v1" in charts:
            rows.append(
                {
                    "sector": sector,
                    "series": "First version (baseline)",
                    "growth": charts["growth_v1"][sector],
                }
            )
    series = ["History 2016/17-2022/23", "Model v2 (baseline)"]
    if "growth_v1" in charts:
        series.append("First version (baseline)")
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "sector", "type": "nominal", "sort": order, "title": None},
            "yOffset": {"field": "series", "sort": series},
            "x": {
                "field": "growth",
                "type": "quantitative",
                "title": "Real growth of spending a year",
                "axis": {"format": ".0%"},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "sort": series,
                "title": None,
                "scale": {"range": [PALETTE[6], PALETTE[0], PALETTE[1]]},
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
        },
        "width": 420,
        "height": {"step": 14},
        "title": {
            "text": "Real growth a year by sector: the model against history",
            "subtitle": [
                "History: Nuffield Trust, 2016/17-2022/23 (ophthalmic and pharmacy for the last row;",
                "dentistry -2.2%). Model: baseline, first to last year, mean of 500 replications.",
            ],
        },
    }
    png(spec, "model_real_growth.png")


def share_chart(charts: dict[str, Any]) -> None:
    rows = []
    names = {
        "min_share": "min_share (every month-end)",
        "min_share_at_plan": "min_share_at_plan (plan only)",
    }
    for rule, share in charts["share"].items():
        for m, v in share.items():
            rows.append({"month": int(m) + 1, "share": float(v), "rule": names[rule]})
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "line", "strokeWidth": 2, "interpolate": "step-after"},
                "encoding": {
                    "x": {
                        "field": "month",
                        "type": "quantitative",
                        "title": "Month of the run (1 = April 2025)",
                        "axis": {"values": [1, 13, 25, 37, 49, 61]},
                        "scale": {"domain": [1, 61]},
                    },
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "title": "Primary care's budgets / planned money",
                        "axis": {"format": ".2%"},
                        "scale": {"zero": False},
                    },
                    "color": {
                        "field": "rule",
                        "type": "nominal",
                        "title": None,
                        "scale": {"range": [PALETTE[0], PALETTE[1]]},
                        "legend": {"orient": "bottom", "direction": "horizontal"},
                    },
                },
            },
            {
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#59636e"},
                "encoding": {"y": {"datum": 0.13}},
            },
        ],
        "width": 520,
        "height": 220,
        "title": {
            "text": "A 13% minimum share for primary care, month by month",
            "subtitle": "Baseline with the rule added (no in-year ban); mean of 500 replications at each month-end",
        },
    }
    png(spec, "model_month_end_share.png")


def spill_chart(charts: dict[str, Any]) -> None:
    rows = []
    for name, df in charts["spill"].items():
        for _, r in df.iterrows():
            rows.append({"year": int(r.year), "value": float(r.spill), "series": name})
    for _, r in charts["spill"][TOP_SPILL_LABEL].iterrows():
        rows.append({"year": int(r.year), "value": float(r.bound), "series": BOUND_LABEL})
    order = [*charts["spill"], BOUND_LABEL]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "mark": {"type": "line", "point": True, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": "Year of the run (1 = 2025/26)",
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "value", "type": "quantitative", "title": "Spill-over cost a year (£m)"},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "sort": order,
                "scale": {"range": [PALETTE[0], PALETTE[4], PALETTE[1], "#8c959f"]},
                "legend": {"orient": "bottom", "direction": "vertical"},
            },
            "strokeDash": {
                "condition": {"test": f"datum.series === '{BOUND_LABEL}'", "value": [5, 4]},
                "value": [1, 0],
            },
        },
        "width": 420,
        "height": 240,
        "title": {
            "text": "Spill-over into hospitals a year",
            "subtitle": "Baseline; mean of 500 replications. The dashed line is the proof's bound (section 5.4)",
        },
    }
    png(spec, "model_spill_over.png")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=Path("/tmp/model_figures"))
    ap.add_argument("-n", "--replications", type=int, default=500)
    ap.add_argument("--v1", type=Path, default=None, help="source tree of the first version")
    ap.add_argument("--skip-runs", action="store_true")
    args = ap.parse_args()
    out = args.out / "v2"
    run_all(ROOT, out, args.replications, False, args.skip_runs)
    out_v1 = None
    if args.v1 is not None:
        out_v1 = args.out / "v1"
        run_all(args.v1, out_v1, args.replications, True, args.skip_runs)
    charts = report(out, out_v1)
    IMAGES.mkdir(parents=True, exist_ok=True)
    gp_chart(charts)
    growth_chart(charts)
    share_chart(charts)
    spill_chart(charts)


if __name__ == "__main__":
    main()

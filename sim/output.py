"""Writing a run to disk: manifest.json, summary.csv, timeseries.parquet, transfers.parquet,
decisions.parquet, power.csv and plan.csv.

A scenario's outputs go to ``DIR/<scenario-name>/`` and appear all at once: they are written
into a temporary directory beside it, which is then renamed into place.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.results import Results
from sim.scenario import Scenario
from sim.summary import SummaryRow, headline_measures, summarise

OUTPUT_FILES = (
    "manifest.json",
    "summary.csv",
    "timeseries.parquet",
    "transfers.parquet",
    "decisions.parquet",
    "power.csv",
    "plan.csv",
    "measures.parquet",
)


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario fully resolved, as plain data (what a TOML file would hold)."""
    doc: dict[str, Any] = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return doc


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON."""
    text = json.dumps(scenario_document(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(res: Results) -> dict[str, Any]:
    """Provenance of a run: the scenario as run, its hash, seed, replications, version."""
    from sim import __version__

    return {
        "scenario_name": res.scenario.name,
        "scenario_hash": scenario_hash(res.scenario),
        "seed": res.scenario.seed,
        "replications": res.n,
        "package_version": __version__,
        "scenario": scenario_document(res.scenario),
        "files": list(OUTPUT_FILES),
    }


def timeseries_table(res: Results) -> pa.Table:
    """Tidy table: one row per replication, month, place and sector; money in pence."""
    r, m, p, s = res.series["budget"].shape
    cal = res.calendar
    rep = np.repeat(res.replications, m * p * s)
    month = np.tile(np.repeat(np.arange(m), p * s), r)
    place = np.tile(np.repeat(np.arange(p), s), r * m)
    sector = np.tile(np.arange(s), r * m * p)
    labels = [cal.label(i) for i in range(m)]
    years = [cal.financial_year(i // 12) for i in range(m)]
    cols: dict[str, Any] = {
        "replication": pa.array(rep, pa.int64()),
        "month": pa.array(month, pa.int16()),
        "period": pa.DictionaryArray.from_arrays(pa.array(month, pa.int16()), pa.array(labels)),
        "financial_year": pa.DictionaryArray.from_arrays(
            pa.array(month, pa.int16()), pa.array(years)
        ),
        "place": pa.DictionaryArray.from_arrays(
            pa.array(place, pa.int16()), pa.array(res.place_names)
        ),
        "sector": pa.DictionaryArray.from_arrays(
            pa.array(sector, pa.int16()), pa.array(res.sector_names)
        ),
        "kind": pa.DictionaryArray.from_arrays(
            pa.array(sector, pa.int16()), pa.array(res.sector_kinds)
        ),
    }
    for name, arr in res.series.items():
        cols[f"{name}_pence"] = pa.array(arr.reshape(-1), pa.int64())
    return pa.table(cols)


def transfers_table(res: Results) -> pa.Table:
    """One row per recorded transfer and replication; money in pence."""
    t = res.transfers()
    names = ["NHS England", *res.account_names]
    cal = res.calendar
    return pa.table(
        {
            "replication": pa.array(t.replication, pa.int64()),
            "month": pa.array(t.month, pa.int16()),
            "period": pa.DictionaryArray.from_arrays(
                pa.array(t.month, pa.int16()), pa.array([cal.label(i) for i in range(cal.months)])
            ),
            "from_account": pa.DictionaryArray.from_arrays(
                pa.array(t.source + 1, pa.int32()), pa.array(names)
            ),
            "to_account": pa.DictionaryArray.from_arrays(
                pa.array(t.target + 1, pa.int32()), pa.array(names)
            ),
            "amount_pence": pa.array(t.amount, pa.int64()),
            "recurrent": pa.array(t.recurrent, pa.bool_()),
            "reason": pa.DictionaryArray.from_arrays(
                pa.array(t.reason, pa.int32()), pa.array(t.reasons or ("",))
            ),
        }
    )


def decisions_table(res: Results) -> pa.Table:
    """One row per board meeting, replication and place: the proposal, the decision, why."""
    mt = res.meetings
    n, p = mt.proposal.shape
    cal = res.calendar
    names = [f"{m.name}" for m in res.scenario.board.all_members()]
    rules = list(res.rule_names)
    pooled = np.array([pl.pooled_gbp_m > 0 for pl in res.scenario.places])
    delegated = np.array([pl.delegated for pl in res.scenario.places])
    present = [[names[j] for j in np.flatnonzero(row)] for row in mt.present]
    bound = [[rules[k] for k in np.flatnonzero(row)] for row in mt.bound]
    pivot = np.where(mt.pivot >= 0, mt.pivot, len(names))
    label = [*names, ""]
    agreed = np.floor(mt.cover * mt.proposal).astype(np.int64)
    rep = np.repeat(np.arange(n), p)
    place = np.tile(np.arange(p), n)
    return pa.table(
        {
            "replication": pa.array(mt.replication[rep], pa.int64()),
            "meeting": pa.array(mt.number()[rep], pa.int32()),
            "month": pa.array(mt.month[rep], pa.int16()),
            "period": pa.array([cal.label(int(x)) for x in mt.month[rep]]),
            "extraordinary": pa.array(mt.extraordinary[rep]),
            "place": pa.array([res.place_names[i] for i in place]),
            "delegated": pa.array(delegated[place]),
            "proposal_pence": pa.array(mt.proposal.reshape(-1), pa.int64()),
            "cover": pa.array(mt.cover.reshape(-1)),
            "agreed_pence": pa.array(agreed.reshape(-1), pa.int64()),
            "support_before_pence": pa.array(mt.support_before.reshape(-1), pa.int64()),
            "moved_pence": pa.array(mt.moved.reshape(-1), pa.int64()),
            "pivot": pa.array([label[int(j)] for j in pivot.reshape(-1)]),
            "quorate": pa.array(mt.quorate.reshape(-1)),
            "consensus": pa.array(mt.consensus.reshape(-1)),
            # Consent is asked only where there is pooled money; elsewhere it is null.
            "consent": pa.array(
                [
                    bool(c) if has else None
                    for c, has in zip(mt.consent.reshape(-1), np.tile(pooled, n), strict=True)
                ],
                pa.bool_(),
            ),
            "pooled_held": pa.array(mt.pooled_held.reshape(-1)),
            "present": pa.array([present[i] for i in rep], pa.list_(pa.string())),
            "bound_rules": pa.array([bound[i] for i in rep], pa.list_(pa.string())),
        }
    )


def write_power_csv(res: Results, path: Path) -> None:
    """Voting power of each board composition, by bloc and by member."""
    cal = res.calendar
    cols = [
        "from_period",
        "level",
        "name",
        "constituency",
        "voting",
        "members",
        "shapley_shubik",
        "banzhaf_normalised",
        "banzhaf_absolute",
        "rule",
    ]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for month, vp in res.compositions:
            period = cal.label(month)
            b = vp.by_bloc()
            for j, bloc in enumerate(b.blocs):
                w.writerow(
                    [
                        period,
                        "bloc",
                        bloc,
                        bloc,
                        b.voting_members[j],
                        b.members[j],
                        f"{b.shapley_shubik[j]:.10g}",
                        f"{b.banzhaf_normalised[j]:.10g}",
                        f"{b.banzhaf_absolute[j]:.10g}",
                        vp.rule,
                    ]
                )
            for i, name in enumerate(vp.names):
                w.writerow(
                    [
                        period,
                        "member",
                        name,
                        vp.constituencies[i],
                        int(vp.voting[i]),
                        1,
                        f"{vp.shapley_shubik[i]:.10g}",
                        f"{vp.banzhaf_normalised[i]:.10g}",
                        f"{vp.banzhaf_absolute[i]:.10g}",
                        vp.rule,
                    ]
                )


def measures_table(res: Results) -> pa.Table:
    """Every headline measure for every replication (for paired comparisons)."""
    rep, name, detail, unit, value = [], [], [], [], []
    for m in headline_measures(res):
        rep.append(res.replications)
        value.append(m.values)
        name += [m.name] * res.n
        detail += [m.detail] * res.n
        unit += [m.unit] * res.n
    return pa.table(
        {
            "replication": pa.array(np.concatenate(rep), pa.int64()),
            "measure": pa.array(name),
            "detail": pa.array(detail),
            "unit": pa.array(unit),
            "value": pa.array(np.concatenate(value), pa.float64()),
        }
    )


def write_plan_csv(res: Results, path: Path) -> None:
    """The board's compromise division of growth money between sectors, each year."""
    cal = res.calendar
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["financial_year", "sector", "kind", "growth_share"])
        for month, shares in res.plan_compromise:
            for s, share in enumerate(shares):
                w.writerow(
                    [
                        cal.financial_year(month // 12),
                        res.sector_names[s],
                        res.sector_kinds[s],
                        f"{share:.10g}",
                    ]
                )


def write_summary_csv(rows: list[SummaryRow], path: Path) -> None:
    """Summary rows as CSV (one row per measure and detail)."""
    fields = list(SummaryRow.__dataclass_fields__)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for row in rows:
            d = asdict(row)
            w.writerow({k: (f"{v:.10g}" if isinstance(v, float) else v) for k, v in d.items()})


def write_run(res: Results, out_dir: str | Path) -> Path:
    """Write a run's four output files atomically to ``out_dir/<scenario-name>/``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    final = out / res.scenario.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{res.scenario.name}.", dir=out))
    try:
        (tmp / "manifest.json").write_text(json.dumps(manifest(res), indent=2) + "\n")
        write_summary_csv(summarise(res), tmp / "summary.csv")
        pq.write_table(timeseries_table(res), tmp / "timeseries.parquet")
        pq.write_table(transfers_table(res), tmp / "transfers.parquet")
        pq.write_table(decisions_table(res), tmp / "decisions.parquet")
        write_power_csv(res, tmp / "power.csv")
        write_plan_csv(res, tmp / "plan.csv")
        pq.write_table(measures_table(res), tmp / "measures.parquet")
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{res.scenario.name}.old.", dir=out))
            os.replace(final, old / "previous")
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final

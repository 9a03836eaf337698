"""Writing a run to disk: manifest.json, summary.csv, timeseries.parquet, transfers.parquet.

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
from sim.summary import SummaryRow, summarise

OUTPUT_FILES = ("manifest.json", "summary.csv", "timeseries.parquet", "transfers.parquet")


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

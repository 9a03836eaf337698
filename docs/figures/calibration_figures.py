"""The charts of docs/calibration.md and docs/sensitivity.md, from the commands' outputs.

Reads the folders ``python -m sim calibrate --backtest`` and ``python -m sim sensitivity``
wrote, and draws the same charts they draw (``sim.calibration.report``) as PNG, with the
project's theme::

    .venv/bin/python -m sim calibrate --backtest --out /tmp/docruns
    .venv/bin/python -m sim sensitivity scenarios/baseline.toml --out /tmp/docruns
    .venv/bin/python docs/figures/calibration_figures.py /tmp/docruns
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import vl_convert as vlc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.calibration.report import fit_chart, sensitivity_chart  # noqa: E402
from sim.charts.theme import themed  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def png(spec: dict[str, Any], name: str) -> None:
    path = IMAGES / name
    path.write_bytes(vlc.vegalite_to_png(themed(spec), scale=2))
    print("wrote", path.relative_to(ROOT), file=sys.stderr)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/docruns")
    cal = out / "calibration-history_2016_2023"
    manifest = json.loads((cal / "manifest.json").read_text(encoding="utf-8"))
    subtitle = (
        "2016/17 to 2022/23: published real growth a year (Nuffield Trust) against the "
        f"model (mean, 5th-95th percentiles of {manifest['replications']} replications)"
    )
    fit = rows(cal / "fit.csv")
    png(fit_chart(fit, None, subtitle), "calibration_fit.png")
    png(fit_chart(fit, rows(cal / "backtest.csv"), subtitle), "calibration_backtest.png")
    sens = out / "sensitivity-baseline"
    png(sensitivity_chart(rows(sens / "sobol.csv"), "baseline"), "sensitivity_baseline.png")


if __name__ == "__main__":
    main()

"""A calibration's and a sensitivity study's results as text tables and files.

Calibration (``<out>/calibration-<scenario>/``): ``parameters.csv`` (each free parameter's
start, fitted value, standard error and range), ``fit.csv`` (each target: history, the
model's mean and 5th-95th percentiles, the error), ``fitted.toml`` (the fitted values by
field path, to copy into scenario files), ``fit.svg`` (the chart of model against history)
and, with ``--backtest``, ``backtest.csv`` and ``backtest.svg``.

Sensitivity (``<out>/sensitivity-<scenario>/``): ``morris.csv``, ``sobol.csv`` and
``sensitivity.svg`` (total Sobol' indices by measure), beside the ``samples/`` it ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from sim.calibration.backtest import HeldOut, rmse
from sim.calibration.fit import Fit
from sim.calibration.moments import Problem
from sim.calibration.outputs import csv_text, publish
from sim.calibration.study import Study
from sim.charts.bars import bar_chart
from sim.charts.intervals import interval_chart
from sim.charts.render import to_svg
from sim.scenario.loader import display_path

PUBLISHED, MODEL, HELD_OUT = "published", "model, fitted", "model, fitted without it"


def _pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:+.{digits}f}%"


def _settings(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: str(v) if isinstance(v, Path) else v
        for k, v in values.items()
        if isinstance(v, str | int | float | bool | Path) or v is None
    }


def fit_rows(problem: Problem, fitted: Fit) -> list[list[Any]]:
    """Each target: label, history, model mean, 5th and 95th percentiles, error, used."""
    rows = []
    for k, t in enumerate(problem.spec.targets):
        col = fitted.draws[:, k]
        mean = float(col.mean())
        rows.append(
            [
                t.label,
                float(problem.targets[k]),
                mean,
                float(np.quantile(col, 0.05)),
                float(np.quantile(col, 0.95)),
                mean - float(problem.targets[k]),
                bool(fitted.used[k]),
            ]
        )
    return rows


def calibration_table(problem: Problem, fitted: Fit, held: list[HeldOut] | None) -> str:
    """The fitted parameters, the fit per target and the backtest, as text."""
    lines = [
        f"Calibration of {problem.scenario_path.name}: {problem.replications} replications, "
        f"seed {problem.seed}, {fitted.evaluations} evaluations, {fitted.seconds:.0f} s",
        f"({fitted.message})",
        "",
        f"{'parameter':<42} {'fitted':>9} {'std error':>10}   range",
    ]
    for p, v, se in zip(problem.spec.parameters, fitted.values, fitted.se, strict=True):
        shown = "not identified" if not np.isfinite(se) else f"{se:.4f}"
        lines.append(f"{p.name:<42} {v:>9.4f} {shown:>10}   {p.low:g} to {p.high:g}")
    n_used = int(fitted.used.sum())
    free = len(problem.spec.parameters)
    lines += [
        "",
        f"distance at the fit Q = {2 * fitted.cost:.3g}, on {n_used - free} degrees of freedom "
        f"({n_used} targets, {free} parameters)",
    ]
    lines += ["", f"{'target':<32} {'history':>8} {'model':>8} {'5%-95%':>17} {'error':>8}"]
    for label, h, m, lo, hi, err, used in fit_rows(problem, fitted):
        band = f"{_pct(lo, 1)} to {_pct(hi, 1)}"
        note = "" if used else "  (not in the objective)"
        lines.append(f"{label:<32} {_pct(h):>8} {_pct(m):>8} {band:>17} {_pct(err):>8}{note}")
    if held:
        lines += ["", "Backtest: each target predicted by the fit without it"]
        for h_ in held:
            band = f"{_pct(h_.low, 1)} to {_pct(h_.high, 1)}"
            lines.append(
                f"{h_.target:<32} {_pct(h_.history):>8} {_pct(h_.mean):>8} {band:>17} "
                f"{_pct(h_.error):>8}"
            )
        lines.append(f"error on what was held out (RMSE): {100 * rmse(held):.2f} points a year")
    return "\n".join(lines)


FIT_COLUMNS = ["target", "history", "model_mean", "model_p05", "model_p95", "error", "fitted"]
BACKTEST_COLUMNS = [
    "target",
    "history",
    "predicted_mean",
    "predicted_p05",
    "predicted_p95",
    "error",
]


def fit_chart(
    fit: list[dict[str, Any]], held: list[dict[str, Any]] | None, subtitle: str
) -> dict[str, Any]:
    """Model against history by target, as a Vega-Lite dict: rows of ``fit.csv`` (and of
    ``backtest.csv``), as dictionaries of their columns (numbers may be text)."""
    rows: list[dict[str, Any]] = []
    held_by = {str(h["target"]): h for h in held or []}
    for r in fit:
        label = str(r["target"])
        rows.append({"category": label, "series": PUBLISHED, "value": float(r["history"])})
        rows.append(
            {
                "category": label,
                "series": MODEL,
                "value": float(r["model_mean"]),
                "low": float(r["model_p05"]),
                "high": float(r["model_p95"]),
            }
        )
        if label in held_by:
            h = held_by[label]
            rows.append(
                {
                    "category": label,
                    "series": HELD_OUT,
                    "value": float(h["predicted_mean"]),
                    "low": float(h["predicted_p05"]),
                    "high": float(h["predicted_p95"]),
                }
            )
    order = [PUBLISHED, MODEL, *([HELD_OUT] if held else [])]
    title = (
        "Backtest: each sector predicted by the fit that did not see it"
        if held
        else "Model against history"
    )
    return interval_chart(
        rows, order=order, title=title, subtitle=subtitle, x_title="real growth a year"
    )


def sensitivity_chart(rows: list[dict[str, Any]], scenario: str) -> dict[str, Any]:
    """Total Sobol' index by factor, one small chart per measure (rows of ``sobol.csv``),
    as one Vega-Lite dict: each measure reads on its own, its drivers longest first."""
    measures = list(dict.fromkeys(str(r["measure"]) for r in rows))
    panels = []
    for m in measures:
        bars = [
            {"factor": str(r["factor"]), "ST": min(1.0, max(0.0, float(r["ST"])))}
            for r in rows
            if str(r["measure"]) == m
        ]
        panel = bar_chart(
            bars, category="factor", value="ST", x_max=1.0, sort_by_value=True, title=m, width=360
        )
        panels.append({k: v for k, v in panel.items() if k not in ("$schema", "config", "padding")})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {
            "text": "What drives each answer",
            "subtitle": f"{scenario}: total Sobol' index, the share of a measure's variance a "
            "factor explains with its interactions",
        },
        "vconcat": panels,
        "spacing": 18,
        "description": "; ".join(str(p.get("description", "")) for p in panels),
    }


def calibration_files(
    problem: Problem, fitted: Fit, held: list[HeldOut] | None, out: Path, args: dict[str, Any]
) -> Path:
    """Write the calibration's results under ``out``; returns the folder."""
    spec = problem.spec
    params = csv_text(
        ["parameter", "set", "start", "fitted", "std_error", "low", "high"],
        [
            [p.name, p.set, float(s), float(v), float(se), p.low, p.high]
            for p, s, v, se in zip(
                spec.parameters, fitted.start, fitted.values, fitted.se, strict=True
            )
        ],
    )
    fit_table = fit_rows(problem, fitted)
    source = (
        f"python -m sim calibrate {display_path(Path(str(args.get('spec'))))} "
        f"--replications {problem.replications} "
        f"--seed {problem.seed}"
    )
    fitted_toml = tomli_w.dumps(
        {
            "source": source,
            "fitted": {
                p.set: round(float(v), 4)
                for p, v in zip(spec.parameters, fitted.values, strict=True)
            },
        }
    )
    subtitle = (
        f"{problem.scenario_path.stem}: published real growth a year against the model "
        f"(mean and 5th-95th percentiles of {problem.replications} replications)"
    )
    fit_dicts = [dict(zip(FIT_COLUMNS, r, strict=True)) for r in fit_table]
    files: dict[str, str | bytes] = {
        "parameters.csv": params,
        "fit.csv": csv_text(FIT_COLUMNS, fit_table),
        "fitted.toml": fitted_toml,
        "fit.svg": to_svg(fit_chart(fit_dicts, None, subtitle)),
    }
    if held:
        held_table = [[h.target, h.history, h.mean, h.low, h.high, h.error] for h in held]
        files["backtest.csv"] = csv_text(BACKTEST_COLUMNS, held_table)
        held_dicts = [dict(zip(BACKTEST_COLUMNS, r, strict=True)) for r in held_table]
        files["backtest.svg"] = to_svg(fit_chart(fit_dicts, held_dicts, subtitle))
    manifest = {
        "scenario": str(problem.scenario_path),
        "replications": problem.replications,
        "seed": problem.seed,
        "distance": 2 * fitted.cost,
        "degrees_of_freedom": int(fitted.used.sum()) - len(spec.parameters),
        "converged": fitted.converged,
        "evaluations": fitted.evaluations,
        "backtest_rmse": rmse(held) if held else None,
        "arguments": _settings(args),
    }
    name = f"calibration-{problem.scenario_path.stem}"
    return publish(out / name, "calibration", manifest, files)


def sensitivity_table(study: Study) -> str:
    """Morris ``mu*`` and Sobol' indices by measure, as text."""
    lines = [
        f"Sensitivity of {study.scenario}: {study.runs} runs of {study.replications} "
        f"replications, seed {study.seed}",
    ]
    for m, s in zip(study.morris, study.sobol, strict=True):
        lines += ["", m.output, f"  {'factor':<40} {'Morris mu*':>11} {'Sobol S1':>9} {'ST':>6}"]
        by_group = {g: (a, b) for g, a, b in zip(s.groups, s.s1, s.st, strict=True)}
        order = np.argsort(-m.mu_star, kind="stable")
        for i in order:
            g = m.groups[i]
            s1, st = by_group.get(g, (np.nan, np.nan))
            shown = "" if np.isnan(st) else f"{s1:>9.2f} {st:>6.2f}"
            lines.append(f"  {g:<40} {m.mu_star[i]:>11.4g} {shown}")
    return "\n".join(lines)


def sensitivity_files(study: Study, args: dict[str, Any]) -> Path:
    """Write the study's results beside its samples; returns the folder."""
    morris = csv_text(
        ["measure", "factor", "mu_star", "mu_star_conf", "sigma"],
        [
            [m.output, g, float(a), float(b), float(c)]
            for m in study.morris
            for g, a, b, c in zip(m.groups, m.mu_star, m.mu_star_conf, m.sigma, strict=True)
        ],
    )
    sobol = csv_text(
        ["measure", "factor", "S1", "S1_conf", "ST", "ST_conf"],
        [
            [s.output, g, float(a), float(b), float(c), float(d)]
            for s in study.sobol
            for g, a, b, c, d in zip(s.groups, s.s1, s.s1_conf, s.st, s.st_conf, strict=True)
        ],
    )
    rows = [
        {"measure": s.output, "factor": g, "ST": float(st)}
        for s in study.sobol
        for g, st in zip(s.groups, s.st, strict=True)
    ]
    chart = sensitivity_chart(rows, study.scenario)
    manifest = {
        "scenario": study.scenario,
        "runs": study.runs,
        "replications": study.replications,
        "seed": study.seed,
        "sobol_factors": study.chosen,
        "arguments": _settings(args),
    }
    files: dict[str, str | bytes] = {
        "morris.csv": morris,
        "sobol.csv": sobol,
        "sensitivity.svg": to_svg(chart),
    }
    return publish(study.out, "sensitivity", manifest, files, keep=("samples",))

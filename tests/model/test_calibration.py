"""Calibration to history: the fit recovers known parameters from data the model made, the
shipped history scenario reproduces the published targets within the documented tolerance,
and the baseline carries the calibrated values it says it does."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.backtest import backtest
from sim.calibration.fit import fit, standard_errors
from sim.calibration.moments import Problem, prepare
from sim.calibration.spec import DEFAULT_SPEC, current_value
from sim.scenario.loader import load_scenario, resolve_file
from tests.paths import ROOT, SCENARIOS


def _small(problem: Problem, parameters: list[str], targets: list[str]) -> Problem:
    """The same problem with only the named parameters free and targets used."""
    spec = problem.spec.model_copy(
        update={
            "parameters": [p for p in problem.spec.parameters if p.name in parameters],
            "targets": [t for t in problem.spec.targets if t.detail in targets],
        }
    )
    keep = [i for i, t in enumerate(problem.spec.targets) if t.detail in targets]
    return Problem(
        spec=spec,
        scenario_path=problem.scenario_path,
        base=problem.base,
        targets=problem.targets[keep],
        sds=problem.sds[keep],
        replications=problem.replications,
        seed=problem.seed,
    )


def test_calibration_recovers_known_parameters_from_data_the_model_made() -> None:
    problem = _small(
        prepare(DEFAULT_SPEC, replications=8),
        ["acute need growth", "mental-health priority"],
        ["acute", "mental health", "all spending"],
    )
    truth = np.array([0.045, 0.2])
    # Synthetic history: the model's own means at the true values (same seed and
    # replications: common random numbers make the truth an exact zero of the objective).
    problem.targets = problem.draws(truth).mean(axis=0)
    got = fit(problem, start=np.array([0.03, 0.05]))
    assert got.cost < 1e-3
    assert (np.abs(got.values - truth) <= 0.01 * (problem.upper - problem.lower)).all()
    assert np.isfinite(got.se).all() and (got.se > 0).all()


def test_the_history_scenario_reproduces_the_published_targets_within_tolerance() -> None:
    problem = prepare(DEFAULT_SPEC)
    mean = problem.draws(problem.start).mean(axis=0)
    errors = dict(
        zip([t.detail for t in problem.spec.targets], mean - problem.targets, strict=True)
    )
    tolerance = problem.spec.tolerance
    assert max(abs(e) for e in errors.values()) <= tolerance, errors
    # The tolerance is the one the docs record.
    docs = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    assert f"{100 * tolerance:g} points a year" in docs


def test_the_shipped_values_are_a_fit_a_refit_does_not_move() -> None:
    problem = prepare(DEFAULT_SPEC, replications=12)
    start = problem.start
    got = fit(problem, start=start, max_evaluations=60)
    span = problem.upper - problem.lower
    assert (np.abs(got.values - start) <= np.maximum(3 * got.se, 0.02 * span) + 1e-12).all()


def test_the_baseline_carries_the_calibrated_values_it_cites() -> None:
    history = resolve_file(SCENARIOS / "history_2016_2023.toml")
    baseline = load_scenario(SCENARIOS / "baseline.toml")
    assert baseline.plan.priorities == {
        k: v for k, v in load_scenario(SCENARIOS / "history_2016_2023.toml").plan.priorities.items()
    }
    by_name = {s.name: s for s in baseline.sectors}
    assert by_name["prescribing"].need_growth == current_value(
        history, "sectors[prescribing].need_growth"
    )
    # The contracts' real growth, converted to cash at the baseline's inflation.
    real = current_value(history, "sectors[pharmacy, dental and optometry].committed_uplift")
    cash = by_name["pharmacy, dental and optometry"].committed_uplift
    assert cash is not None
    assert (1 + cash) == pytest.approx((1 + real) * (1 + baseline.allocation.inflation), abs=5e-4)
    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    assert len(re.findall(r"\[CALIB\]", text)) >= 4


def test_standard_errors_say_what_the_targets_cannot_identify() -> None:
    # Two parameters moving the targets identically are not separately identified; an
    # unmoved one has no finite standard error.
    jac = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]])
    draws = np.random.default_rng(1).normal(size=(50, 2))
    se = standard_errors(jac, draws, np.array([True, True]))
    assert not np.isfinite(se).any()
    se = standard_errors(np.array([[1.0, 0.0], [0.0, 2.0]]), draws, np.array([True, True]))
    assert np.isfinite(se).all() and se[0] > se[1]


def test_the_backtest_holds_out_each_target_in_turn_and_predicts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sim.calibration.backtest as bt

    problem = _small(
        prepare(DEFAULT_SPEC, replications=6),
        ["acute need growth"],
        ["acute", "all spending"],
    )
    full = fit(problem, max_evaluations=20)
    seen: list[list[bool]] = []

    def spy(p: Problem, **kwargs: object) -> object:
        seen.append(list(kwargs["used"]))  # type: ignore[call-overload]
        return fit(p, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bt, "fit", spy)
    held = backtest(problem, full)
    # Each refit leaves out exactly the target it then predicts.
    assert seen == [[False, True], [True, False]]
    assert [h.target for h in held] == ["acute", "all spending"]
    for h in held:
        assert h.low <= h.mean <= h.high and np.isfinite(h.error)
    # With acute held out, nothing pins acute's need growth but the total: the prediction
    # of acute moves away from the full fit's value of it.
    assert held[0].values[0] != pytest.approx(full.values[0], abs=1e-9)


def test_one_replication_still_gives_finite_standard_errors() -> None:
    jac = np.array([[1.0, 0.0], [0.0, 2.0]])
    se = standard_errors(jac, np.zeros((1, 2)), np.array([True, True]))
    assert np.isfinite(se).all()


def test_a_calibration_file_names_its_errors(tmp_path: Path) -> None:
    from sim.calibration.spec import SpecError, load_spec

    bad = tmp_path / "c.toml"
    bad.write_text(
        'scenario = "x.toml"\n[[targets]]\nmeasure = "nope"\ndetail = "a"\n'
        'table = "t"\nitems = ["a"]\n[[parameters]]\nname = "p"\nset = "a.b"\n'
        "low = 0\nhigh = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"c\.toml: targets\[0\]\.measure: no measure 'nope'"):
        load_spec(bad)

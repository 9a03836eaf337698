"""Output levels (``--outputs lean|full|sample=N``) and the fan charts' bands merged chunk by
chunk: what each level writes, what reads it, and ``--resume`` across levels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim import run
from sim.analysis.monthly import RELATIVE_ERROR, Digest, Sketch, band
from sim.cli import main
from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.store.run_dir import RunDir
from sim.store.tables import FULL_OUTPUT_FILES, OUTPUT_FILES

LEAN = {
    "manifest.json",
    "summary.csv",
    "measures.parquet",
    "plan.csv",
    "power.csv",
    "decisions.parquet",
    "bands.parquet",
}


def _run(path: Path, out: Path, *extra: str) -> int:
    return main(["run", str(path), "-n", "12", "--out", str(out), "-q", *extra])


def _files(run_dir: Path) -> set[str]:
    return {p.name for p in run_dir.iterdir()}


def test_the_default_is_lean(baseline_path: Path, tmp_path: Path) -> None:
    assert _run(baseline_path, tmp_path, "--chunk-size", "5") == 0
    run_dir = tmp_path / "baseline"
    assert _files(run_dir) == LEAN == set(OUTPUT_FILES)
    doc = json.loads((run_dir / "manifest.json").read_text())
    assert doc["outputs"] == "lean" and set(doc["files"]) == LEAN
    bands = RunDir(run_dir).bands()
    assert bands.n == 12 and bands.months == 60
    assert (tmp_path / "report.html").exists()


def test_full_adds_the_time_series_transfers_and_digest(
    baseline_path: Path, tmp_path: Path
) -> None:
    assert _run(baseline_path, tmp_path, "--outputs", "full", "--chunk-size", "5") == 0
    run_dir = tmp_path / "baseline"
    assert _files(run_dir) == set(FULL_OUTPUT_FILES)
    assert _files(run_dir) - LEAN == {"timeseries.parquet", "transfers.parquet", "monthly.parquet"}
    assert json.loads((run_dir / "manifest.json").read_text())["outputs"] == "full"
    reps = pq.read_table(run_dir / "timeseries.parquet")["replication"].to_numpy()
    assert sorted(set(reps)) == list(range(12))


@pytest.mark.parametrize("chunk", ["4", "12"])
def test_a_sample_has_the_full_tables_for_its_replications_only(
    baseline_path: Path, tmp_path: Path, chunk: str
) -> None:
    assert _run(baseline_path, tmp_path, "--outputs", "sample=5", "--chunk-size", chunk) == 0
    run_dir = tmp_path / "baseline"
    assert _files(run_dir) == set(FULL_OUTPUT_FILES)
    for table in ("timeseries", "transfers", "monthly"):
        reps = pq.read_table(run_dir / f"{table}.parquet")["replication"].to_numpy()
        assert sorted(set(reps)) == list(range(5)), table
    for table in ("decisions", "measures"):
        reps = pq.read_table(run_dir / f"{table}.parquet")["replication"].to_numpy()
        assert sorted(set(reps)) == list(range(12)), table
    assert RunDir(run_dir).bands().n == 12  # the bands are of every replication


def test_lean_full_and_sample_give_the_same_lean_files(baseline_path: Path, tmp_path: Path) -> None:
    for level, chunk in (("lean", "12"), ("full", "5"), ("sample=3", "7")):
        assert _run(baseline_path, tmp_path / level, "--outputs", level, "--chunk-size", chunk) == 0
    for name in sorted(LEAN - {"manifest.json", "decisions.parquet", "measures.parquet"}):
        data = {(tmp_path / lvl / "baseline" / name).read_bytes() for lvl in ("lean", "full")}
        data.add((tmp_path / "sample=3" / "baseline" / name).read_bytes())
        assert len(data) == 1, name
    reports = {
        (tmp_path / lvl / "report.html").read_bytes() for lvl in ("lean", "full", "sample=3")
    }
    assert len(reports) == 1


@pytest.mark.parametrize("bad", ["most", "sample", "sample=0", "sample=x", "full=2", ""])
def test_a_bad_output_level_is_a_one_line_error(
    baseline_path: Path, tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        _run(baseline_path, tmp_path, "--outputs", bad)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m sim run: error: argument --outputs:"), err
    assert not (tmp_path / "baseline").exists()


def test_resume_takes_the_output_level_into_account(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def resumed(level: str) -> bool:
        capsys.readouterr()
        assert _run(baseline_path, tmp_path, "--resume", "--outputs", level) == 0
        return "up to date, skipped" in capsys.readouterr().out

    assert not resumed("lean")
    assert resumed("lean")
    assert not resumed("full"), "a lean run is not a full one"
    assert _files(tmp_path / "baseline") == set(FULL_OUTPUT_FILES)
    assert resumed("full") and resumed("lean") and resumed("sample=3"), "full covers all"


def test_is_up_to_date_by_level(baseline: Scenario, tmp_path: Path) -> None:
    from sim.store.writer import write_run

    sc = baseline.model_copy(update={"replications": 4, "horizon_years": 1})
    res = run(sc)
    for written, asked, expected in (
        ("lean", "lean", True),
        ("lean", "full", False),
        ("lean", "sample=1", False),
        ("full", "lean", True),
        ("full", "sample=2", True),
        ("full", "full", True),
        ("sample=2", "sample=2", True),
        ("sample=2", "sample=1", True),
        ("sample=2", "sample=3", False),
        ("sample=2", "full", False),
        ("sample=2", "lean", True),
    ):
        path = write_run(res, tmp_path / written, Outputs.parse(written))
        assert RunDir(path).is_up_to_date(sc, Outputs.parse(asked)) is expected, (written, asked)


def test_compare_and_the_report_work_from_lean_runs(
    baseline_path: Path, root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = root / "scenarios" / "primary_care_ringfence.toml"
    assert (
        main(["run", str(baseline_path), str(other), "-n", "8", "--out", str(tmp_path), "-q"]) == 0
    )
    capsys.readouterr()
    a, b = tmp_path / "baseline", tmp_path / "primary_care_ringfence"
    assert not (a / "monthly.parquet").exists() and not (a / "timeseries.parquet").exists()
    assert main(["compare", str(a), str(b)]) == 0
    assert "primary_care_share" in capsys.readouterr().out
    html = (tmp_path / "report.html").read_text()
    assert 'data-variant="baseline"' in html and 'data-variant="primary_care_ringfence"' in html


def _digest(sc: Scenario, reps: range) -> Digest:
    return Digest.from_results(run(sc, reps))


def test_sketches_merge_exactly_in_any_split_and_order(baseline: Scenario) -> None:
    sc = baseline.model_copy(update={"horizon_years": 2})
    parts = [_digest(sc, r) for r in (range(0, 7), range(7, 8), range(8, 30))]
    whole = Sketch.from_digest(Digest.concat(parts))
    a = Sketch.from_digest(parts[0]).merge(Sketch.from_digest(parts[1]))
    a = a.merge(Sketch.from_digest(parts[2]))
    b = Sketch.from_digest(parts[2]).merge(
        Sketch.from_digest(parts[1]).merge(Sketch.from_digest(parts[0]))
    )
    for s in (a, b):
        assert s.n == whole.n and s.sums == whole.sums
        for f in ("key", "count", "low", "high"):
            np.testing.assert_array_equal(getattr(s, f), getattr(whole, f))
    for got, want in zip(a.bands(), whole.bands(), strict=True):
        for f in ("mean", "p05", "p25", "p50", "p75", "p95"):
            np.testing.assert_array_equal(getattr(got, f), getattr(want, f))


def test_sketch_bands_are_the_exact_bands_to_within_a_bin(baseline: Scenario) -> None:
    sc = baseline.model_copy(update={"horizon_years": 2})
    d = _digest(sc, range(60))
    bands = Sketch.from_digest(d).bands()
    exact = [d.share("primary"), d.moved, d.unmet, d.spill, d.deficit]
    exact += [d.budget[:, :, j] for j in range(d.budget.shape[2])]
    for got, values in zip(bands, exact, strict=True):
        want = band(values)
        np.testing.assert_allclose(got.mean, want.mean, rtol=1e-9)
        for f in ("p05", "p25", "p50", "p75", "p95"):
            np.testing.assert_allclose(
                getattr(got, f), getattr(want, f), rtol=2 * RELATIVE_ERROR, atol=1e-9
            )


def test_one_replication_bands_are_exact(baseline: Scenario) -> None:
    d = _digest(baseline.model_copy(update={"horizon_years": 1}), range(3, 4))
    bands = Sketch.from_digest(d).bands()
    for got, values in zip(bands[1:5], [d.moved, d.unmet, d.spill, d.deficit], strict=True):
        for f in ("mean", "p05", "p50", "p95"):
            np.testing.assert_array_equal(getattr(got, f), values[0].astype(float))


def test_measures_are_joined_and_read_a_part_at_a_time(
    baseline: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The joined ``measures.parquet`` is the file of the whole table written at once, for
    any chunking; read back a few measures at a time it gives every measure in order."""
    import pyarrow as pa

    from sim.analysis.summary import measures_from_table
    from sim.store import measures_file
    from sim.store.tables import PARQUET_OPTIONS, measures_table

    monkeypatch.setattr(measures_file, "ROW_GROUP", 500)  # several row groups, cut mid-part
    monkeypatch.setattr(measures_file, "VALUES_AT_ONCE", 3 * 40)  # three measures a pass
    sc = baseline.model_copy(update={"horizon_years": 1})
    tables = [measures_table(run(sc, range(a, b))) for a, b in ((0, 3), (3, 19), (19, 40))]
    whole = pa.concat_tables(tables)
    pq.write_table(whole, tmp_path / "one.parquet", row_group_size=500, **PARQUET_OPTIONS)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, t in enumerate(tables):
        pq.write_table(t, parts / f"part-{i:08d}.parquet", **PARQUET_OPTIONS)
    measures_file.join_parts(parts, tmp_path / "joined.parquet")
    assert (tmp_path / "joined.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()
    want = measures_from_table(whole)
    for source in (tmp_path / "joined.parquet", parts):
        got = [m for batch in measures_file.read_measures(source) for m in batch]
        assert [(m.name, m.detail, m.unit) for m in got] == [
            (m.name, m.detail, m.unit) for m in want
        ]
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.values, b.values)


def test_sketch_bins_are_the_closed_formula(baseline: Scenario) -> None:
    # The bins are computed in place and a block of replications at a time: the same
    # operations in the same order as the formula, so the same bins (and bands) as before.
    from sim.analysis.monthly import _LOG_GAMMA, _bins

    rng = np.random.default_rng(5)
    v = np.concatenate(
        [
            rng.normal(0, 1e9, 4000),
            rng.uniform(-1, 1, 1000) * 1e-11,
            np.zeros(50),
            [0.5, -0.5, 0.49, 1e15, -1e15],
        ]
    ).reshape(-1, 5)
    tiny = np.array([1e-12, 0.5, 0.5, 0.5, 0.5])
    mag = np.abs(v)
    k = np.ceil(np.log(np.maximum(mag, tiny) / tiny) / _LOG_GAMMA).astype(np.int64) + 1
    want = np.where(mag < tiny, 0, np.sign(v).astype(np.int64) * k)
    np.testing.assert_array_equal(_bins(v, tiny), want)
    assert (want > 0).any() and (want < 0).any() and (want == 0).any()

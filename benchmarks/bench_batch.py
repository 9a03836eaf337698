"""Batch benchmark: the whole scenario library, end to end (simulate, encode, write to disk),
in this process, on a local pool of 2 workers, and on a Dask LocalCluster of 2 workers.

Every scenario file in ``scenarios/`` (sweeps expanded) runs with the same number of
replications. Each configuration runs ``--repeats`` times in a fresh process; the best and
median wall times are reported with the throughput in replication-years per second, with
and without starting the workers (the pool's processes, the cluster). All configurations
write identical outputs; the benchmark checks that the summaries agree.

Then ``sim run`` of the baseline (10,000 replications, 10 years) at each output level
(``--outputs lean``, ``sample=100``, ``full``), in CPU seconds beside wall time, against
the engine alone (``--levels-only`` runs just that).

Then the parallel backends' CPU overhead (``--overhead-only`` runs just that): the same
batch (the baseline, 10 years, ``--overhead-replications``) in one process, on the pool and
on a Dask LocalCluster, of 1 worker (what the backend itself costs) and of 2 workers side
by side (what two processes on this machine's cores add), each in a fresh process, in
CPU seconds of the whole process tree (this process and every worker, forkserver, nanny,
read with psutil just before the workers stop), beside wall time. CPU seconds are what a
busy machine cannot hide: the overhead is the CPU the backend spends beyond one process
doing the same work (targets: pool at most 10%, Dask at most 20%).

Usage: ``make bench`` or ``python benchmarks/bench_batch.py [--replications 1000]``.
Targets (docs/performance.md): 2 workers at least 1.8 times the throughput of 1; the Dask
LocalCluster within 20% of the process pool.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ("in-process", "pool-2", "dask-local-2")


def _library(replications: int) -> list[object]:
    from sim.scenario.loader import load_variants

    out: list[object] = []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        for sc in load_variants(path):
            if not isinstance(sc, Exception):
                out.append(sc.model_copy(update={"replications": replications}))
    return out


def measure(config: str, replications: int) -> dict[str, float | str]:
    """One timed batch of the library (this process)."""
    from sim.batch.backends import make_backend
    from sim.batch.scheduler import run_batch
    from sim.scenario.format import Scenario

    scenarios = [sc for sc in _library(replications) if isinstance(sc, Scenario)]
    began = time.perf_counter()
    workers = 1 if config == "in-process" else 2
    digest = []
    with (
        tempfile.TemporaryDirectory() as out,
        make_backend(workers, "local" if config.startswith("dask") else None) as backend,
    ):
        started = time.perf_counter()
        for outcome in run_batch(scenarios, Path(out), backend):
            if outcome.error:
                raise RuntimeError(f"{outcome.scenario.name}: {outcome.error}")
            digest.append((outcome.scenario.name, [r.mean for r in outcome.summary]))
        ended = time.perf_counter()
    years = sum(sc.replications * sc.horizon_years for sc in scenarios)
    return {
        "config": config,
        "scenarios": len(scenarios),
        "replication_years": years,
        "startup_s": started - began,
        "run_s": ended - started,
        "total_s": ended - began,
        "summary": json.dumps(sorted(digest)),
    }


def _child(config: str, replications: int) -> dict[str, float | str]:
    cmd = [sys.executable, __file__, "--child", config, "--replications", str(replications)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process, its finished children and every live
    descendant (with the children they have reaped), read now. psutil comes with Dask
    (the test extras); typed as Any, it has no annotations."""
    psutil: Any = importlib.import_module("psutil")
    me = psutil.Process()
    t = me.cpu_times()
    total: float = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
        except psutil.NoSuchProcess:  # ended (and counted by its parent) meanwhile
            continue
        total += c.user + c.system + c.children_user + c.children_system
    return total


def _overhead_child(config: str, replications: int, years: int) -> None:
    """One batch of the baseline on ``config``; print its CPU (process tree) and wall
    seconds, from before the imports to the end of the batch, and a digest of the results."""
    cpu, wall = tree_cpu(), time.perf_counter()
    from sim.batch.backends import DaskCluster, InProcess, ProcessPool
    from sim.batch.scheduler import run_batch
    from sim.scenario.loader import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    sc = sc.model_copy(update={"replications": replications, "horizon_years": years})
    workers = int(config.rsplit("-", 1)[1]) if config != "in-process" else 1
    means: list[float] = []
    backend: InProcess | ProcessPool | DaskCluster = (
        InProcess()
        if config == "in-process"
        else ProcessPool(workers)
        if config.startswith("pool")
        else DaskCluster("local", workers)
    )
    # close() rather than ``with``: the child also runs an earlier version's sim.batch
    # (PYTHONPATH), side by side, whose backends were not yet context managers.
    try:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            for outcome in run_batch([sc], Path(out), backend):
                if outcome.error:
                    raise RuntimeError(f"{outcome.scenario.name}: {outcome.error}")
                means = [r.mean for r in outcome.summary]
        # Read before the workers stop: a stopped worker's CPU is lost to psutil.
        used, ended = tree_cpu() - cpu, time.perf_counter()
    finally:
        backend.close()
    print(
        json.dumps(
            {
                "cpu_s": used,
                "wall_s": ended - wall,
                "startup_s": started - wall,
                "summary": json.dumps(means),
            }
        )
    )


#: The overhead comparison's configurations. One worker on its own shows what the backend
#: itself costs (processes, serialisation, the scheduler); two side by side add what two
#: processes sharing this machine's two cores cost each other.
OVERHEAD_CONFIGS = ("in-process", "pool-1", "pool-2", "dask-local-1", "dask-local-2")


def overhead(replications: int, years: int, repeats: int) -> None:
    """CPU and wall seconds of the pool and Dask against one process, interleaved rounds."""
    configs = OVERHEAD_CONFIGS
    runs: dict[str, list[dict[str, float | str]]] = {c: [] for c in configs}
    for _ in range(repeats):
        for config in configs:
            cmd = [sys.executable, __file__, "--overhead-child", config]
            cmd += ["--overhead-replications", str(replications), "--years", str(years)]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
            runs[config].append(json.loads(done.stdout.strip().splitlines()[-1]))
    if len({str(r["summary"]) for rs in runs.values() for r in rs}) != 1:
        raise SystemExit("backends disagree on the results: a determinism bug")
    print(
        f"\nparallel overhead: baseline, {replications:,} replications x {years} years, "
        f"median of {repeats} (CPU s of the whole process tree; wall s)"
    )
    base_cpu = statistics.median(float(r["cpu_s"]) for r in runs["in-process"])
    base_wall = statistics.median(float(r["wall_s"]) for r in runs["in-process"])
    for config in configs:
        cpu = statistics.median(float(r["cpu_s"]) for r in runs[config])
        wall = statistics.median(float(r["wall_s"]) for r in runs[config])
        start = statistics.median(float(r["startup_s"]) for r in runs[config])
        print(
            f"  {config:<13} {cpu:6.2f} CPU s ({100 * (cpu / base_cpu - 1):+5.1f}% CPU over one "
            f"process)  {wall:6.2f} s wall ({base_wall / wall:.2f}x one process's speed; "
            f"start-up {start:.2f} s)"
        )
    print("  all backends gave identical summaries (target: pool <= +10% CPU, Dask <= +20%)")


#: Output levels timed end to end against the engine alone.
LEVELS = ("lean", "sample=100", "full")


def _engine_child(replications: int, years: int) -> None:
    """Simulate the baseline only (no encoding, no writing); print CPU and wall seconds."""
    from sim.engine.runner import run
    from sim.scenario.loader import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    sc = sc.model_copy(update={"replications": replications, "horizon_years": years})
    cpu, wall = time.process_time(), time.perf_counter()
    run(sc)
    print(json.dumps({"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}))


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` in a fresh process: its CPU seconds (wait4), wall seconds and output."""
    began = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - began, out


def levels(replications: int, years: int) -> None:
    """``sim run`` of the baseline at each output level against the engine alone: CPU
    seconds (what the machine's load cannot hide) beside wall time, size on disk."""
    engine_cmd = [sys.executable, __file__, "--engine-child", str(replications)]
    _, _, out = _timed([*engine_cmd, "--years", str(years)])
    engine = json.loads(out.strip().splitlines()[-1])
    print(
        f"\nbaseline, {replications:,} replications x {years} years; engine alone: "
        f"{engine['cpu_s']:.1f} CPU s ({engine['wall_s']:.1f} s wall)"
    )
    for level in LEVELS:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.toml")]
            cmd += ["-n", str(replications), "--set", f"horizon_years={years}", "-q"]
            cmd += ["--outputs", level, "--out", tmp]
            cpu, wall, _ = _timed(cmd)
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        print(
            f"  sim run --outputs {level:<11} {cpu:6.1f} CPU s ({wall:6.1f} s wall), "
            f"{size / 1e6:7.1f} MB; {cpu / engine['cpu_s']:.2f}x the engine's CPU"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000, help="per scenario")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument(
        "--levels-replications",
        type=int,
        default=10_000,
        help="replications of the output-level comparison (0: skip it)",
    )
    parser.add_argument("--years", type=int, default=10, help="horizon of that comparison")
    parser.add_argument("--levels-only", action="store_true")
    parser.add_argument(
        "--overhead-replications",
        type=int,
        default=10_000,
        help="replications of the CPU-overhead comparison (0: skip it)",
    )
    parser.add_argument("--overhead-only", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--overhead-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        _engine_child(args.engine_child, args.years)
        return
    if args.overhead_child:
        _overhead_child(args.overhead_child, args.overhead_replications, args.years)
        return
    if args.overhead_only:
        overhead(args.overhead_replications, args.years, args.repeats)
        return
    if args.child:
        print(json.dumps(measure(args.child, args.replications)))
        return
    if args.levels_only:
        levels(args.levels_replications, args.years)
        return
    rows = {}
    summaries = set()
    configs = args.configs.split(",")
    # Interleaved (a round of every configuration, repeated), so that drifts in the
    # machine's speed fall on every configuration alike.
    by_config: dict[str, list[dict[str, float | str]]] = {c: [] for c in configs}
    for _ in range(args.repeats):
        for config in configs:
            by_config[config].append(_child(config, args.replications))
    for config in configs:
        runs = by_config[config]
        summaries |= {str(r["summary"]) for r in runs}
        totals = [float(r["total_s"]) for r in runs]
        run_only = [float(r["run_s"]) for r in runs]
        years = float(runs[0]["replication_years"])
        rows[config] = {
            "best_total_s": min(totals),
            "median_total_s": statistics.median(totals),
            "best_run_s": min(run_only),
            "startup_s": statistics.median(float(r["startup_s"]) for r in runs),
            "rep_years_per_s": years / min(totals),
            "rep_years_per_s_excl_startup": years / min(run_only),
        }
        print(
            f"{config:<13} {runs[0]['scenarios']} scenarios x {args.replications} reps: "
            f"best {min(totals):6.2f} s (median {statistics.median(totals):6.2f} s, start-up "
            f"{rows[config]['startup_s']:.2f} s)  {rows[config]['rep_years_per_s']:9,.0f} "
            f"replication-years/s ({rows[config]['rep_years_per_s_excl_startup']:,.0f} "
            "without start-up)"
        )
    if len(summaries) != 1:
        raise SystemExit("configurations disagree on the results: a determinism bug")
    base = rows.get("in-process")
    pool = rows.get("pool-2")
    dask = rows.get("dask-local-2")

    def rounds_ratio(slow: str, fast: str) -> list[float]:
        """Per round: the wall time of ``slow`` over that of ``fast``."""
        return [
            float(a["total_s"]) / float(b["total_s"])
            for a, b in zip(by_config[slow], by_config[fast], strict=True)
        ]

    if base and pool:
        rounds = rounds_ratio("in-process", "pool-2")
        print(
            f"2 workers / 1: {pool['rep_years_per_s'] / base['rep_years_per_s']:.2f}x best "
            f"against best, {statistics.median(rounds):.2f}x median of rounds "
            f"({', '.join(f'{x:.2f}' for x in rounds)}); without start-up "
            f"{pool['rep_years_per_s_excl_startup'] / base['rep_years_per_s']:.2f}x "
            "(target at least 1.8x)"
        )
    if pool and dask:
        rounds = rounds_ratio("pool-2", "dask-local-2")
        print(
            f"Dask LocalCluster / pool: {dask['rep_years_per_s'] / pool['rep_years_per_s']:.2f} "
            f"best against best, {statistics.median(rounds):.2f} median of rounds; without "
            f"start-ups {dask['rep_years_per_s_excl_startup'] / pool['rep_years_per_s_excl_startup']:.2f} "
            "(target at least 0.8)"
        )
    print("all configurations gave identical summaries")
    if args.overhead_replications:
        overhead(args.overhead_replications, args.years, args.repeats)
    if args.levels_replications:
        levels(args.levels_replications, args.years)


if __name__ == "__main__":
    main()

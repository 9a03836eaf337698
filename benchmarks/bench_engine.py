"""Engine benchmark: throughput of batched replications versus one at a time, memory, and
``sim run`` at each output level against the engine.

Prints, for the baseline scenario over a 10-year horizon: wall and CPU seconds and
replication-years per second for 1, 100, 1,000 and 10,000 replications in one batch; the
time of the same 1,000 replications run one at a time through the engine; the ratio between
the two; and peak memory. Each batch size runs in its own process pinned to one core, so
peak memory is that batch's own.

Then ``python -m sim run`` of the baseline (10,000 replications, 10 years, default chunks,
one process) at each output level (``lean``, ``full``, ``sample=100``), end to end (start,
imports, simulating, writing, the summary and the report), in CPU seconds beside wall time
and as a ratio to the engine alone (the same replications simulated in one warm process,
nothing written); and the fixed cost of a run (10 replications), which does not grow with
the replications. Target (issue 13): the lean level within 1.3 times the engine.

The one-at-a-time figure is the engine's own mode with one replication, which pays numpy's
call overhead on 1 x 1 x 7 arrays: it is not what a model written one replication at a
time would cost, and its ratio is not a speed-up over such a model.

Usage: ``make bench`` or ``python benchmarks/bench_engine.py [--sizes 1,100] [--single 1000]
[--levels-replications 10000] [--levels lean,full,sample=100]`` (``--levels-replications 0``
skips the output levels).
Targets (docs/performance.md): 10,000 replications in at most 3 s on one core, peak memory
under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.scenario.format import Scenario

ROOT = Path(__file__).resolve().parent.parent
HORIZON_YEARS = 10


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _scenario() -> Scenario:
    from sim import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    return sc.model_copy(update={"horizon_years": HORIZON_YEARS})


def measure_batch(size: int, repeats: int) -> dict[str, float]:
    """Time ``repeats`` runs of ``size`` replications in one batch (this process)."""
    from sim import run

    _pin_to_one_core()
    sc = _scenario()
    times, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        run(sc, replications=range(size))
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size,
        "best_s": min(times),
        "median_s": statistics.median(times),
        "cpu_best_s": min(cpus),
        "peak_mb": peak_mb,
    }


def measure_single(count: int) -> dict[str, float]:
    """Time ``count`` replications run one at a time (this process)."""
    from sim import run

    _pin_to_one_core()
    sc = _scenario()
    run(sc, replications=[0])  # warm imports and caches
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        run(sc, replications=[i])
    return {
        "count": count,
        "total_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
    }


#: Output levels timed end to end against the engine alone.
LEVELS = "lean,full,sample=100"
#: The lean level's target: at most this many times the engine's CPU seconds.
LEAN_TARGET = 1.3


def measure_engine(size: int, repeats: int) -> dict[str, float]:
    """The engine alone on ``size`` replications in this (warm) process: the least CPU and
    wall seconds of ``repeats`` runs (the least is what the machine's load cannot inflate;
    the runs of ``sim run`` it is compared with are single, so the ratios are not flattered)."""
    from sim import run

    sc = _scenario()
    run(sc, replications=range(10))  # imports and caches warm, as in a run's first chunk
    cpus, walls = [], []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        run(sc, replications=range(size))
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return {"cpu_s": min(cpus), "wall_s": min(walls)}


def sim_run(replications: int, level: str) -> dict[str, float]:
    """``python -m sim run`` of the baseline in a fresh process (report included): its CPU
    seconds (``wait4``, the child's own), wall seconds, peak memory and bytes on disk."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.toml")]
        cmd += ["-n", str(replications), "--set", f"horizon_years={HORIZON_YEARS}", "-q"]
        cmd += ["--outputs", level, "--out", out]
        began = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{' '.join(cmd)} failed")
        size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_mb": usage.ru_maxrss / 1024,
        "disk_mb": size / 1e6,
    }


def levels(replications: int, names: list[str], repeats: int) -> None:
    """``sim run`` at each output level against the engine alone, and the fixed cost."""
    engine = _child(["--engine-child", str(replications), "--repeats", str(repeats)])
    print(
        f"\nsim run, baseline, {replications:,} replications x {HORIZON_YEARS} years, one "
        f"process, end to end; engine alone (best of {repeats}): {engine['cpu_s']:.2f} CPU s "
        f"({engine['wall_s']:.2f} s wall)"
    )
    print(
        f"{'--outputs':>12} {'CPU s':>7} {'wall s':>7} {'x engine CPU':>13} "
        f"{'x engine wall':>14} {'peak MB':>8} {'disk MB':>8}"
    )
    for level in names:
        r = sim_run(replications, level)
        print(
            f"{level:>12} {r['cpu_s']:>7.2f} {r['wall_s']:>7.2f} "
            f"{r['cpu_s'] / engine['cpu_s']:>13.2f} {r['wall_s'] / engine['wall_s']:>14.2f} "
            f"{r['peak_mb']:>8.0f} {r['disk_mb']:>8.1f}",
            flush=True,
        )
        if level == "lean":
            ratio = r["cpu_s"] / engine["cpu_s"]
            verdict = "met" if ratio <= LEAN_TARGET else "NOT met"
            print(
                f"{'':>12} lean / engine CPU {ratio:.2f} (target at most {LEAN_TARGET}: {verdict})"
            )
    fixed = sim_run(10, "lean")
    print(
        f"{'fixed cost':>12} {fixed['cpu_s']:>7.2f} {fixed['wall_s']:>7.2f}   (sim run of 10 "
        "replications: start, imports, report; does not grow with the replications)"
    )


def _child(args: list[str]) -> dict[str, float]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000,10000", help="batch sizes")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per batch size (best is reported)"
    )
    parser.add_argument("--single", type=int, default=1000, help="replications run one at a time")
    parser.add_argument(
        "--levels-replications",
        type=int,
        default=10_000,
        help="replications of the sim run comparison at each output level (0: skip it)",
    )
    parser.add_argument("--levels", default=LEVELS, help="output levels to time")
    parser.add_argument("--batch-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--single-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_child is not None:
        print(json.dumps(measure_batch(args.batch_child, args.repeats)))
        return
    if args.single_child is not None:
        print(json.dumps(measure_single(args.single_child)))
        return
    if args.engine_child is not None:
        print(json.dumps(measure_engine(args.engine_child, args.repeats)))
        return

    sizes = [int(x) for x in args.sizes.split(",") if x]
    print(f"Baseline scenario, {HORIZON_YEARS}-year horizon, one core, best of {args.repeats}")
    print(
        f"{'replications':>12} {'wall s':>9} {'median s':>9} {'CPU s':>9} {'rep-years/s':>12} "
        f"{'peak MB':>8}"
    )
    batch: dict[int, dict[str, float]] = {}
    for size in sizes:
        r = _child(["--batch-child", str(size), "--repeats", str(args.repeats)])
        batch[size] = r
        rate = size * HORIZON_YEARS / r["best_s"]
        print(
            f"{size:>12,} {r['best_s']:>9.3f} {r['median_s']:>9.3f} {r['cpu_best_s']:>9.3f} "
            f"{rate:>12,.0f} {r['peak_mb']:>8.0f}"
        )
    if args.single:
        s = _child(["--single-child", str(args.single)])
        per_single = s["total_s"] / args.single
        print(
            f"\n{args.single:,} replications one at a time through the engine: "
            f"{s['total_s']:.2f} s wall, {s['cpu_s']:.2f} s CPU ({per_single * 1000:.1f} ms each)"
        )
        if args.single in batch:
            per_batch = batch[args.single]["best_s"] / args.single
            print(
                f"batch of {args.single:,}: {per_batch * 1000:.2f} ms per replication; "
                f"{per_single / per_batch:.0f}x the engine's own one-at-a-time mode "
                "(not a one-replication-at-a-time model: see docs/performance.md)"
            )
    if args.levels_replications:
        levels(args.levels_replications, [x for x in args.levels.split(",") if x], args.repeats)


if __name__ == "__main__":
    main()

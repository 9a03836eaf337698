"""Two versions of the engine side by side, in one run: the same baseline, alternated.

The machine is noisy, so the versions are run in turn (old, new, old, new, ...) in fresh
processes pinned to one core, and both wall and CPU seconds are reported; the comparison
is of the medians. The old version is a git worktree of an earlier commit::

    git worktree add /tmp/old <commit>
    python benchmarks/bench_versions.py --old /tmp/old [--replications 10000] [--rounds 3]

Each version runs its own ``scenarios/baseline.toml`` (the scenario the engine benchmark
uses) with a 10-year horizon.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, resource, sys, time
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from sim import load_scenario, run
sc = load_scenario("scenarios/baseline.toml").model_copy(update={"horizon_years": 10})
run(sc, replications=range(10))  # warm imports and caches
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = usage.ru_utime + usage.ru_stime
t0 = time.perf_counter()
run(sc, replications=range(int(sys.argv[1])))
wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime - cpu0,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""


def measure(tree: Path, replications: int) -> dict[str, float]:
    """One timed run of a version's engine, in a fresh process."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(replications)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="worktree of the old version")
    ap.add_argument("--new", type=Path, default=ROOT, help="the new version (this tree)")
    ap.add_argument("--replications", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for name, tree in (("old", args.old), ("new", args.new)):
            runs[name].append(measure(tree, args.replications))
    print(f"{args.replications:,} replications x 10 years, {args.rounds} alternated rounds")
    print(
        f"{'version':8} {'wall s (median)':>16} {'CPU s (median)':>15} {'CPU s (best)':>13} "
        f"{'peak MB':>8}"
    )
    med = {}
    for name, rs in runs.items():
        med[name] = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        med[name]["cpu_best"] = min(r["cpu_s"] for r in rs)
        m = med[name]
        print(
            f"{name:8} {m['wall_s']:16.2f} {m['cpu_s']:15.2f} {m['cpu_best']:13.2f} "
            f"{m['peak_mb']:8.0f}"
        )
    # The ratio of each round's pair (run back to back) is less exposed to drifts in the
    # machine's speed than the ratio of medians over the whole run.
    pairs = [n["cpu_s"] / o["cpu_s"] for o, n in zip(runs["old"], runs["new"], strict=True)]
    for label, key in (("CPU", "cpu_s"), ("wall", "wall_s"), ("best CPU", "cpu_best")):
        ratio = med["new"][key] / med["old"][key]
        print(f"new / old {label}: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    print(
        "new / old CPU, round by round: "
        + ", ".join(f"{x:.3f}" for x in pairs)
        + f" (median {statistics.median(pairs):.3f})"
    )


if __name__ == "__main__":
    main()

"""Memory benchmark: peak memory of ``sim run`` at 10,000, 100,000 and 1,000,000
replications of the baseline, at the same chunk size, lean outputs.

Each size runs in a fresh process (``python -m sim run ... -q``, report included); its peak
resident memory is that process's own (``wait4``), beside its CPU seconds and wall time.
Memory must not grow with the replications: the chunks are written as they come and the
report's bands are merged chunk by chunk (:class:`sim.analysis.monthly.Sketch`), so no
step holds every replication's monthly series.

Usage: ``python benchmarks/bench_memory.py [--sizes 10000,100000,1000000]
[--chunk-size 2000] [--horizon-years 10] [--outputs lean]``, or ``--quick`` for 10,000 and
100,000 only (a few minutes: the million takes about a quarter of an hour of CPU on the
reference machine). The defaults are the issue's figures. Target (issue 13,
docs/performance.md): peak memory at 1,000,000 replications within 1.2 times that at
10,000, at the same chunk size, 10-year runs, lean outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Peak memory at the largest size over that at the smallest, at most.
TARGET_RATIO = 1.2


def measure(replications: int, chunk_size: int, years: int, outputs: str) -> dict[str, float]:
    """One run in a fresh process: its peak memory (MB), CPU and wall seconds."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.toml")]
        cmd += ["-n", str(replications), "--chunk-size", str(chunk_size), "-q"]
        cmd += ["--set", f"horizon_years={years}", "--outputs", outputs, "--out", out]
        began = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise RuntimeError(f"{' '.join(cmd)} exited {child.returncode}")
        size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    return {
        "replications": replications,
        "peak_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "disk_mb": size / 1e6,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--chunk-size", type=int, default=2000)
    ap.add_argument("--horizon-years", type=int, default=10)
    ap.add_argument("--outputs", default="lean")
    ap.add_argument(
        "--quick", action="store_true", help="10,000 and 100,000 replications only (not 1M)"
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args()
    sizes = [10_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(
        f"sim run, baseline, {args.horizon_years} years, --outputs {args.outputs}, "
        f"--chunk-size {args.chunk_size:,}, one fresh process each"
    )
    print(f"{'replications':>13} {'peak MB':>9} {'CPU s':>8} {'wall s':>8} {'disk MB':>9}")
    rows = []
    for n in sizes:
        r = measure(n, args.chunk_size, args.horizon_years, args.outputs)
        rows.append(r)
        print(
            f"{n:>13,} {r['peak_mb']:>9.0f} {r['cpu_s']:>8.1f} {r['wall_s']:>8.1f} "
            f"{r['disk_mb']:>9.1f}",
            flush=True,
        )
    ratio = rows[-1]["peak_mb"] / rows[0]["peak_mb"]
    ok = ratio <= TARGET_RATIO
    print(
        f"peak memory at {sizes[-1]:,} / at {sizes[0]:,}: {ratio:.2f} "
        f"(target at most {TARGET_RATIO}: {'met' if ok else 'NOT met'})"
    )
    if args.json:
        print(json.dumps({"rows": rows, "ratio": ratio}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

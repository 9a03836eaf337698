"""App benchmark: the app's speed in a real browser, against its targets (issue 14).

Runs the browser journeys of ``tests/app/browser/test_app_browser.py`` (a real Streamlit
server, Debian's chromium) that measure:

* the first page to its numbers for a new visitor, at the server's first visit (cold: its
  imports and the file's own run) and at the next (warm); target: warm within 3 s;
* a slider move to the new headline on screen, five moves of the primary-care seats slider,
  each a new run of 500 replications of the baseline; target: median within 0.5 s.

The timings are the tests' own records (``first-page.json``, ``speed.json``); this script
prints them beside the targets and the machine's load average, since wall times on a busy
machine are not the app's. Needs chromium (``apt-get install chromium``); without it, says so.

Usage: ``make bench`` or ``python benchmarks/bench_app.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PAGE_TARGET_S = 3.0
SLIDER_TARGET_S = 0.5
JOURNEYS = "first_page or model_journey"


def main() -> int:
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("CHROMIUM"):
        print("app benchmark: skipped (install chromium to run the browser journeys)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/app/browser",
                "-k",
                JOURNEYS,
            ],
            cwd=ROOT,
            env={**os.environ, "APP_SCREENSHOTS": tmp},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            errors = [
                line for line in done.stdout.splitlines() if line.startswith(("E ", "FAILED"))
            ]
            print("\n".join(errors[:40]) or done.stdout[-3000:])
            print("app benchmark: the browser journeys failed")
            return 1
        first = json.loads((Path(tmp) / "first-page.json").read_text())
        speed = json.loads((Path(tmp) / "speed.json").read_text())
    print(f"App in chromium (baseline; load average {load:.1f} on {os.cpu_count()} cores)")
    rows = [
        ("first page to its numbers, cold (s)", first["cold"], None),
        ("first page to its numbers, warm (s)", first["warm"], FIRST_PAGE_TARGET_S),
        ("slider move to screen, median of 5 (s)", speed["median_s"], SLIDER_TARGET_S),
        ("slider move to screen, slowest (s)", speed["max_s"], None),
    ]
    for label, value, target in rows:
        verdict = "" if target is None else ("  met" if value <= target else "  NOT met")
        aim = "" if target is None else f"  target {target:g}"
        print(f"  {label:42s} {value:6.2f}{aim}{verdict}")
    print(f"  slider moves (s): {speed['slider_to_screen_s']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

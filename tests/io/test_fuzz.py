"""The project's own fuzz suite: every shipped scenario, mutated (tests/mutants.py), must give
``validate`` an answer, fast, in one of two classes:

- rejected: exit 2, every line on stderr one short, printable line naming the file;
- accepted: exit 0, and its variants (a few) run two replications that conserve money.

Anything else is a crash (an exception, a traceback, another exit code, or a message that is
long, unprintable, does not name the file or shows a foreign file's value) or a hang (longer
than :data:`TIME_BOUND`). ``validate`` runs in-process, so an example costs milliseconds.

The default profile runs 50 examples; ``HYPOTHESIS_PROFILE=thorough`` 10,000 (about an hour
on two cores). The counts per class are printed at the end of the module's run, and
``python -m tests.io.test_fuzz [N]`` counts N examples without stopping at a failure,
printing one example of each failing class.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from sim.cli import main
from sim.engine.runner import run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_variants
from tests.invariants import assert_conserved
from tests.mutants import FILE_NAMES, SECRET, Mutant, mutants, write

#: Seconds ``validate`` may take on any mutant (the slowest valid ones take about one).
TIME_BOUND = 20.0
#: Longest acceptable line of a message.
MAX_LINE = 400
#: Variants of an accepted mutant that are run.
RUNS = 2
#: The classes, in the order they are reported; the first two are the acceptable ones.
CLASSES = ("rejected", "accepted", "crash", "hang")
COUNTS: Counter[str] = Counter()


class Hang(BaseException):
    """Raised in the main thread when the time bound passes (not an Exception, so that no
    ``except Exception`` in the code under test can swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    kind: str
    detail: str = ""


def bad_line(line: str, name: str) -> str | None:
    """Why a line of stderr is not an acceptable message about file ``name``, or None."""
    if not line.startswith(f"{FILE_NAMES[name]}: "):
        return "does not name the file first"
    if len(line) > MAX_LINE:
        return f"longer than {MAX_LINE} characters"
    if not line.isprintable():
        return "holds characters a terminal would not print as themselves"
    if SECRET in line:
        return "shows a value of a foreign file"
    return None


def validate(folder: Path, name: str) -> Outcome:
    """``python -m sim validate NAME`` in ``folder``, classified."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(folder)
    start = time.monotonic()
    try:
        with redirect_stdout(out), redirect_stderr(err), time_limit(TIME_BOUND):
            code = main(["validate", name])
    except Hang:
        return Outcome("hang", f"validate took more than {TIME_BOUND} s")
    except BaseException:  # a SystemExit or RecursionError is a crash too
        return Outcome("crash", traceback.format_exc())
    finally:
        os.chdir(cwd)
    lines = err.getvalue().splitlines()
    if time.monotonic() - start > TIME_BOUND:
        return Outcome("hang", f"validate took {time.monotonic() - start:.1f} s")
    if code not in (0, 2) or "Traceback" in err.getvalue():
        return Outcome("crash", f"exit {code}: {err.getvalue()[-2000:]}")
    for line in lines:
        why = bad_line(line, name)
        if why:
            return Outcome("crash", f"message {why}: {line[:1000]!r}")
    if code == 2 and not lines:
        return Outcome("crash", "exit 2 without a message")
    if code == 0 and any(": warning: " not in line for line in lines):
        return Outcome("crash", f"exit 0 with errors: {lines}")
    return Outcome("rejected" if code == 2 else "accepted")


def conserve(path: Path) -> Outcome:
    """Run a few variants of an accepted mutant for two replications; money is conserved."""
    try:
        variants = [v for v in load_variants(path) if isinstance(v, Scenario)][:RUNS]
        for scenario in variants:
            assert_conserved(run(scenario.model_copy(update={"replications": 2})))
    except BaseException:
        return Outcome("crash", f"run of an accepted mutant: {traceback.format_exc()}")
    return Outcome("accepted")


def outcome(mutant: Mutant) -> Outcome:
    """What ``validate`` (and, if it accepts, a run) makes of a mutant."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(mutant, folder)
        result = validate(folder, mutant.file_name)
        return conserve(path) if result.kind == "accepted" else result


@pytest.fixture(scope="module", autouse=True)
def report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the counts per class after the module's run (``-s`` not needed)."""
    COUNTS.clear()
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None and COUNTS:
        with capture.global_and_fixture_disabled():  # past pytest's capture of the teardown
            reporter.write_line(f"\nfuzz counts: {format_counts(COUNTS)}")


def format_counts(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {counts[k]:,}" for k in CLASSES) + f" ({sum(counts.values()):,} in all)"


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutants())
def test_validate_survives_every_mutant(mutant: Mutant) -> None:
    result = outcome(mutant)
    COUNTS[result.kind] += 1
    assert result.kind in ("rejected", "accepted"), f"{result.kind}: {result.detail}"


def count(examples: int) -> Counter[str]:
    """Classify ``examples`` mutants without stopping at a failure (no shrinking)."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutants())
    def classify(mutant: Mutant) -> None:
        result = outcome(mutant)
        counts[result.kind] += 1
        first.setdefault(result.kind, f"{mutant}\n{result.detail}")

    classify()
    for kind in CLASSES[2:]:
        if kind in first:
            print(f"first {kind}: {first[kind][:1500]}\n", file=sys.stderr)
    return counts


if __name__ == "__main__":
    print(f"fuzz counts: {format_counts(count(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))}")

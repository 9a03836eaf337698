"""Shared fixtures, hypothesis profiles and the level markers.

``make test`` uses the ``default`` profile (a few minutes in all); ``make test-thorough``
sets ``HYPOTHESIS_PROFILE=thorough`` for at least 10,000 examples per property.

Tests are grouped by level, one folder each, and every test is marked with its folder's
level, so that ``pytest -m unit`` (or ``make test-unit``) runs the fast level alone:

- ``tests/unit``: pure functions (money, voting power, projection, board, plans, ...);
- ``tests/model``: properties and domain effects of whole simulation runs;
- ``tests/io``: the CLI, batches, the report and the docs (files and run directories);
- ``tests/app``: the app's controller, the Streamlit app headless and in a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.paths import ROOT, SCENARIOS

#: The test levels: each is a folder of ``tests/`` and a marker of the same name.
LEVELS = ("unit", "model", "io", "app")
TESTS = Path(__file__).resolve().parent

settings.register_profile(
    "default",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the level of the folder it is in (``tests/<level>/...``)."""
    for item in items:
        try:
            parts = item.path.resolve().relative_to(TESTS).parts
        except ValueError:
            continue
        if len(parts) > 1 and parts[0] in LEVELS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    """The default scenario file."""
    return SCENARIOS / "baseline.toml"


@pytest.fixture(scope="session")
def baseline(baseline_path: Path):  # type: ignore[no-untyped-def]
    """The default scenario, loaded."""
    from sim import load_scenario

    return load_scenario(baseline_path)

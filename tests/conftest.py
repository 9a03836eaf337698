"""Shared fixtures and hypothesis profiles.

``make test`` uses the ``default`` profile (a few minutes in all); ``make test-thorough``
sets ``HYPOTHESIS_PROFILE=thorough`` for at least 10,000 examples per property.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

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


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    """The default scenario file."""
    return ROOT / "scenarios" / "baseline.toml"


@pytest.fixture(scope="session")
def baseline(baseline_path: Path):  # type: ignore[no-untyped-def]
    """The default scenario, loaded."""
    from sim import load_scenario

    return load_scenario(baseline_path)

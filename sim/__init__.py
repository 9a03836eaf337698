"""Funding-allocation scenario simulator for NHS integrated care boards.

The public API is small: :func:`load_scenario` reads and validates a scenario
file, :func:`run` simulates it over many replications, and the returned
:class:`Results` is the one results type used by the CLI, the app and the tests.
"""

from sim.engine.results import Results
from sim.engine.runner import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario, parse_scenario
from sim.version import __version__

__all__ = ["Results", "ScenarioError", "__version__", "load_scenario", "parse_scenario", "run"]

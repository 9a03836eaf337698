"""Funding-allocation scenario simulator for NHS integrated care boards.

The public API is small: :func:`load_scenario` reads and validates a scenario
file, :func:`run` simulates it over many replications, and the returned
:class:`Results` is the one results type used by the CLI, the app and the tests.
"""

from sim.errors import ScenarioError
from sim.loader import load_scenario, parse_scenario
from sim.results import Results
from sim.runner import run

__version__ = "0.1.0"

__all__ = ["Results", "ScenarioError", "__version__", "load_scenario", "parse_scenario", "run"]

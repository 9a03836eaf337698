"""``python -m sim``: the command-line interface."""

import sys

from sim.cli import main

sys.exit(main())

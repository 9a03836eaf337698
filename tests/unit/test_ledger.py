"""The ledger's own conservation check (the engine runs it after every event)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.ledger import ConservationError, Ledger


def test_conservation_check_catches_a_leak() -> None:
    ledger = Ledger.for_system(np.array([7, 9]), ("p",), ("a", "b"))
    ledger.receive(np.array([100, 100]), 0, "allocation")
    ledger.check(0, "ok")
    ledger.balances[1, 3] += 1  # money from nowhere in replication 1
    with pytest.raises(ConservationError, match="replication 9 "):
        ledger.check(0, "leak")

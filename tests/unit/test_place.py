"""Places: fair shares, the pace of change towards them, and councils' red lines."""

from __future__ import annotations

import numpy as np

from sim.model.place import distance_from_target, fair_shares, place_shares
from sim.scenario.format import Place, Scenario


def test_pace_of_change_and_red_lines(baseline: Scenario) -> None:
    places = [
        Place(name="A", population=500_000, current_share=0.40),
        Place(name="B", population=500_000, current_share=0.35),
        Place(name="C", population=500_000, current_share=0.25),
    ]
    free = baseline.model_copy(
        update={
            "places": places,
            "allocation": baseline.allocation.model_copy(update={"pace_of_change": 0.5}),
        }
    )
    shares = place_shares(free)
    d = distance_from_target(shares, free)
    np.testing.assert_allclose(d[1:], d[:-1] * 0.5, atol=1e-12)  # half the gap closes each year
    red = [places[0].model_copy(update={"red_line": True}), *places[1:]]
    held = place_shares(free.model_copy(update={"places": red}))
    assert (np.diff(held[:, 0]) >= -1e-15).all()  # A's council never consents to a cut
    assert np.allclose(held.sum(axis=1), 1.0)
    assert held[-1, 2] > held[0, 2]  # C still moves towards its fair share, more slowly
    assert held[-1, 2] < shares[-1, 2]
    # No place loses more than it would without the red line.
    assert (held[:, 1] >= shares[:, 1] - 1e-15).all()
    np.testing.assert_allclose(fair_shares(free), [1 / 3] * 3)

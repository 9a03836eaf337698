"""The vectorised seeding gives exactly the numbers of numpy's own SeedSequence: every
replication's generator derives from (seed, replication, stream), however it is built."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.model.randomness import FEW, generator, initial_states, uniform_block


@given(
    st.integers(0, 2**63 - 1),
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=6, unique=True),
    st.sampled_from([0, 1, 2, 2**31 + 7]),
)
def test_initial_states_are_seed_sequences_states(seed: int, reps: list[int], stream: int) -> None:
    states = initial_states(seed, np.array(reps, dtype=np.int64), stream)
    assert states is not None
    for rep, (state, inc) in zip(reps, states, strict=True):
        want = generator(seed, rep, stream).bit_generator.state["state"]
        assert (state, inc) == (want["state"], want["inc"])


@given(st.integers(0, 2**63 - 1), st.integers(0, 2))
def test_a_block_is_the_same_built_either_way(seed: int, stream: int) -> None:
    reps = np.arange(FEW + 3, dtype=np.int64) * 7919  # enough to take the vectorised path
    block = uniform_block(seed, reps, stream, (3, 2))
    for j, rep in enumerate(reps):
        np.testing.assert_array_equal(block[j], generator(seed, int(rep), stream).random((3, 2)))


def test_indices_beyond_one_word_fall_back_to_building_each_generator() -> None:
    assert initial_states(1, np.array([2**32], dtype=np.int64), 0) is None

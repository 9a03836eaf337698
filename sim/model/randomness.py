"""Reproducible random streams: one generator per (seed, replication, stream).

Each replication's numbers come from ``SeedSequence(seed, spawn_key=(replication, stream))``
and are drawn in blocks whose layout depends only on the calendar and the model's
dimensions, never on the simulated state. Hence replication ``i`` is the same alone, in any
batch or chunk, on any worker, and two scenarios that differ only in policy (board,
ring-fences) see the same need, shocks and allocation growth (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: Stream ids: environment (need, shocks, allocation growth, cost-improvement delivery and
#: slippage) and board attendance.
ENVIRONMENT = 0
ATTENDANCE = 1


#: Below this many replications, building each generator costs less than the vectorised
#: hash of their seed sequences (which costs about as much as 15 generators).
FEW = 32


def generator(seed: int, replication: int, stream: int) -> np.random.Generator:
    """The generator of one replication's stream."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, stream)))
    )


def uniform_block(
    seed: int,
    replications: Sequence[int] | npt.NDArray[np.int64],
    stream: int,
    shape: tuple[int, ...],
    states: Sequence[tuple[int, int]] | None = None,
) -> npt.NDArray[np.float64]:
    """Uniforms in ``[0, 1)`` of shape ``(len(replications), *shape)``, row ``j`` from replication ``j``.

    The first axis of ``shape`` is months: a longer horizon extends a replication's numbers
    without changing the earlier ones (the draws fill month by month). ``states`` may give
    the replications' :func:`initial_states` (computed once for a whole batch: the hash
    is vectorised over replications, so it is cheap for many and dear for a few).
    """
    reps = np.asarray(replications, dtype=np.int64)
    out = np.empty((len(reps), *shape), dtype=np.float64)
    if states is None and reps.size >= FEW:
        states = initial_states(seed, reps, stream)
    if states is None:
        for j, rep in enumerate(reps):
            out[j] = generator(seed, int(rep), stream).random(shape)
        return out
    # The same numbers as :func:`generator`, without building a seed sequence, a bit
    # generator and a generator per replication (about half the cost of a small block):
    # one bit generator is set to each replication's initial state in turn.
    bits = np.random.PCG64(0)
    draw = np.random.Generator(bits)
    for j, (state, inc) in enumerate(states):
        bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        draw.random(out=out[j])
    return out


# SeedSequence's hash (numpy.random.bit_generator, after O'Neill's seed_seq), on uint32.
_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = 16
_POOL = 4
# PCG64's 128-bit multiplier.
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1


def _words(n: int) -> list[int]:
    """A non-negative integer as little-endian uint32 words (as SeedSequence reads it)."""
    if n == 0:
        return [0]
    out = []
    while n:
        out.append(n & _MASK32)
        n >>= 32
    return out


def initial_states(
    seed: int, reps: npt.NDArray[np.int64], stream: int
) -> list[tuple[int, int]] | None:
    """PCG64's initial ``(state, inc)`` of :func:`generator` (``SeedSequence(seed,
    spawn_key=(rep, stream))``)
    of each replication, computed for all replications at once; None when a replication
    index does not fit one uint32 word (then callers build each generator)."""
    if seed < 0 or stream < 0 or (reps.size and (reps.min() < 0 or reps.max() > _MASK32)):
        return None
    run = _words(seed)
    run += [0] * max(0, _POOL - len(run))
    n = reps.size
    entropy = [np.full(n, w, dtype=np.uint64) for w in run]
    entropy.append(reps.astype(np.uint64))
    entropy += [np.full(n, w, dtype=np.uint64) for w in _words(stream)]
    const = _INIT_A

    def hashmix(value: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        nonlocal const
        value = value ^ np.uint64(const)
        const = (const * _MULT_A) & _MASK32
        value = (value * np.uint64(const)) & np.uint64(_MASK32)
        out: npt.NDArray[np.uint64] = value ^ (value >> np.uint64(_XSHIFT))
        return out

    def mix(x: npt.NDArray[np.uint64], y: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        # In uint64, exact modulo 2**32 after the mask (products of two words fit).
        r = (np.uint64(_MIX_L) * x - np.uint64(_MIX_R) * y) & np.uint64(_MASK32)
        out: npt.NDArray[np.uint64] = r ^ (r >> np.uint64(_XSHIFT))
        return out

    pool = [hashmix(entropy[i]) for i in range(_POOL)]
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    for i_src in range(_POOL, len(entropy)):
        for i_dst in range(_POOL):
            pool[i_dst] = mix(pool[i_dst], hashmix(entropy[i_src]))
    const = _INIT_B
    words = []
    for i_dst in range(8):  # four uint64 words of state: 128-bit seed, then increment
        value = pool[i_dst % _POOL] ^ np.uint64(const)
        const = (const * _MULT_B) & _MASK32
        value = (value * np.uint64(const)) & np.uint64(_MASK32)
        words.append(value ^ (value >> np.uint64(_XSHIFT)))
    u64 = [(words[2 * i] | (words[2 * i + 1] << np.uint64(32))).tolist() for i in range(4)]
    states = []
    for hi0, lo0, hi1, lo1 in zip(*u64, strict=True):
        # pcg64_set_seed: state 0, inc = 2 * initseq + 1, one step, add initstate, one step.
        inc = (((hi1 << 64) | lo1) << 1 | 1) & _MASK128
        state = (inc + ((hi0 << 64) | lo0)) & _MASK128
        states.append(((state * _PCG_MULT + inc) & _MASK128, inc))
    return states


def open_unit(u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Map uniforms on ``[0, 1)`` (multiples of 2**-53) into the open interval ``(0, 1)``."""
    return u + 2.0**-54

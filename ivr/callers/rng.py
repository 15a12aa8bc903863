"""Counter-based random numbers: the draw for (caller, step) depends only on those and the seed.

A stateful generator would tie caller i's draws to the order callers happen to be
processed in. Hashing the counter instead (SplitMix64's finaliser) makes results
independent of the pool size, and gives comparisons of menu variants common random
numbers for free: caller i draws the same intent, patience and uniforms in every variant.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_STEP_BITS = np.uint64(24)
_TO_UNIT = 2.0 ** -53
_S11 = np.uint64(11)

#: Reserved "steps" for per-caller draws that are not menu steps.
INTENT, ZERO_OUT, ARRIVAL, PATIENCE = (1 << 24) - 1, (1 << 24) - 2, (1 << 24) - 3, (1 << 24) - 4
#: The queue at a staffed agent: where the caller finds the line, and its i-th departure
#: (QUEUE_STAGE + i); menu steps stay below QUEUE_STAGE.
QUEUE = (1 << 24) - 5
QUEUE_STAGE = 1 << 20
#: Whether a caller offered a callback in a line takes it.
ACCEPT = (1 << 24) - 6


def _mix(z: np.ndarray) -> np.ndarray:
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def seed_key(seed: int) -> np.uint64:
    """A well-mixed 64-bit key for a user's seed."""
    with np.errstate(over="ignore"):
        return np.uint64(_mix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
                              + _GOLDEN)[0])


def visit_key(key: np.uint64, visit: int) -> np.uint64:
    """The key of a caller's ``visit``-th line (0: ``key`` itself), so a caller sent from
    one line into another draws afresh there with the same reserved streams.

    >>> k = seed_key(1)
    >>> bool(visit_key(k, 0) == k), bool(visit_key(k, 1) == visit_key(k, 2))
    (True, False)
    """
    if visit == 0:
        return key
    with np.errstate(over="ignore"):
        return np.uint64(_mix(np.array([int(key) ^ (visit * 0x2545F4914F6CDD1D
                                                     & 0xFFFFFFFFFFFFFFFF)],
                                       dtype=np.uint64))[0])


def uniforms(key: np.uint64, caller: np.ndarray, step: np.ndarray | int) -> np.ndarray:
    """One uniform in [0, 1) per caller, for the given step (or reserved stream).

    Examples
    --------
    >>> k = seed_key(1)
    >>> a = uniforms(k, np.arange(4, dtype=np.uint64), 0)
    >>> b = uniforms(k, np.arange(4, dtype=np.uint64)[::-1].copy(), 0)[::-1]
    >>> bool((a == b).all()), bool(((a >= 0) & (a < 1)).all())
    (True, True)
    """
    z = caller.astype(np.uint64) << _STEP_BITS
    z |= np.asarray(step, dtype=np.uint64)
    z ^= key
    z += _GOLDEN
    with np.errstate(over="ignore"):
        _mix(z)
    z >>= _S11
    return z.astype(np.float64) * _TO_UNIT


#: Whether a caller barges in (its intent's ``barge_in`` share).
BARGE = (1 << 24) - 7

__all__ = ["ACCEPT", "ARRIVAL", "BARGE", "INTENT", "PATIENCE", "QUEUE", "QUEUE_STAGE",
           "ZERO_OUT", "seed_key", "uniforms", "visit_key"]

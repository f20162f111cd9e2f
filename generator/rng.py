"""Deterministic randomness that never depends on the horizon.

Simulation draws come from one generator per (seed, stream, day); defect decisions hash a row's own id, so
whether a row gets a defect does not depend on which other rows exist.
"""

from __future__ import annotations

import zlib

import numpy as np

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def stream_code(name: str) -> int:
    """A stable integer for a stream name (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode())


def day_rng(seed: int, stream: str, day: int, branch: int | None = None) -> np.random.Generator:
    """`branch` gives an alternative future from the same past (Monte-Carlo replicates of the process)."""
    key = [seed, stream_code(stream), day] if branch is None else [seed, stream_code(stream), day, branch]
    return np.random.default_rng(key)


def _splitmix64_(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a uint64 array we own (no temporaries but the shifts):
    defect hashing runs it on every row of every entity."""
    with np.errstate(over="ignore"):
        x += np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def hash_bits(seed: int, salt: str, uid: np.ndarray) -> np.ndarray:
    """64 well-mixed bits per row id."""
    base = np.uint64((seed * 0x100000001B3 + stream_code(salt)) & 0xFFFFFFFFFFFFFFFF)
    x = uid.astype(np.uint64)  # a copy, mixed in place
    x ^= base
    _splitmix64_(x)
    with np.errstate(over="ignore"):
        x += base
    return _splitmix64_(x)


def hash_below(seed: int, salt: str, uid: np.ndarray, rate: float) -> np.ndarray:
    """hash_uniform(...) < rate without the float array: the top 53 bits and rate * 2**53 compare
    exactly as the uniform and the rate do (both scalings are by a power of two)."""
    return (hash_bits(seed, salt, uid) >> np.uint64(11)) < rate * float(1 << 53)


def hash_uniform(seed: int, salt: str, uid: np.ndarray) -> np.ndarray:
    """A uniform [0, 1) per row id, stable across runs and horizons."""
    return (hash_bits(seed, salt, uid) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def hash_int(seed: int, salt: str, uid: np.ndarray, low: int, high: int) -> np.ndarray:
    """An integer in [low, high) per row id."""
    return low + (hash_bits(seed, salt, uid) % np.uint64(high - low)).astype(np.int64)


def each_with(rng: np.random.Generator, among: np.ndarray, rate: float) -> np.ndarray:
    """Each entry of `among` independently with probability `rate`, in order: a binomial count, then which
    ones. Same distribution as a uniform per entry, far cheaper when the rate is small."""
    return np.sort(rng.choice(among, size=rng.binomial(len(among), min(rate, 1.0)), replace=False))

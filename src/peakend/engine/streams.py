"""Independent named random streams for one replication.

One :class:`numpy.random.SeedSequence` per run; each replication and each named
stream ("arrivals", "patience", "service:agents", ...) gets its own child
sequence, keyed by the replication number and a stable hash of the name. Two
scenarios that differ only in a policy therefore see the same customers with the
same patience and work content (common random numbers), and adding a new stream
never shifts the numbers of the existing ones.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

__all__ = ["BlockStream", "RandomStreams"]


class RandomStreams:
    """Factory of named, independent generators for replication ``replication`` of ``seed``.

    ``prefix`` namespaces the streams, e.g. ``"period 3/"`` for one period of a
    multi-period run.
    """

    def __init__(self, seed: int, replication: int = 0, prefix: str = "") -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if replication < 0:
            raise ValueError(f"replication must be >= 0, got {replication}")
        self.seed = seed
        self.replication = replication
        self.prefix = prefix

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The child SeedSequence of stream ``name`` (after this factory's prefix)."""
        key = zlib.crc32((self.prefix + name).encode("utf-8"))
        return np.random.SeedSequence(self.seed, spawn_key=(self.replication, key))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh PCG64 generator for stream ``name`` (same name → same numbers)."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name)))

    def block(
        self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray], size: int = 2048
    ) -> BlockStream:
        """A :class:`BlockStream` over stream ``name``."""
        return BlockStream(self.generator(name), draw, size)

    def uniforms(self, name: str, size: int = 2048) -> BlockStream:
        """Uniform(0, 1) numbers from stream ``name``, one at a time, drawn in blocks."""
        return self.block(name, lambda rng, n: rng.random(n), size)


class BlockStream:
    """Hands out one number at a time from blocks drawn vectorised.

    Drawing one value from numpy costs about as much as drawing hundreds, so the
    per-customer path takes numbers from a pre-drawn Python list instead.
    """

    __slots__ = ("_buffer", "_draw", "_index", "_rng", "_size")

    def __init__(
        self,
        rng: np.random.Generator,
        draw: Callable[[np.random.Generator, int], np.ndarray],
        size: int = 2048,
    ) -> None:
        if size < 1:
            raise ValueError(f"block size must be >= 1, got {size}")
        self._rng = rng
        self._draw = draw
        self._size = size
        self._buffer: list[float] = []
        self._index = 0

    def __call__(self) -> float:
        index = self._index
        if index == len(self._buffer):
            self._buffer = self._draw(self._rng, self._size).tolist()
            index = 0
        self._index = index + 1
        return self._buffer[index]

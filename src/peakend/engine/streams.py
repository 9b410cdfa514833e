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
from array import array
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["BlockStream", "CustomerDraws", "RandomStreams"]


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


Sampler = Callable[[np.random.Generator, int], np.ndarray]


class CustomerDraws:
    """Every random decision of every customer, by decision and contact, drawn up front.

    Column ``(decision, k)`` holds decision ``decision`` of every customer's
    ``k``-th contact (``k = 0`` for the first), from its own named stream. A
    customer's draws therefore depend only on the seed, the replication and the
    customer's index, never on the order in which events happen: two scenarios
    compared with the same seed give each customer the same patience, work,
    resolution, retry and recontact decisions and delays on every contact
    (common random numbers). Columns are drawn when first asked for, for all
    customers at once; what they hold does not depend on when that is.

    ``groups`` maps a grouping name (``"segment"``) to each customer's group
    index, so that a decision whose distribution differs by group (patience by
    segment) draws each group's column from the group's own stream and keeps the
    value of the customer's group.
    """

    __slots__ = ("_cache", "_groups", "_n", "_streams")

    def __init__(self, streams: RandomStreams, n: int, groups: dict[str, np.ndarray]) -> None:
        self._streams = streams
        self._n = n
        self._groups = groups
        self._cache: dict[tuple[str, int], Column] = {}

    def fix(self, decision: str, contact: int, values: Sequence[float]) -> None:
        """Set column ``(decision, contact)`` to ``values``, one per customer (a testing seam).

        The story tests (``tests/engine/stories.py``) script a customer's decisions
        this way: "fails on the first contact, resolved on the second". A fixed
        column is returned as given by :meth:`uniform`, :meth:`column` and
        :meth:`by_group` (no group scale is applied), so fix a column before the
        run first asks for it. Raises ValueError unless there is one value per
        customer.
        """
        if len(values) != self._n:
            raise ValueError(
                f"{decision!r} at contact {contact}: need {self._n} values (one per customer), "
                f"got {len(values)}"
            )
        self._cache[(decision, contact)] = _typed(np.asarray(values, dtype=float))

    def release(self) -> None:
        """Let go of every column drawn (a replication whose run is over: its memory goes
        back; a column asked for again would be drawn again, the same numbers)."""
        self._cache.clear()

    def uniform(self, decision: str, contact: int) -> Column:
        """Uniform(0, 1) numbers of ``decision`` at contact ``contact``, one per customer."""
        column = self._cache.get((decision, contact))
        return column if column is not None else self.column(decision, contact, _uniform)

    def column(self, decision: str, contact: int, sampler: Sampler) -> Column:
        """``sampler``'s numbers of ``decision`` at contact ``contact``, one per customer."""
        key = (decision, contact)
        column = self._cache.get(key)
        if column is None:
            rng = self._streams.generator(_stream_name(decision, contact))
            column = self._cache[key] = _typed(sampler(rng, self._n))
        return column

    def by_group(
        self,
        decision: str,
        contact: int,
        group: str,
        samplers: Sequence[tuple[str, Sampler]],
        scale: np.ndarray | None = None,
    ) -> Column:
        """Like :meth:`column`, with each customer's group's ``(name, sampler)``.

        Group ``g`` draws from the stream ``"{decision}:{name}"``; ``scale`` (one
        factor per customer) multiplies the numbers.
        """
        key = (decision, contact)
        column = self._cache.get(key)
        if column is None:
            values = self.by_group_array(decision, contact, group, samplers)
            column = self._cache[key] = _typed(values * scale if scale is not None else values)
        return column

    def with_group_overrides(
        self,
        decision: str,
        contact: int,
        group: str,
        sampler: Sampler,
        overrides: Sequence[tuple[str, Sampler] | None],
    ) -> Column:
        """Like :meth:`column`, except for the groups given their own ``(name, sampler)``
        in ``overrides`` (one entry per group; None: the common sampler).

        Customers of a group without an override keep exactly :meth:`column`'s
        numbers (the common stream), so adding an override for one group changes no
        other group's draws; group ``g`` with an override draws from the stream
        ``"{decision}:{name}"``.
        """
        key = (f"{decision}|by {group}", contact)
        column = self._cache.get(key)
        if column is None:
            values = np.array(self.column(decision, contact, sampler), dtype=float)
            membership = self._groups[group]
            for g, override in enumerate(overrides):
                mask = membership == g
                if override is None or not mask.any():
                    continue
                name, own = override
                rng = self._streams.generator(_stream_name(f"{decision}:{name}", contact))
                values[mask] = own(rng, self._n)[mask]
            column = self._cache[key] = _typed(values)
        return column

    def by_group_array(
        self, decision: str, contact: int, group: str, samplers: Sequence[tuple[str, Sampler]]
    ) -> np.ndarray:
        """:meth:`by_group` as a fresh numpy array, unscaled."""
        membership = self._groups[group]
        values = np.zeros(self._n)
        for g, (name, sampler) in enumerate(samplers):
            mask = membership == g
            if mask.any():
                rng = self._streams.generator(_stream_name(f"{decision}:{name}", contact))
                values[mask] = sampler(rng, self._n)[mask]
        return values


Column = array
"""A column of draws, one per customer: a typed ``array("d")`` (8 bytes a customer, not
the 32 of a list of Python floats), indexed from Python as fast as a list, its numbers
exactly the float64 numbers drawn."""


def _typed(values: np.ndarray) -> Column:
    """``values`` as a :data:`Column` (float64 bit for bit)."""
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


def _uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n)


def _stream_name(decision: str, contact: int) -> str:
    # The first contact keeps the plain name, so adding later contacts' columns
    # never changes the first contact's numbers.
    return decision if contact == 0 else f"{decision}#{contact}"

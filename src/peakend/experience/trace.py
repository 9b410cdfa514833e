"""Experience traces: moment utility over a journey, for many customers at once.

A trace is a sequence of linear *pieces*. Each piece has a clock start, a duration
in minutes and the moment utility at its start and at its end, linear in between
(bipolar scale: negative = pain). Pieces of all customers are stored flat, one row
per piece, in columnar numpy arrays, so that memory models can reduce them per
customer without a Python loop over customers.

Memory models read a customer's trace on its *experienced* time axis: the pieces
laid end to end. Gaps between episodes (waiting at home for a callback) carry no
utility and do not count. Zero-duration pieces are instantaneous moments such as
a failure shock: they count for the worst, best, first and final moments, but
have no weight in time averages and integrals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = ["EpisodeKind", "FloatArray", "IntArray", "TraceBuilder", "Traces", "running_sums"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class EpisodeKind(IntEnum):
    """What a piece of a trace means to the customer (stored as ``int8``)."""

    WAIT = 0
    SERVICE = 1
    FAILURE = 2
    TRANSFER = 3
    RECOVERY = 4
    FAREWELL = 5
    DELIGHT = 6
    OTHER = 7


_FLOAT_COLUMNS = ("start", "duration", "u_start", "u_end")
_KIND_CODES = np.array([kind.value for kind in EpisodeKind], dtype=np.int8)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _column(values: npt.ArrayLike, dtype: type, name: str) -> np.ndarray:
    given = np.asarray(values)
    if given.ndim != 1:
        raise ValueError(f"Traces.{name} must be one-dimensional, got shape {given.shape}")
    if dtype is not np.float64 and given.size and given.dtype.kind not in "iu":
        raise ValueError(f"Traces.{name} must hold integers, got dtype {given.dtype}")
    return np.array(given, dtype=dtype)  # a private copy: callers cannot mutate it


@dataclass(frozen=True, eq=False)
class Traces:
    """Piecewise-linear moment-utility traces of ``n`` customers, one row per piece.

    Parameters
    ----------
    owner : array of int64
        Customer index (0..n-1) of each piece. Non-decreasing: a customer's
        pieces are contiguous and in time order.
    start : array of float64
        Clock time of the piece start in minutes (for plotting; memory models use
        experienced time).
    duration : array of float64
        Piece duration in minutes, >= 0. Zero marks an instantaneous moment.
    u_start, u_end : array of float64
        Moment utility at the start and at the end of the piece (linear between).
    kind : array of int8
        :class:`EpisodeKind` code of each piece.
    n : int
        Number of customers. Customers without pieces are allowed; memory
        models give them NaN.

    Raises
    ------
    ValueError
        If the columns differ in length, an owner is outside ``[0, n)`` or
        decreases, a duration is negative, a value is not finite or a kind code
        is unknown.

    Notes
    -----
    The arrays are copied and made read-only, so a ``Traces`` is immutable.
    """

    owner: IntArray
    start: FloatArray
    duration: FloatArray
    u_start: FloatArray
    u_end: FloatArray
    kind: npt.NDArray[np.int8]
    n: int

    def __post_init__(self) -> None:
        self._coerce_columns()
        self._check_lengths()
        self._check_owner()
        self._check_values()

    @classmethod
    def _from_engine(
        cls,
        owner: IntArray,
        start: FloatArray,
        duration: FloatArray,
        u_start: FloatArray,
        u_end: FloatArray,
        kind: npt.NDArray[np.int8],
        n: int,
    ) -> Traces:
        """Traces from columns the experience model has just built (fresh arrays of the
        right dtypes, owners grouped): made read-only without the copies and checks of
        the public constructor, which the tests run on the same columns."""
        traces = cls.__new__(cls)
        for name, values in (
            ("owner", owner),
            ("start", start),
            ("duration", duration),
            ("u_start", u_start),
            ("u_end", u_end),
            ("kind", kind),
        ):
            object.__setattr__(traces, name, _read_only(values))
        object.__setattr__(traces, "n", int(n))
        return traces

    def _coerce_columns(self) -> None:
        object.__setattr__(self, "owner", _column(self.owner, np.int64, "owner"))
        for name in _FLOAT_COLUMNS:
            object.__setattr__(self, name, _column(getattr(self, name), np.float64, name))
        # int64 first so that an out-of-range code is reported, not wrapped around
        kind = _column(self.kind, np.int64, "kind")
        unknown = np.flatnonzero(~np.isin(kind, _KIND_CODES))
        if unknown.size:
            i = int(unknown[0])
            raise ValueError(f"Traces.kind {kind[i]} of piece {i} is not an EpisodeKind code")
        object.__setattr__(self, "kind", kind.astype(np.int8))
        for name in ("owner", *_FLOAT_COLUMNS, "kind"):
            _read_only(getattr(self, name))
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer):
            raise ValueError(f"Traces.n must be an integer, got {self.n!r}")
        if self.n < 0:
            raise ValueError(f"Traces.n must be >= 0, got {self.n}")
        object.__setattr__(self, "n", int(self.n))

    def _check_lengths(self) -> None:
        lengths = {name: len(getattr(self, name)) for name in ("owner", *_FLOAT_COLUMNS, "kind")}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Traces columns must have equal lengths, got {lengths}")

    def _check_owner(self) -> None:
        owner = self.owner
        if owner.size == 0:
            return
        if owner[0] < 0 or owner[-1] >= self.n:
            bad = owner[(owner < 0) | (owner >= self.n)][0]
            raise ValueError(f"Traces.owner {bad} is outside [0, {self.n})")
        decreasing = np.flatnonzero(np.diff(owner) < 0)
        if decreasing.size:
            i = int(decreasing[0])
            raise ValueError(
                f"Traces.owner must be non-decreasing (pieces grouped by customer), "
                f"but piece {i + 1} has owner {owner[i + 1]} after {owner[i]}"
            )

    def _check_values(self) -> None:
        for name in _FLOAT_COLUMNS:
            column = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(column))
            if bad.size:
                raise ValueError(
                    f"Traces.{name} must be finite, piece {bad[0]} is {column[bad[0]]}"
                )
        negative = np.flatnonzero(self.duration < 0)
        if negative.size:
            i = int(negative[0])
            raise ValueError(f"Traces.duration must be >= 0, piece {i} is {self.duration[i]}")

    def __repr__(self) -> str:
        return f"Traces(n={self.n}, n_pieces={self.n_pieces})"

    # ------------------------------------------------------------------ construction

    @classmethod
    def empty(cls, n: int = 0) -> Traces:
        """Traces of ``n`` customers without any pieces."""
        no_floats = np.empty(0, dtype=np.float64)
        return cls(
            np.empty(0, np.int64),
            no_floats,
            no_floats,
            no_floats,
            no_floats,
            np.empty(0, np.int8),
            n,
        )

    @classmethod
    def from_samples(
        cls,
        samples: Sequence[npt.ArrayLike],
        step_minutes: float,
        *,
        kind: EpisodeKind = EpisodeKind.OTHER,
        start_minutes: float = 0.0,
    ) -> Traces:
        """Build traces from utility ratings sampled at a fixed step.

        As in the pain studies (a rating every 60 s), customer ``i``'s samples
        ``samples[i][0], samples[i][1], ...`` are taken at clock times
        ``start_minutes + k * step_minutes`` and joined linearly. A customer with
        one sample gets one instantaneous (zero-duration) piece; a customer with
        none gets no pieces.

        Parameters
        ----------
        samples : sequence of 1-d array-likes of float
            Utility ratings per customer (use ``-pain`` for pain ratings).
        step_minutes : float
            Time between consecutive samples in minutes, > 0.
        kind : EpisodeKind
            Kind given to every piece.
        start_minutes : float
            Clock time of the first sample of every customer.

        Raises
        ------
        ValueError
            If ``step_minutes`` is not a positive finite number or a sample is
            not finite.
        """
        if not (math.isfinite(step_minutes) and step_minutes > 0):
            raise ValueError(f"step_minutes must be positive and finite, got {step_minutes}")
        rows = [np.asarray(row, dtype=np.float64).reshape(-1) for row in samples]
        lengths = np.array([row.size for row in rows], dtype=np.int64)
        flat = np.concatenate(rows) if rows else np.empty(0, np.float64)
        # A piece starts at every sample except a customer's last one, unless that
        # last sample is the only one: then it is an instantaneous moment.
        is_last = np.zeros(flat.size, dtype=bool)
        is_last[np.cumsum(lengths)[lengths > 0] - 1] = True
        owner_of_sample = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
        keep = ~is_last | (lengths[owner_of_sample] == 1)
        index = np.flatnonzero(keep)
        following = np.where(is_last[index], index, index + 1)
        position = index - (np.cumsum(lengths) - lengths)[owner_of_sample[index]]
        return cls(
            owner=owner_of_sample[index],
            start=start_minutes + position * step_minutes,
            duration=np.where(is_last[index], 0.0, step_minutes),
            u_start=flat[index],
            u_end=flat[following],
            kind=np.full(index.size, kind, dtype=np.int8),
            n=len(rows),
        )

    @classmethod
    def concat(cls, parts: Sequence[Traces]) -> Traces:
        """Stack the customers of several traces; customers are renumbered in order."""
        if not parts:
            return cls.empty(0)
        offsets = np.cumsum([0] + [part.n for part in parts[:-1]])
        return cls(
            owner=np.concatenate([p.owner + off for p, off in zip(parts, offsets, strict=True)]),
            start=np.concatenate([p.start for p in parts]),
            duration=np.concatenate([p.duration for p in parts]),
            u_start=np.concatenate([p.u_start for p in parts]),
            u_end=np.concatenate([p.u_end for p in parts]),
            kind=np.concatenate([p.kind for p in parts]),
            n=int(sum(part.n for part in parts)),
        )

    def select(self, customers: npt.ArrayLike) -> Traces:
        """Traces of a subset of customers, renumbered 0..m-1 in the given order.

        Parameters
        ----------
        customers : array of int or bool
            Customer indices (any order; repeats give copies) or a boolean mask
            of length ``n``.

        Raises
        ------
        ValueError
            If an index is outside ``[0, n)`` or a mask has the wrong length.
        """
        chosen = self._customer_indices(customers)
        counts = self.counts[chosen]
        first = self.offsets[chosen]
        new_owner = np.repeat(np.arange(chosen.size, dtype=np.int64), counts)
        rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return self._take(first[new_owner] + rank, new_owner, chosen.size)

    def filter_pieces(self, keep: npt.ArrayLike) -> Traces:
        """The same customers with only the pieces where ``keep`` is true.

        Raises
        ------
        ValueError
            If ``keep`` is not a boolean mask with one entry per piece.
        """
        mask = np.asarray(keep)
        if mask.dtype != np.bool_ or mask.shape != self.owner.shape:
            raise ValueError(
                f"keep must be a boolean mask of shape {self.owner.shape}, "
                f"got dtype {mask.dtype} and shape {mask.shape}"
            )
        index = np.flatnonzero(mask)
        return self._take(index, self.owner[index], self.n)

    def _customer_indices(self, customers: npt.ArrayLike) -> IntArray:
        chosen = np.asarray(customers)
        if chosen.dtype == np.bool_:
            if chosen.shape != (self.n,):
                raise ValueError(f"a customer mask must have shape ({self.n},), got {chosen.shape}")
            return np.flatnonzero(chosen).astype(np.int64)
        chosen = chosen.astype(np.int64).reshape(-1)
        outside = chosen[(chosen < 0) | (chosen >= self.n)]
        if outside.size:
            raise ValueError(f"customer index {outside[0]} is outside [0, {self.n})")
        return chosen

    def _take(self, index: IntArray, owner: IntArray, n: int) -> Traces:
        return Traces(
            owner,
            self.start[index],
            self.duration[index],
            self.u_start[index],
            self.u_end[index],
            self.kind[index],
            n,
        )

    # ------------------------------------------------------------------ per customer

    def customer(self, i: int, *, experienced: bool = False) -> tuple[FloatArray, FloatArray]:
        """Polyline ``(times, utilities)`` of customer ``i`` for plotting.

        Each piece contributes its two end points; a NaN row separates pieces
        that are not contiguous in time, so that gaps are not drawn as lines.

        Parameters
        ----------
        i : int
            Customer index in ``[0, n)``.
        experienced : bool
            Use experienced time (pieces end to end, starting at 0) instead of
            clock time.

        Raises
        ------
        ValueError
            If ``i`` is outside ``[0, n)``.
        """
        if not 0 <= i < self.n:
            raise ValueError(f"customer index {i} is outside [0, {self.n})")
        piece = slice(self.offsets[i], self.offsets[i + 1])
        duration = self.duration[piece]
        starts = (np.cumsum(duration) - duration) if experienced else self.start[piece]
        times = np.column_stack([starts, starts + duration])
        utilities = np.column_stack([self.u_start[piece], self.u_end[piece]])
        gap = ~np.isclose(times[1:, 0], times[:-1, 1], rtol=0.0, atol=1e-9)
        separators = np.flatnonzero(gap) + 1
        times = np.insert(times.reshape(-1), 2 * separators, np.nan)
        utilities = np.insert(utilities.reshape(-1), 2 * separators, np.nan)
        return times, utilities

    @property
    def n_pieces(self) -> int:
        """Number of pieces over all customers."""
        return int(self.owner.size)

    @cached_property
    def counts(self) -> IntArray:
        """Number of pieces of each customer, shape ``(n,)``."""
        return _read_only(np.bincount(self.owner, minlength=self.n).astype(np.int64))

    @cached_property
    def offsets(self) -> IntArray:
        """Index of each customer's first piece, shape ``(n + 1,)``; the last is ``n_pieces``."""
        return _read_only(np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64))

    @cached_property
    def piece_end_time(self) -> FloatArray:
        """Experienced time in minutes at the end of each piece (0 at each customer's start)."""
        rank = np.arange(self.n_pieces) - self.offsets[:-1][self.owner]
        return _read_only(running_sums(self.duration, rank))

    @cached_property
    def total_duration(self) -> FloatArray:
        """Experienced duration of each customer's trace in minutes (0 without pieces)."""
        return _read_only(np.nan_to_num(self.group_last(self.piece_end_time), nan=0.0))

    # ------------------------------------------------------------------ grouped reductions

    def group_min(self, values: npt.ArrayLike) -> FloatArray:
        """Per-customer minimum of one value per piece; NaN for customers without pieces."""
        return self._reduce(np.minimum, values)

    def group_max(self, values: npt.ArrayLike) -> FloatArray:
        """Per-customer maximum of one value per piece; NaN for customers without pieces."""
        return self._reduce(np.maximum, values)

    def group_sum(self, values: npt.ArrayLike) -> FloatArray:
        """Per-customer sum of one value per piece; 0 for customers without pieces."""
        sums = np.bincount(self.owner, weights=self._per_piece(values), minlength=self.n)
        return sums.astype(np.float64, copy=False)

    def group_first(self, values: npt.ArrayLike) -> FloatArray:
        """Per-customer value of the first piece; NaN for customers without pieces."""
        return self._pick(values, self.offsets[:-1])

    def group_last(self, values: npt.ArrayLike) -> FloatArray:
        """Per-customer value of the last piece; NaN for customers without pieces."""
        return self._pick(values, self.offsets[1:] - 1)

    def _per_piece(self, values: npt.ArrayLike) -> FloatArray:
        array = np.asarray(values, dtype=np.float64)
        if array.shape != self.owner.shape:
            raise ValueError(
                f"expected one value per piece, shape {self.owner.shape}, got shape {array.shape}"
            )
        return array

    def _reduce(self, ufunc: np.ufunc, values: npt.ArrayLike) -> FloatArray:
        array = self._per_piece(values)
        out = np.full(self.n, np.nan)
        has_pieces = self.counts > 0
        if array.size:
            # reduceat over the first piece of each non-empty customer: groups are contiguous
            out[has_pieces] = ufunc.reduceat(array, self.offsets[:-1][has_pieces])
        return out

    def _pick(self, values: npt.ArrayLike, index: IntArray) -> FloatArray:
        array = self._per_piece(values)
        out = np.full(self.n, np.nan)
        has_pieces = self.counts > 0
        out[has_pieces] = array[index[has_pieces]]
        return out


def running_sums(values: npt.ArrayLike, rank: npt.ArrayLike) -> FloatArray:
    """Running sum of ``values`` within each group of contiguous rows (inclusive).

    ``rank`` is each row's position in its group (0 for a group's first row). Each
    group is summed on its own, in order, so a customer's sums are bit for bit the
    same whoever else is in the table (a cumulative sum over the whole table minus
    the sum before the group would round with the other customers' values, and
    two scenarios that share a customer would remember it differently in the last
    bit). The loop runs once per position, vectorised over the groups.
    """
    out = np.array(values, dtype=np.float64)
    positions = np.asarray(rank, dtype=np.int64)
    if out.size == 0:
        return out
    order = np.argsort(positions, kind="stable")
    bounds = np.cumsum(np.bincount(positions))
    for position in range(1, len(bounds)):
        rows = order[bounds[position - 1] : bounds[position]]
        out[rows] += out[rows - 1]
    return out


class TraceBuilder:
    """Collect pieces one by one from Python code, then build :class:`Traces` once.

    Appending goes to plain Python lists (cheap inside a SimPy process); the
    conversion to numpy and the validation happen in :meth:`build`. Pieces must
    be added grouped by customer and in time order, e.g. customer by customer as
    journeys finish.

    Examples
    --------
    >>> builder = TraceBuilder()
    >>> builder.add(0, start=0.0, duration=2.0, u_start=-1.0, u_end=-3.0, kind=EpisodeKind.WAIT)
    >>> builder.build(n=1).n_pieces
    1
    """

    __slots__ = ("_owner", "_start", "_duration", "_u_start", "_u_end", "_kind")

    def __init__(self) -> None:
        self._owner: list[int] = []
        self._start: list[float] = []
        self._duration: list[float] = []
        self._u_start: list[float] = []
        self._u_end: list[float] = []
        self._kind: list[int] = []

    def __len__(self) -> int:
        return len(self._owner)

    def add(
        self,
        owner: int,
        start: float,
        duration: float,
        u_start: float,
        u_end: float,
        kind: int = EpisodeKind.OTHER,
    ) -> None:
        """Append one piece: customer, clock start (min), duration (min), utilities, kind."""
        self._owner.append(owner)
        self._start.append(start)
        self._duration.append(duration)
        self._u_start.append(u_start)
        self._u_end.append(u_end)
        self._kind.append(kind)

    def build(self, n: int) -> Traces:
        """Return the collected pieces as validated :class:`Traces` of ``n`` customers.

        Raises
        ------
        ValueError
            As :class:`Traces` does (e.g. pieces not grouped by customer).
        """
        return Traces(
            owner=np.array(self._owner, dtype=np.int64),
            start=np.array(self._start, dtype=np.float64),
            duration=np.array(self._duration, dtype=np.float64),
            u_start=np.array(self._u_start, dtype=np.float64),
            u_end=np.array(self._u_end, dtype=np.float64),
            kind=np.array(self._kind, dtype=np.int8),
            n=n,
        )

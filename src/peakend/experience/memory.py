"""Memory models: compress each customer's experience trace into remembered utility.

Every model is a small frozen value object with validated parameters and a
readable ``repr`` (``PeakEnd(peak_weight=0.5, end_weight=0.5)``). Its
``remember(traces)`` returns one remembered utility per customer (shape ``(n,)``,
float64, same bipolar scale as the moment utility; NaN for customers without
pieces), computed with numpy over all customers at once.

Conventions shared by all models (see :mod:`peakend.experience.trace`):

* time is *experienced* time in minutes: a customer's pieces laid end to end;
* the *moments* of a trace are the start and end values of its pieces (a
  piecewise-linear trace takes its extremes there);
* zero-duration pieces are moments without duration: they count for the
  worst, best, first and final moments but carry no weight in time averages;
  a customer whose whole trace lasts zero minutes gets the plain average of the
  piece midpoints ``(u_start + u_end) / 2`` wherever a time average is needed.

Models are built from configs with :func:`memory_model_from_spec`. A spec is a
mapping with a ``"model"`` key naming a registered model (built in, registered
with :func:`register_memory_model`, or declared by an installed package as an
entry point in the group ``peakend.memory_models``; never an import path) and
the model's parameters::

    {"model": "peak_end", "peak_weight": 0.6, "end_weight": 0.4}

Adding a model takes a few lines::

    @register_memory_model("worst_only")
    @dataclass(frozen=True)
    class WorstOnly(BaseMemoryModel):
        scale: float = 1.0

        def remember(self, traces: Traces) -> FloatArray:
            return self.scale * summarize(traces)["worst"]

after which ``{"model": "worst_only", "scale": 2.0}`` works in a config.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from peakend.base import plugins
from peakend.base.registry import Registry
from peakend.experience.trace import FloatArray, Traces

__all__ = [
    "BLEND_TERMS",
    "BaseMemoryModel",
    "Blend",
    "End",
    "First",
    "LastEpisode",
    "Mean",
    "MemoryModel",
    "PeakEnd",
    "RecencyWeighted",
    "Total",
    "Trend",
    "WorstBestEnd",
    "available_memory_models",
    "memory_model_from_spec",
    "memory_model_to_spec",
    "register_memory_model",
    "summarize",
]


# ---------------------------------------------------------------------- interface


@runtime_checkable
class MemoryModel(Protocol):
    """Anything with ``remember(traces) -> array of shape (n,)`` is a memory model."""

    def remember(self, traces: Traces) -> FloatArray:
        """Remembered utility of each customer in ``traces`` (NaN without pieces)."""
        ...


class BaseMemoryModel(ABC):
    """Base class of every registered memory model: ``model(traces)`` and ``model.spec()``.

    Subclass it with a frozen dataclass whose fields are the parameters: a config
    may set exactly those fields, the model has a readable ``repr``, and
    :func:`memory_model_to_spec` can write it back into a config.
    """

    __slots__ = ()

    @abstractmethod
    def remember(self, traces: Traces) -> FloatArray:
        """Remembered utility of each customer in ``traces`` (NaN without pieces)."""

    def __call__(self, traces: Traces) -> FloatArray:
        return self.remember(traces)

    def spec(self) -> dict[str, object]:
        """The config mapping that rebuilds this model (see :func:`memory_model_to_spec`)."""
        return memory_model_to_spec(self)


# ---------------------------------------------------------------------- registry

_ModelClass = TypeVar("_ModelClass", bound=type)
_REGISTRY = Registry[BaseMemoryModel]("memory model", BaseMemoryModel, "peakend.memory_models")
# The schema checks configs' memory specs against this registry (peakend.base.plugins).
plugins.provide(plugins.MEMORY_MODELS, _REGISTRY)


def register_memory_model(
    name: str, *, replace: bool = False
) -> Callable[[_ModelClass], _ModelClass]:
    """Class decorator registering a memory model under a snake_case ``name``.

    Installed packages can instead declare the class as an entry point in the
    group ``peakend.memory_models``; it is loaded the first time a config names
    it (see :mod:`peakend.base.registry`).

    Parameters
    ----------
    name : str
        Name used as ``"model"`` in specs, matching ``[a-z][a-z0-9_]*``.
    replace : bool
        Allow replacing a model already registered under ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not snake_case or is taken (and ``replace`` is false).
    TypeError
        If the decorated class is not a dataclass subclassing :class:`BaseMemoryModel`.
    """
    return _REGISTRY.register(name, replace=replace)


def available_memory_models() -> dict[str, type]:
    """Registered memory models by name, sorted by name (a copy)."""
    return dict(_REGISTRY.available())


def memory_model_from_spec(spec: Mapping[str, Any] | str) -> BaseMemoryModel:
    """Build a memory model from a config mapping such as ``{"model": "end", "window_minutes": 3}``.

    Parameters
    ----------
    spec : mapping or str
        ``"model"`` names a registered model (:func:`available_memory_models`, or
        an entry point of an installed package); every other key is one of the
        model's fields. A bare string is shorthand for ``{"model": spec}``. A spec
        never names a module: nothing is imported on its behalf.

    Raises
    ------
    ValueError
        If ``"model"`` is missing, not a registered name (the message lists the
        registered names), if a parameter is unknown (the message lists the
        allowed ones) or if the model rejects a parameter value.
    """
    return _REGISTRY.from_spec(spec)


def memory_model_to_spec(model: object) -> dict[str, object]:
    """The spec mapping that :func:`memory_model_from_spec` turns back into ``model``.

    Raises
    ------
    ValueError
        If ``model`` is not a dataclass instance (its parameters are then unknown)
        or its class is not registered (a spec can only name registered models).
    """
    if not dataclasses.is_dataclass(model) or isinstance(model, type):
        raise ValueError(f"cannot write {model!r} as a spec: memory models must be dataclasses")
    names = _REGISTRY.names_of(type(model))
    if not names:
        raise ValueError(
            f"cannot write {model!r} as a spec: {type(model).__qualname__} is not registered "
            "(register it with register_memory_model or an entry point)"
        )
    params = {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.init}
    return {"model": names[0], **params}


# ---------------------------------------------------------------------- parameter checks


def _real(model: object, name: str, value: object) -> float:
    label = f"{type(model).__name__}.{name}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{label} must be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label} must be finite, got {value!r}")
    object.__setattr__(model, name, number)  # store floats: stable repr and specs
    return number


def _at_least_zero(model: object, *names: str) -> None:
    for name in names:
        if _real(model, name, getattr(model, name)) < 0:
            raise ValueError(
                f"{type(model).__name__}.{name} must be >= 0, got {getattr(model, name)}"
            )


def _positive(model: object, name: str) -> None:
    if _real(model, name, getattr(model, name)) <= 0:
        raise ValueError(f"{type(model).__name__}.{name} must be > 0, got {getattr(model, name)}")


def _weights(model: object, *names: str) -> float:
    _at_least_zero(model, *names)
    total = sum(getattr(model, name) for name in names)
    if total <= 0:
        raise ValueError(
            f"{type(model).__name__}: the weights {', '.join(names)} must not all be zero"
        )
    return float(total)


# ---------------------------------------------------------------------- per-customer statistics


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise ratio, NaN where the denominator is zero (no warnings)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _worst(traces: Traces) -> FloatArray:
    return np.minimum(traces.group_min(traces.u_start), traces.group_min(traces.u_end))


def _best(traces: Traces) -> FloatArray:
    return np.maximum(traces.group_max(traces.u_start), traces.group_max(traces.u_end))


def _first(traces: Traces) -> FloatArray:
    return traces.group_first(traces.u_start)


def _final(traces: Traces) -> FloatArray:
    return traces.group_last(traces.u_end)


def _integral(traces: Traces) -> FloatArray:
    """Utility-minutes per customer (trapezoids are exact for linear pieces)."""
    area = traces.group_sum(traces.duration * (traces.u_start + traces.u_end) / 2)
    return np.where(traces.counts > 0, area, np.nan)


def _moment_average(traces: Traces) -> FloatArray:
    """Average piece midpoint: the time average of a trace that lasts zero minutes."""
    midpoints = traces.group_sum((traces.u_start + traces.u_end) / 2)
    return _divide(midpoints, traces.counts.astype(np.float64))


def _time_average(traces: Traces, integral: FloatArray, minutes: FloatArray) -> FloatArray:
    return np.where(minutes > 0, _divide(integral, minutes), _moment_average(traces))


def _mean(traces: Traces) -> FloatArray:
    return _time_average(traces, _integral(traces), traces.total_duration)


def _window_mean(traces: Traces, window_minutes: float) -> FloatArray:
    """Mean utility over the last ``window_minutes`` of each trace (all of it if shorter)."""
    total = traces.total_duration
    cut = np.maximum(total - window_minutes, 0.0)[traces.owner]
    end = traces.piece_end_time
    begin = end - traces.duration
    inside_from = np.maximum(begin, cut)
    length = np.maximum(end - inside_from, 0.0)
    u_cut = _interpolate(traces.u_start, traces.u_end, traces.duration, inside_from - begin)
    integral = traces.group_sum(length * (u_cut + traces.u_end) / 2)
    return _time_average(traces, integral, np.minimum(total, window_minutes))


def _interpolate(
    u_start: FloatArray, u_end: FloatArray, duration: FloatArray, offset: FloatArray
) -> FloatArray:
    """Utility ``offset`` minutes into linear pieces (the start value for instants)."""
    fraction = np.zeros(duration.shape)
    np.divide(offset, duration, out=fraction, where=duration > 0)
    fraction = np.clip(fraction, 0.0, 1.0)  # rounding in experienced times
    return u_start + fraction * (u_end - u_start)


def _value_at(traces: Traces, minutes: FloatArray) -> FloatArray:
    """Utility of each customer at experienced time ``minutes`` (shape ``(n,)``).

    At a jump between pieces the value just before it is used: the piece read is
    the first one ending at or after the requested time.
    """
    ends = traces.piece_end_time
    reached = ends >= minutes[traces.owner]
    first_reaching = traces.group_min(np.where(reached, np.arange(traces.n_pieces), np.inf))
    has_pieces = traces.counts > 0
    piece = first_reaching[has_pieces].astype(np.int64)
    duration = traces.duration[piece]
    offset = minutes[has_pieces] - (ends[piece] - duration)
    out = np.full(traces.n, np.nan)
    out[has_pieces] = _interpolate(traces.u_start[piece], traces.u_end[piece], duration, offset)
    return out


def summarize(traces: Traces) -> dict[str, FloatArray]:
    """Per-customer summary of the experience, for per-customer records.

    Returns
    -------
    dict of str to array of shape (n,)
        ``worst`` and ``best`` (extreme moments), ``end`` (the final moment),
        ``mean`` (experienced utility: duration-weighted average), ``total``
        (integral, utility-minutes) and ``duration`` (experienced minutes).
        Utility statistics are NaN for customers without pieces; their
        duration is 0.
    """
    return {
        "worst": _worst(traces),
        "best": _best(traces),
        "end": _final(traces),
        "mean": _mean(traces),
        "total": _integral(traces),
        "duration": np.array(traces.total_duration),
    }


# ---------------------------------------------------------------------- models


@register_memory_model("peak_end")
@dataclass(frozen=True)
class PeakEnd(BaseMemoryModel):
    """Peak-end rule (Kahneman): weighted mean of the most intense and the final moment.

    R = (peak_weight * u_peak + end_weight * u_end) / (peak_weight + end_weight),
    where u_peak is the moment with the largest ``|u|`` (on a tie, the worse
    one): the worst moment of a painful episode, the best of a pleasant one.
    With the default weights this is the classic (u_peak + u_end) / 2.

    Parameters
    ----------
    peak_weight, end_weight : float
        Non-negative weights, not both zero.

    Raises
    ------
    ValueError
        If a weight is negative or not finite, or both are zero.
    """

    peak_weight: float = 0.5
    end_weight: float = 0.5

    def __post_init__(self) -> None:
        _weights(self, "peak_weight", "end_weight")

    def remember(self, traces: Traces) -> FloatArray:
        worst, best = _worst(traces), _best(traces)
        peak = np.where(-worst >= best, worst, best)
        weighted = self.peak_weight * peak + self.end_weight * _final(traces)
        return weighted / (self.peak_weight + self.end_weight)


@register_memory_model("worst_best_end")
@dataclass(frozen=True)
class WorstBestEnd(BaseMemoryModel):
    """Peak-end rule for mixed episodes: separate weights on the worst, best and final moment.

    R = (worst_weight * u_min + best_weight * u_max + end_weight * u_end) / (sum of weights).

    Raises
    ------
    ValueError
        If a weight is negative or not finite, or all are zero.
    """

    worst_weight: float = 1.0
    best_weight: float = 1.0
    end_weight: float = 1.0

    def __post_init__(self) -> None:
        _weights(self, "worst_weight", "best_weight", "end_weight")

    def remember(self, traces: Traces) -> FloatArray:
        weighted = (
            self.worst_weight * _worst(traces)
            + self.best_weight * _best(traces)
            + self.end_weight * _final(traces)
        )
        return weighted / (self.worst_weight + self.best_weight + self.end_weight)


@register_memory_model("end")
@dataclass(frozen=True)
class End(BaseMemoryModel):
    """Mean utility over the last ``window_minutes`` of experienced time.

    Redelmeier & Kahneman (1996) used the last 3 minutes of pain ratings. A trace
    shorter than the window is averaged whole; ``window_minutes=0`` gives the
    final moment.

    Raises
    ------
    ValueError
        If ``window_minutes`` is negative or not finite.
    """

    window_minutes: float = 3.0

    def __post_init__(self) -> None:
        _at_least_zero(self, "window_minutes")

    def remember(self, traces: Traces) -> FloatArray:
        if self.window_minutes == 0:
            return _final(traces)
        return _window_mean(traces, self.window_minutes)


@register_memory_model("last_episode")
@dataclass(frozen=True)
class LastEpisode(BaseMemoryModel):
    """Duration-weighted mean utility of the last episode.

    The last episode is the final run of consecutive pieces sharing the kind of
    the customer's last piece (e.g. the farewell, or the whole final service).
    """

    def remember(self, traces: Traces) -> FloatArray:
        kind, owner = traces.kind, traces.owner
        starts_run = np.ones(traces.n_pieces, dtype=bool)
        starts_run[1:] = (kind[1:] != kind[:-1]) | (owner[1:] != owner[:-1])
        run = np.cumsum(starts_run).astype(np.float64)
        in_last_run = run == traces.group_last(run)[owner]
        return _mean(traces.filter_pieces(in_last_run))


@register_memory_model("mean")
@dataclass(frozen=True)
class Mean(BaseMemoryModel):
    """Duration-weighted average utility: Kahneman's experienced utility per minute.

    A trace lasting zero minutes gets the average of its piece midpoints.
    """

    def remember(self, traces: Traces) -> FloatArray:
        return _mean(traces)


@register_memory_model("total")
@dataclass(frozen=True)
class Total(BaseMemoryModel):
    """Integral of utility over experienced time (utility-minutes): duration counts fully."""

    def remember(self, traces: Traces) -> FloatArray:
        return _integral(traces)


@register_memory_model("first")
@dataclass(frozen=True)
class First(BaseMemoryModel):
    """The first moment (first impression)."""

    def remember(self, traces: Traces) -> FloatArray:
        return _first(traces)


@register_memory_model("trend")
@dataclass(frozen=True)
class Trend(BaseMemoryModel):
    """Final intensity plus the recent trend (Ariely 1998): improving endings are remembered better.

    R = u_end + slope_weight * (u(T) - u(T - w)) / w, with T the trace's
    experienced duration and w = ``window_minutes``. When T < w the earlier point
    is clamped to the trace start, i.e. the trace is read as flat at its first
    moment before it began.

    Parameters
    ----------
    window_minutes : float
        Length w of the final stretch whose slope counts, minutes, > 0.
    slope_weight : float
        Weight of the slope, in minutes (utility per utility-per-minute); any
        sign. *Assumption*: no published value; 1.0 by default.

    Raises
    ------
    ValueError
        If ``window_minutes`` is not positive or a parameter is not finite.
    """

    window_minutes: float = 3.0
    slope_weight: float = 1.0

    def __post_init__(self) -> None:
        _positive(self, "window_minutes")
        _real(self, "slope_weight", self.slope_weight)

    def remember(self, traces: Traces) -> FloatArray:
        final = _final(traces)
        earlier = np.maximum(traces.total_duration - self.window_minutes, 0.0)
        slope = (final - _value_at(traces, earlier)) / self.window_minutes
        return final + self.slope_weight * slope


@register_memory_model("recency")
@dataclass(frozen=True)
class RecencyWeighted(BaseMemoryModel):
    """Average utility weighted towards the end: w(t) = 2^(-(T - t) / half_life_minutes).

    R = ∫ u(t) w(t) dt / ∫ w(t) dt over experienced time [0, T], evaluated in
    closed form for each linear piece. A long half-life approaches :class:`Mean`,
    a short one the final moment of positive duration. Zero-duration pieces have
    no weight; a trace lasting zero minutes gets the average of its piece
    midpoints.

    Parameters
    ----------
    half_life_minutes : float
        Minutes after which a moment's weight halves, > 0. *Assumption*: no
        published value; 5.0 by default.

    Raises
    ------
    ValueError
        If ``half_life_minutes`` is not positive and finite.
    """

    half_life_minutes: float = 5.0

    def __post_init__(self) -> None:
        _positive(self, "half_life_minutes")

    def remember(self, traces: Traces) -> FloatArray:
        rate = math.log(2.0) / self.half_life_minutes
        before_end = np.maximum(traces.total_duration[traces.owner] - traces.piece_end_time, 0.0)
        decay = rate * traces.duration
        # ∫ of w over the piece, up to the constant factor 1/rate that cancels in R
        weight = np.exp(-rate * before_end) * -np.expm1(-decay)
        average = traces.u_end + (traces.u_start - traces.u_end) * _start_share(decay)
        ratio = _divide(traces.group_sum(weight * average), traces.group_sum(weight))
        return np.where(traces.total_duration > 0, ratio, _moment_average(traces))


def _start_share(z: FloatArray) -> FloatArray:
    """Weight of a piece's start value in its weighted average: 1/z - 1/(e^z - 1).

    For a linear piece under exponential weights growing by e^z over the piece,
    the weighted average is u_end + (u_start - u_end) * share(z). The series
    1/2 - z/12 + z^3/720 avoids cancellation for small z.
    """
    small = z < 1e-2
    safe = np.where(small, 1.0, z)
    with np.errstate(over="ignore"):
        exact = 1.0 / safe - 1.0 / np.expm1(safe)
    series = 0.5 - z / 12.0 + z**3 / 720.0
    return np.where(small, series, exact)


BLEND_TERMS: tuple[str, ...] = ("worst", "best", "end", "mean", "duration")


@register_memory_model("blend")
@dataclass(frozen=True)
class Blend(BaseMemoryModel):
    """Linear blend of trace features with free weights, estimable from ratings.

    R = intercept + worst * u_min + best * u_max + end * u_end + mean * u_mean
    + duration * T, where u_end is the final moment (``end_window_minutes=0``)
    or the mean over the last ``end_window_minutes`` (as :class:`End`), u_mean the
    duration-weighted mean and T the experienced duration in minutes.

    Weights may be negative: in phone-service data the end effect came out
    negative (Verhoef, Antonides & de Hoog 2004), and in some settings the plain
    mean predicts as well as peak-end. Estimate weights with :meth:`fit`.

    Raises
    ------
    ValueError
        If a weight is not finite or ``end_window_minutes`` is negative.
    """

    worst: float = 0.0
    best: float = 0.0
    end: float = 0.0
    mean: float = 0.0
    duration: float = 0.0
    intercept: float = 0.0
    end_window_minutes: float = 0.0

    def __post_init__(self) -> None:
        for name in (*BLEND_TERMS, "intercept"):
            _real(self, name, getattr(self, name))
        _at_least_zero(self, "end_window_minutes")

    def remember(self, traces: Traces) -> FloatArray:
        features = self.features(traces, self.end_window_minutes)
        weighted = sum(
            (getattr(self, term) * features[term] for term in BLEND_TERMS), start=np.zeros(traces.n)
        )
        return np.where(traces.counts > 0, self.intercept + weighted, np.nan)

    @staticmethod
    def features(traces: Traces, end_window_minutes: float = 0.0) -> dict[str, FloatArray]:
        """The per-customer features that :class:`Blend` weights, keyed as :data:`BLEND_TERMS`."""
        return {
            "worst": _worst(traces),
            "best": _best(traces),
            "end": End(end_window_minutes).remember(traces),
            "mean": _mean(traces),
            "duration": np.array(traces.total_duration),
        }

    @classmethod
    def fit(
        cls,
        traces: Traces,
        ratings: npt.ArrayLike,
        *,
        terms: Sequence[str] = BLEND_TERMS,
        end_window_minutes: float = 0.0,
        fit_intercept: bool = True,
    ) -> Blend:
        """Estimate the weights from remembered-utility ratings by ordinary least squares.

        Solves ``ratings ≈ intercept + Σ weight[t] * feature[t]`` over the
        customers with pieces and a finite rating (``numpy.linalg.lstsq``);
        weights of terms left out of ``terms`` are 0. Ratings must be on the
        utility scale of the traces (use ``-pain`` for pain ratings).

        Parameters
        ----------
        traces : Traces
            The customers' experience traces.
        ratings : array of float, shape (n,)
            One rating per customer; NaN marks a missing rating.
        terms : sequence of str
            Features to estimate, a subset of :data:`BLEND_TERMS`.
        end_window_minutes : float
            Window of the ``end`` feature (0: final moment).
        fit_intercept : bool
            Estimate an intercept (otherwise it is 0).

        Returns
        -------
        Blend
            The model with the estimated weights.

        Raises
        ------
        ValueError
            If ``ratings`` has the wrong shape, a term is unknown or repeated,
            there are fewer usable customers than weights, or the features are
            collinear on these traces (then the weights are not identifiable:
            drop a term, e.g. ``worst`` when every trace ends at its worst).
        """
        chosen = _check_terms(terms)
        y = np.asarray(ratings, dtype=np.float64)
        if y.shape != (traces.n,):
            raise ValueError(f"ratings must have shape ({traces.n},), got {y.shape}")
        features = cls.features(traces, end_window_minutes)
        columns = [features[term] for term in chosen]
        if fit_intercept:
            columns.append(np.ones(traces.n))
        design = np.column_stack(columns) if columns else np.empty((traces.n, 0))
        usable = np.isfinite(y) & np.all(np.isfinite(design), axis=1)
        weights = _least_squares(design[usable], y[usable], chosen, fit_intercept)
        fitted = dict(zip(chosen, weights[: len(chosen)], strict=True))
        intercept = weights[-1] if fit_intercept else 0.0
        return cls(**fitted, intercept=intercept, end_window_minutes=end_window_minutes)


def _check_terms(terms: Sequence[str]) -> list[str]:
    chosen = list(terms)
    unknown = sorted(set(chosen) - set(BLEND_TERMS))
    if unknown:
        raise ValueError(
            f"unknown Blend term(s) {', '.join(unknown)}; allowed: {', '.join(BLEND_TERMS)}"
        )
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"Blend terms must not repeat, got {chosen}")
    return chosen


def _least_squares(
    design: FloatArray, y: FloatArray, terms: list[str], fit_intercept: bool
) -> list[float]:
    n_rows, n_weights = design.shape
    if n_weights == 0:
        raise ValueError("Blend.fit needs at least one term or an intercept")
    if n_rows < n_weights:
        raise ValueError(
            f"Blend.fit needs at least {n_weights} customers with pieces and a "
            f"finite rating, got {n_rows}"
        )
    solution, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < n_weights:
        names = terms + (["intercept"] if fit_intercept else [])
        raise ValueError(
            f"Blend.fit: the features {', '.join(names)} are collinear on these "
            "traces, so their weights are not identifiable; drop a term"
        )
    return [float(w) for w in solution]

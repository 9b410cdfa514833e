"""Tests for peakend.experience.memory: hand-computed values, invariants, registry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from peakend.experience.memory import (
    BaseMemoryModel,
    Blend,
    End,
    First,
    LastEpisode,
    Mean,
    MemoryModel,
    PeakEnd,
    RecencyWeighted,
    Total,
    Trend,
    WorstBestEnd,
    available_memory_models,
    memory_model_from_spec,
    memory_model_to_spec,
    register_memory_model,
    summarize,
)
from peakend.experience.trace import EpisodeKind, FloatArray, TraceBuilder, Traces

Piece = tuple[float, float, float, EpisodeKind]  # duration (min), u_start, u_end, kind
K = EpisodeKind


def traces_of(*customers: list[Piece]) -> Traces:
    """Traces with one customer per list of pieces (clock = experienced time)."""
    builder = TraceBuilder()
    for owner, pieces in enumerate(customers):
        clock = 0.0
        for duration, u_start, u_end, kind in pieces:
            builder.add(owner, clock, duration, u_start, u_end, kind)
            clock += duration
    return builder.build(len(customers))


# Customer X: 2 min of waiting from -1 to -3, an instantaneous failure shock at -6,
# 4 min of service rising from 2 to 4, a 1-min farewell at 3. Experienced T = 7 min.
X = [(2.0, -1.0, -3.0, K.WAIT), (0.0, -6.0, -6.0, K.FAILURE),
     (4.0, 2.0, 4.0, K.SERVICE), (1.0, 3.0, 3.0, K.FAREWELL)]  # fmt: skip
X_TOTAL = 2 * (-1 - 3) / 2 + 0 + 4 * (2 + 4) / 2 + 1 * 3  # = 11 utility-minutes


def remember_x(model: MemoryModel) -> float:
    return float(model.remember(traces_of(X))[0])


# --------------------------------------------------------------------------- hand-computed values


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (PeakEnd(), (-6 + 3) / 2),  # the shock is the most intense moment
        (PeakEnd(peak_weight=3, end_weight=1), (3 * -6 + 3) / 4),
        (WorstBestEnd(), (-6 + 4 + 3) / 3),
        (WorstBestEnd(worst_weight=2, best_weight=1, end_weight=1), (2 * -6 + 4 + 3) / 4),
        (End(window_minutes=0), 3.0),
        # last 3 min = [4, 7]: service 3 -> 4 over 2 min (area 7), farewell 3 for 1 min
        (End(window_minutes=3), (7 + 3) / 3),
        (End(window_minutes=100), X_TOTAL / 7),  # window longer than the trace: the mean
        (LastEpisode(), 3.0),
        (Mean(), X_TOTAL / 7),
        (Total(), X_TOTAL),
        (First(), -1.0),
        # u(7) = 3, u(5) = 3.5 on the service ramp: slope -0.25 per minute
        (Trend(window_minutes=2, slope_weight=1), 3 + (3 - 3.5) / 2),
        # T - w = 2 is the jump: the value just before it (-3) is used
        (Trend(window_minutes=5, slope_weight=2), 3 + 2 * (3 - -3) / 5),
        # window beyond the start: clamped to the first moment -1
        (Trend(window_minutes=10, slope_weight=1), 3 + (3 - -1) / 10),
        (
            Blend(worst=0.5, best=0.25, end=1, mean=-1, duration=0.1, intercept=2),
            2 + 0.5 * -6 + 0.25 * 4 + 3 - X_TOTAL / 7 + 0.1 * 7,
        ),
        (Blend(end=1, end_window_minutes=3), (7 + 3) / 3),
    ],
)
def test_models_on_a_hand_computed_trace(model: MemoryModel, expected: float) -> None:
    assert remember_x(model) == pytest.approx(expected, rel=1e-12)


def test_recency_weighting_in_closed_form() -> None:
    # half-life ln 2 makes w(t) = e^-(T - t). Steps: -2 on [0, 1], 4 on [1, 2]:
    # integral of w is e^-1 - e^-2 and 1 - e^-1.
    steps = traces_of([(1.0, -2.0, -2.0, K.OTHER), (1.0, 4.0, 4.0, K.OTHER)])
    w1, w2 = math.exp(-1) - math.exp(-2), 1 - math.exp(-1)
    model = RecencyWeighted(half_life_minutes=math.log(2))
    assert model.remember(steps)[0] == pytest.approx((-2 * w1 + 4 * w2) / (w1 + w2), rel=1e-12)
    # a ramp from 0 to 1 over [0, 1]: (∫ t e^(t-1) dt) / (∫ e^(t-1) dt) = e^-1 / (1 - e^-1)
    ramp = traces_of([(1.0, 0.0, 1.0, K.OTHER)])
    assert model.remember(ramp)[0] == pytest.approx(1 / (math.e - 1), rel=1e-12)


def test_recency_limits() -> None:
    traces = traces_of(X)
    assert RecencyWeighted(1e9).remember(traces)[0] == pytest.approx(X_TOTAL / 7, rel=1e-7)
    assert RecencyWeighted(1e-4).remember(traces)[0] == pytest.approx(3.0, rel=1e-9)


def test_peak_is_the_most_intense_moment_and_the_worse_on_a_tie() -> None:
    pleasant = [(1.0, 1.0, 5.0, K.DELIGHT), (1.0, 5.0, 2.0, K.FAREWELL)]
    tie = [(1.0, -4.0, 4.0, K.OTHER), (1.0, 4.0, 0.0, K.OTHER)]
    remembered = PeakEnd().remember(traces_of(pleasant, tie))
    np.testing.assert_allclose(remembered, [(5 + 2) / 2, (-4 + 0) / 2])


def test_instantaneous_traces_average_their_moments() -> None:
    # a zero-duration trace: a shock at -4 and a jump from 2 to 0 (midpoint 1)
    instants = traces_of([(0.0, -4.0, -4.0, K.FAILURE), (0.0, 2.0, 0.0, K.OTHER)])
    for model in (Mean(), End(3.0), RecencyWeighted(2.0), LastEpisode()):
        expected = (-4 + 1) / 2 if not isinstance(model, LastEpisode) else 1.0
        assert model.remember(instants)[0] == pytest.approx(expected)
    assert Total().remember(instants)[0] == 0.0
    assert PeakEnd().remember(instants)[0] == pytest.approx((-4 + 0) / 2)


def test_customers_without_pieces_get_nan() -> None:
    traces = traces_of([], X, [])
    for name, cls in available_memory_models().items():
        remembered = cls().remember(traces)
        assert remembered.shape == (3,), name
        assert np.isnan(remembered[[0, 2]]).all() and np.isfinite(remembered[1]), name
    summary = summarize(traces)
    assert np.isnan(summary["worst"][0]) and summary["duration"][0] == 0.0


def test_summarize_by_hand() -> None:
    summary = summarize(traces_of(X))
    expected = {"worst": -6, "best": 4, "end": 3, "mean": X_TOTAL / 7, "total": X_TOTAL,
                "duration": 7}  # fmt: skip
    assert summary.keys() == expected.keys()
    for key, value in expected.items():
        assert summary[key][0] == pytest.approx(value), key


# --------------------------------------------------------------------------- invariants


def test_reordering_episodes_changes_peak_end_but_not_the_mean() -> None:
    worst_first = [(2.0, -6.0, -6.0, K.FAILURE), (2.0, -1.0, -1.0, K.RECOVERY)]
    worst_last = [(2.0, -1.0, -1.0, K.RECOVERY), (2.0, -6.0, -6.0, K.FAILURE)]
    traces = traces_of(worst_first, worst_last)
    np.testing.assert_allclose(PeakEnd().remember(traces), [(-6 - 1) / 2, (-6 - 6) / 2])
    np.testing.assert_allclose(Mean().remember(traces), [-3.5, -3.5])
    np.testing.assert_allclose(Total().remember(traces), [-14.0, -14.0])


pain_ratings = st.lists(st.floats(0.0, 10.0), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(profile=pain_ratings, tail=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8),
       scale=st.floats(0.05, 0.95))  # fmt: skip
def test_duration_neglect(profile: list[float], tail: list[float], scale: float) -> None:
    """A milder painful tail lowers peak-end pain and raises total pain."""
    end = profile[-1]
    if end < 0.1:
        profile = [*profile, 5.0]  # give the episode a painful end to taper from
        end = 5.0
    # tail ratings stay below the end (so the peak is unchanged) and finish lower
    milder = [end * fraction for fraction in tail[:-1]] + [end * scale]
    traces = Traces.from_samples([[-p for p in profile], [-p for p in profile + milder]], 1.0)
    remembered_pain = -PeakEnd().remember(traces)
    total_pain = -Total().remember(traces)
    assert remembered_pain[1] < remembered_pain[0]
    assert total_pain[1] > total_pain[0]


# --------------------------------------------------------------------------- naive reference


def moments(pieces: list[Piece]) -> list[float]:
    return [u for _, u_start, u_end, _ in pieces for u in (u_start, u_end)]


def total(pieces: list[Piece]) -> float:
    return sum(d * (a + b) / 2 for d, a, b, _ in pieces)


def length(pieces: list[Piece]) -> float:
    return sum(d for d, *_ in pieces)


def moment_average(pieces: list[Piece]) -> float:
    return sum((a + b) / 2 for _, a, b, _ in pieces) / len(pieces)


def time_mean(pieces: list[Piece]) -> float:
    return total(pieces) / length(pieces) if length(pieces) > 0 else moment_average(pieces)


def window_mean(pieces: list[Piece], window: float) -> float:
    end = length(pieces)
    if end == 0:
        return moment_average(pieces)
    cut, clock, area = max(end - window, 0.0), 0.0, 0.0
    for d, a, b, _ in pieces:
        lo, hi = max(clock, cut), clock + d
        if hi > lo:
            area += (hi - lo) * (a + (b - a) * (lo - clock) / d + b) / 2
        clock = hi
    return area / (end - cut)


def value_at(pieces: list[Piece], time: float) -> float:
    clock = 0.0
    for d, a, b, _ in pieces:
        if clock + d >= time:
            return a + (b - a) * (time - clock) / d if d > 0 else a
        clock += d
    raise AssertionError("time beyond the trace")


def weighted_piece(piece: Piece, start: float, end: float, half_life: float) -> tuple[float, float]:
    """(∫ u w, ∫ w) over one piece by numerical quadrature, w(t) = 2^-((end - t) / half_life)."""
    d, a, b, _ = piece

    def weight(t: float) -> float:
        return float(2.0 ** (-(end - t) / half_life))

    def weighted_utility(t: float) -> float:
        return (a + (b - a) * (t - start) / d) * weight(t)

    accuracy: dict[str, Any] = {"epsabs": 0.0, "epsrel": 1e-10, "limit": 200}
    return (
        integrate.quad(weighted_utility, start, start + d, **accuracy)[0],
        integrate.quad(weight, start, start + d, **accuracy)[0],
    )


def recency(pieces: list[Piece], half_life: float) -> float:
    end = length(pieces)
    if end == 0:
        return moment_average(pieces)
    numerator = denominator = clock = 0.0
    for piece in pieces:
        if piece[0] > 0:
            num, den = weighted_piece(piece, clock, end, half_life)
            numerator, denominator = numerator + num, denominator + den
        clock += piece[0]
    return numerator / denominator


def last_episode(pieces: list[Piece]) -> float:
    kind, first = pieces[-1][3], len(pieces) - 1
    while first > 0 and pieces[first - 1][3] == kind:
        first -= 1
    return time_mean(pieces[first:])


def naive(model: MemoryModel, pieces: list[Piece]) -> float:
    """Per-customer reference implementation, written for clarity, not speed."""
    if not pieces:
        return math.nan
    worst, best = min(moments(pieces)), max(moments(pieces))
    final = pieces[-1][2]
    match model:
        case PeakEnd(peak_weight=p, end_weight=e):
            peak = max(moments(pieces), key=lambda u: (abs(u), -u))
            return (p * peak + e * final) / (p + e)
        case WorstBestEnd(worst_weight=w, best_weight=b, end_weight=e):
            return (w * worst + b * best + e * final) / (w + b + e)
        case End(window_minutes=0.0):
            return final
        case End(window_minutes=window):
            return window_mean(pieces, window)
        case LastEpisode():
            return last_episode(pieces)
        case Mean():
            return time_mean(pieces)
        case Total():
            return total(pieces)
        case First():
            return pieces[0][1]
        case Trend(window_minutes=w, slope_weight=s):
            earlier = value_at(pieces, max(length(pieces) - w, 0.0))
            return final + s * (final - earlier) / w
        case RecencyWeighted(half_life_minutes=h):
            return recency(pieces, h)
        case Blend():
            end = final if model.end_window_minutes == 0 else window_mean(
                pieces, model.end_window_minutes)  # fmt: skip
            return (model.intercept + model.worst * worst + model.best * best + model.end * end
                    + model.mean * time_mean(pieces) + model.duration * length(pieces))  # fmt: skip
    raise AssertionError(f"no reference for {model!r}")


MODELS: list[MemoryModel] = [
    PeakEnd(),
    PeakEnd(peak_weight=0.7, end_weight=0.3),
    WorstBestEnd(worst_weight=1, best_weight=2, end_weight=0.5),
    End(0),
    End(1.5),
    End(3),
    End(100),
    LastEpisode(),
    Mean(),
    Total(),
    First(),
    Trend(2.0, 1.5),
    Trend(0.25, -0.5),
    RecencyWeighted(0.5),
    RecencyWeighted(5.0),
    RecencyWeighted(1e4),
    Blend(
        worst=0.3, best=0.2, end=0.4, mean=0.5, duration=-0.1, intercept=1, end_window_minutes=2
    ),  # fmt: skip
]

# Durations are quarter minutes so that experienced times add up exactly: the
# vectorised code and the reference then agree on which piece a boundary falls in.
durations = st.one_of(st.just(0.0), st.integers(1, 24).map(lambda q: q / 4))
utilities = st.floats(-10.0, 10.0, allow_nan=False)
pieces_st = st.tuples(durations, utilities, utilities, st.sampled_from(list(EpisodeKind)))
customers_st = st.lists(st.lists(pieces_st, max_size=6), min_size=1, max_size=5)


@pytest.mark.parametrize("model", MODELS, ids=repr)
@settings(max_examples=40, deadline=None)
@given(customers=customers_st)
def test_vectorised_models_match_a_naive_loop(
    model: MemoryModel, customers: list[list[Piece]]
) -> None:
    remembered = model.remember(traces_of(*customers))
    expected = [naive(model, pieces) for pieces in customers]
    np.testing.assert_allclose(remembered, expected, rtol=1e-7, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(customers=customers_st)
def test_summarize_matches_a_naive_loop(customers: list[list[Piece]]) -> None:
    summary = summarize(traces_of(*customers))
    for i, pieces in enumerate(customers):
        if not pieces:
            continue
        assert summary["worst"][i] == min(moments(pieces))
        assert summary["best"][i] == max(moments(pieces))
        assert summary["end"][i] == pieces[-1][2]
        assert summary["mean"][i] == pytest.approx(time_mean(pieces), rel=1e-9, abs=1e-9)
        assert summary["total"][i] == pytest.approx(total(pieces), rel=1e-9, abs=1e-9)
        assert summary["duration"][i] == length(pieces)


# --------------------------------------------------------------------------- Blend.fit


def random_traces(rng: np.random.Generator, n: int) -> Traces:
    """Random pain-like rating profiles of 2-30 one-minute samples."""
    profiles = [rng.normal(0.0, 3.0, rng.integers(2, 31)).cumsum() / 3 for _ in range(n)]
    return Traces.from_samples(profiles, step_minutes=1.0)


TRUE_BLEND = Blend(worst=0.4, best=0.1, end=-0.3, mean=0.8, duration=-0.02, intercept=0.5)


def test_blend_fit_recovers_exact_weights() -> None:
    traces = random_traces(np.random.default_rng(7), 300)
    fitted = Blend.fit(traces, TRUE_BLEND.remember(traces))
    for name in ("worst", "best", "end", "mean", "duration", "intercept"):
        assert getattr(fitted, name) == pytest.approx(getattr(TRUE_BLEND, name), abs=1e-9)


def test_blend_fit_recovers_a_negative_end_effect_from_noisy_ratings() -> None:
    rng = np.random.default_rng(11)
    traces = random_traces(rng, 2000)
    ratings = TRUE_BLEND.remember(traces) + rng.normal(0.0, 0.1, traces.n)
    ratings[::50] = np.nan  # missing ratings are skipped
    fitted = Blend.fit(traces, ratings)
    # OLS standard errors here are below 0.005 (noise 0.1, n ~ 2000, features of sd >= 1;
    # duration sd ~ 8 min): 0.05 is a 10-sigma tolerance, 0.005 for the duration weight.
    for name in ("worst", "best", "end", "mean", "intercept"):
        assert getattr(fitted, name) == pytest.approx(getattr(TRUE_BLEND, name), abs=0.05)
    assert fitted.duration == pytest.approx(TRUE_BLEND.duration, abs=0.005)
    assert fitted.end < 0


def test_blend_fit_with_a_subset_of_terms() -> None:
    traces = random_traces(np.random.default_rng(3), 200)
    truth = Blend(worst=0.5, end=0.5)
    fitted = Blend.fit(traces, truth.remember(traces), terms=("worst", "end"), fit_intercept=False)
    assert (fitted.worst, fitted.end) == pytest.approx((0.5, 0.5), abs=1e-9)
    assert fitted.best == fitted.mean == fitted.duration == fitted.intercept == 0.0


def test_blend_fit_errors() -> None:
    traces = random_traces(np.random.default_rng(5), 20)
    with pytest.raises(ValueError, match=r"ratings must have shape \(20,\)"):
        Blend.fit(traces, np.zeros(19))
    with pytest.raises(ValueError, match="unknown Blend term"):
        Blend.fit(traces, np.zeros(20), terms=("peak",))
    with pytest.raises(ValueError, match="must not repeat"):
        Blend.fit(traces, np.zeros(20), terms=("end", "end"))
    with pytest.raises(ValueError, match="at least 6 customers"):
        Blend.fit(traces.select(range(4)), np.zeros(4))
    flat = Traces.from_samples([[v, v] for v in range(10)], step_minutes=1.0)
    with pytest.raises(ValueError, match="collinear"):
        Blend.fit(flat, np.arange(10.0))  # constant traces: worst = best = end = mean


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PeakEnd(peak_weight=-0.1), r"PeakEnd.peak_weight must be >= 0"),
        (lambda: PeakEnd(peak_weight=0, end_weight=0), "must not all be zero"),
        (lambda: PeakEnd(peak_weight=math.nan), "must be finite"),
        (lambda: PeakEnd(peak_weight="0.5"), "must be a real number"),
        (lambda: PeakEnd(peak_weight=True), "must be a real number"),
        (lambda: WorstBestEnd(0, 0, 0), "must not all be zero"),
        (lambda: End(window_minutes=-1), r"End.window_minutes must be >= 0"),
        (lambda: Trend(window_minutes=0), r"Trend.window_minutes must be > 0"),
        (lambda: Trend(slope_weight=math.inf), "must be finite"),
        (lambda: RecencyWeighted(half_life_minutes=0), "must be > 0"),
        (lambda: Blend(end_window_minutes=-3), "must be >= 0"),
        (lambda: Blend(worst=math.nan), "Blend.worst must be finite"),
    ],
)
def test_invalid_parameters(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_parameters_are_stored_as_floats_with_a_readable_repr() -> None:
    assert repr(PeakEnd(peak_weight=1, end_weight=1)) == "PeakEnd(peak_weight=1.0, end_weight=1.0)"
    assert repr(End()) == "End(window_minutes=3.0)"


# --------------------------------------------------------------------------- registry


def test_builtins_are_registered() -> None:
    names = set(available_memory_models())
    assert {"peak_end", "worst_best_end", "end", "mean", "total", "first", "trend", "recency",
            "blend"} <= names  # fmt: skip


def test_models_from_specs() -> None:
    model = memory_model_from_spec({"model": "peak_end", "peak_weight": 0.6, "end_weight": 0.4})
    assert model == PeakEnd(peak_weight=0.6, end_weight=0.4)
    assert memory_model_from_spec("mean") == Mean()
    assert memory_model_from_spec({"model": "end", "window_minutes": 2}) == End(2)


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_specs_round_trip(model: MemoryModel) -> None:
    assert memory_model_from_spec(memory_model_to_spec(model)) == model


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"model": "peak_and_end"},
            r"unknown memory model 'peak_and_end'; registered: .*peak_end",
        ),
        ({"peak_weight": 0.5}, "needs a 'model' name"),
        ({"model": "end", "window": 3}, r"unknown parameter\(s\) window .*allowed: window_minutes"),
        ({"model": "end", "window_minutes": -3}, r"invalid parameters for memory model 'end'"),
        ({"model": "end", "window_minutes": "3"}, "must be a real number"),
        # a spec never names a module: import paths are refused before any lookup
        ({"model": "peakend.experience.memory:End"}, "must be a registered name"),
        ({"model": "os:system", "command": "touch x"}, "never names a module"),
        ({"model": "PeakEnd"}, "must be a registered name"),
        ({"model": 3}, "must be a registered name"),
    ],
)
def test_spec_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        memory_model_from_spec(spec)


def test_registration_errors() -> None:
    with pytest.raises(ValueError, match="snake_case"):
        register_memory_model("PeakEnd")
    with pytest.raises(ValueError, match="already registered to PeakEnd"):
        register_memory_model("peak_end")(Mean)
    with pytest.raises(TypeError, match="not a subclass of BaseMemoryModel"):
        register_memory_model("not_a_model")(int)
    with pytest.raises(ValueError, match="must be dataclasses"):
        memory_model_to_spec(object())
    assert "not_a_model" not in available_memory_models()


def test_a_registered_model_must_be_a_dataclass() -> None:
    class NotADataclass(BaseMemoryModel):
        def remember(self, traces: Traces) -> FloatArray:
            return summarize(traces)["worst"]

    with pytest.raises(TypeError, match="must be a dataclass"):
        register_memory_model("test_not_a_dataclass")(NotADataclass)


def test_an_unregistered_model_cannot_be_written_as_a_spec() -> None:
    @dataclass(frozen=True)
    class Unregistered(BaseMemoryModel):
        def remember(self, traces: Traces) -> FloatArray:
            return summarize(traces)["worst"]

    with pytest.raises(ValueError, match="Unregistered is not registered"):
        memory_model_to_spec(Unregistered())


@register_memory_model("test_worst_scaled")
@dataclass(frozen=True)
class WorstScaled(BaseMemoryModel):
    """A researcher's model in a few lines: the worst moment, scaled."""

    scale: float = 1.0

    def remember(self, traces: Traces) -> FloatArray:
        return self.scale * summarize(traces)["worst"]


def test_custom_model_from_a_config() -> None:
    model = memory_model_from_spec({"model": "test_worst_scaled", "scale": 2.0})
    assert isinstance(model, MemoryModel)
    assert model.remember(traces_of(X))[0] == -12.0
    assert memory_model_to_spec(model) == {"model": "test_worst_scaled", "scale": 2.0}
    with pytest.raises(ValueError, match="allowed: scale"):
        memory_model_from_spec({"model": "test_worst_scaled", "factor": 2.0})


def test_replacing_a_registered_model_is_explicit() -> None:
    register_memory_model("test_worst_scaled", replace=True)(WorstScaled)  # same class: fine
    assert available_memory_models()["test_worst_scaled"] is WorstScaled

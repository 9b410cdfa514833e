"""Moment utility from episodes, and the experience mechanics in the engine.

The moments of single journeys (a farewell, an apology, a double deviation, a callback,
a hidden defect, an escalation, a balk) are tested from hand-written fact logs in
``test_fact_logs.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peakend import ConfigError, scenario_from_dict, simulate
from peakend.config.schema import ExperienceConfig
from peakend.experience.moments import (
    EPISODE_DTYPE,
    References,
    compensation_points,
    episodes_to_traces,
    service_points,
    service_quality,
)
from peakend.experience.trace import EpisodeKind

from conftest import busy_day_data

LAMBDA, EXP = 2.25, 0.88


def v(x: float) -> float:
    return x**EXP if x >= 0 else -LAMBDA * (-x) ** EXP


def one_customer(*episodes, expected_wait=2.0, perception=1.33, expected_quality=0.6):
    """Traces of one customer's episodes, given as ``(kind, start, duration, points)``."""
    records = np.array([(0, 1, phase, *e) for phase, e in enumerate(episodes)], dtype=EPISODE_DTYPE)
    refs = References(
        np.array([expected_wait]),
        np.array([perception]),
        np.array([expected_quality]),
        np.array([4.0]),
    )
    return episodes_to_traces(records, refs, ExperienceConfig())


def test_wait_within_expectation_is_mildly_unpleasant_then_a_loss():
    # 5 minutes of waiting, E = 2, perceived x1.33: flat -0.5 until 2/1.33 min, then the loss.
    traces = one_customer((EpisodeKind.WAIT, 10.0, 5.0, 0.0))
    assert traces.u_start[0] == traces.u_end[0] == -0.5
    assert traces.duration[0] == pytest.approx(2 / 1.33)
    expected_end = -0.5 + v(-0.5 * (1.33 * 5 - 2))
    assert traces.u_end[-1] == pytest.approx(expected_end)
    assert traces.u_end[-1] == traces.u_end.min()  # the worst moment of a wait is its last
    assert traces.duration.sum() == pytest.approx(5.0)
    assert np.all(np.diff(np.concatenate([[traces.u_start[0]], traces.u_end])) <= 1e-12)


def test_announced_waits_feel_better_than_idle_ones():
    idle = one_customer((EpisodeKind.WAIT, 0.0, 6.0, 0.0), perception=1.33)
    announced = one_customer((EpisodeKind.WAIT, 0.0, 6.0, 0.0), perception=0.9)
    assert announced.u_end[-1] > idle.u_end[-1]


def test_short_wait_has_no_loss_and_a_wait_given_up_at_once_is_one_moment():
    short = one_customer((EpisodeKind.WAIT, 0.0, 1.0, 0.0))
    assert short.n_pieces == 1 and short.u_end[0] == -0.5
    at_once = one_customer((EpisodeKind.WAIT, 0.0, 0.0, 0.0))
    assert at_once.n_pieces == 1 and at_once.duration[0] == 0
    assert at_once.u_start[0] == at_once.u_end[0] == -0.5


def test_service_utility_against_expected_quality():
    # Resolved, warmth 0.7, on time: q = 0.5*0.7 + 0.5*(1+0.7+1)/3 = 0.8; gap 0.2; x = 5*0.2.
    config = ExperienceConfig()
    one = np.ones(1)
    points, quality = service_points(one > 0, 0.7 * one, 0 * one, 2 * one, 0.6 * one, config)
    assert quality[0] == pytest.approx(0.8) and points[0] == pytest.approx(1.0)
    traces = one_customer((EpisodeKind.SERVICE, 0.0, 4.0, points[0]))
    assert traces.u_start[0] == pytest.approx(v(1.0))
    failed, _ = service_points(one < 0, 0.7 * one, 0 * one, 2 * one, 0.6 * one, config)
    q = 0.5 * 0.0 + 0.5 * (0 + 0.7 + 1) / 3
    assert failed[0] == pytest.approx(5 * (q - 0.6))
    # A wait beyond expectation makes the service late, so worse.
    late, _ = service_points(one > 0, 0.7 * one, 6 * one, 2 * one, 0.6 * one, config)
    assert late[0] < points[0]


def test_neither_warmth_nor_correctness_fully_compensates():
    warm_defect = service_quality(False, 1.0, 1.0, 0.5)
    cold_correct = service_quality(True, 0.1, 1.0, 0.5)
    good = service_quality(True, 0.8, 1.0, 0.5)
    assert warm_defect < good and cold_correct < good
    assert warm_defect < service_quality(True, 0.5, 1.0, 0.5)


def test_shocks_and_gains_through_the_value_function():
    traces = one_customer(
        (EpisodeKind.FAILURE, 5.0, 0.0, -4.0),
        (EpisodeKind.RECOVERY, 5.0, 0.5, 1.0),
        (EpisodeKind.TRANSFER, 6.0, 0.0, -1.0),
    )
    assert traces.u_start.tolist() == pytest.approx([v(-4.0), v(1.0), v(-1.0)])
    assert traces.kind.tolist() == [EpisodeKind.FAILURE, EpisodeKind.RECOVERY, EpisodeKind.TRANSFER]


def test_compensation_helps_up_to_the_loss_then_flattens():
    severity, rate, slope = 4.0, 0.2, 0.1
    values = [compensation_points(a, severity, rate, slope) for a in (0, 10, 20, 30, 60)]
    assert values == pytest.approx([0, 2, 4, 4.2, 4.8])
    per_unit_below = (values[1] - values[0]) / 10
    per_unit_above = (values[4] - values[3]) / 30
    assert per_unit_above == pytest.approx(slope * per_unit_below)


def scenario(**changes):
    data = busy_day_data(seed=11)
    data["run"]["replications"] = 1
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split("__")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return scenario_from_dict(data)


def remembered(out):
    return np.nanmean(out.customers["remembered_utility"])


def test_memory_model_is_chosen_in_the_config():
    peak_end = simulate(scenario())
    end = simulate(scenario(experience__memory={"model": "end", "window_minutes": 0.0}))
    assert np.allclose(
        end.customers["remembered_utility"], end.customers["end_utility"], equal_nan=True
    )
    assert not np.allclose(
        peak_end.customers["remembered_utility"],
        end.customers["remembered_utility"],
        equal_nan=True,
    )


def test_unknown_memory_model_is_a_config_error():
    with pytest.raises(ConfigError, match="experience.memory.*registered|experience.memory"):
        scenario(experience__memory={"model": "peak_ned"})


def test_experience_off_leaves_queueing_unchanged():
    on = simulate(scenario())
    off = simulate(scenario(experience__enabled=False))
    assert off.traces is None
    for name in ("arrival_minutes", "wait_minutes", "outcome"):
        assert np.array_equal(on.customers[name], off.customers[name])
    assert not math.isnan(remembered(on))


def test_engine_traces_pass_the_public_constructors_checks():
    """Traces built by the engine skip the constructor's checks: run them here."""
    from peakend.experience.trace import Traces

    out = simulate(scenario(service__farewell=True, recovery__policy="apology"))
    t = out.traces
    checked = Traces(t.owner, t.start, t.duration, t.u_start, t.u_end, t.kind, t.n)
    for name in ("owner", "start", "duration", "u_start", "u_end", "kind"):
        assert np.array_equal(getattr(checked, name), getattr(t, name))
        assert not getattr(t, name).flags.writeable

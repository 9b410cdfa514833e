"""(a) One stationary interval with a service-level target: the optimiser's warm start gives
the Erlang C (infinite patience) and Erlang A minimum agent counts exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peakend import scenario_from_dict
from peakend.analysis.erlang import ErlangA
from peakend.optimise.warmstart import interval_requirement, marginal_gains, warm_start


def _erlang_c_service_level(rate: float, service: float, agents: int, t: float) -> float:
    """The Erlang C formulas written out: Erlang B recursion, P_wait, SL(t)."""
    load = rate * service
    if load >= agents:
        return 0.0
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    p_wait = agents * b / (agents - load * (1 - b))
    return 1 - p_wait * math.exp(-(agents / service - rate) * t)


def test_erlang_c_example_of_the_model_is_14_agents() -> None:
    # 100 calls per 30 minutes, 180 s handling, 20 s: 13 agents give 0.7956, 14 give 0.8884.
    rate, service, t = 100 / 30, 3.0, 20 / 60
    assert interval_requirement(rate, service, t, 0.8) == 14
    assert _erlang_c_service_level(rate, service, 13, t) == pytest.approx(0.795595, abs=1e-6)
    assert _erlang_c_service_level(rate, service, 14, t) == pytest.approx(0.888350, abs=1e-6)


@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95])
@pytest.mark.parametrize("rate", [0.5, 3.3, 12.0])
def test_erlang_c_requirement_is_the_fewest_that_meet_the_target(
    rate: float, target: float
) -> None:
    service, t = 3.0, 1 / 3
    c = interval_requirement(rate, service, t, target)
    assert _erlang_c_service_level(rate, service, c, t) >= target
    assert _erlang_c_service_level(rate, service, c - 1, t) < target


@pytest.mark.parametrize("patience", [0.5, 3.0, 20.0])
@pytest.mark.parametrize("rate", [1.0, 5.0, 12.0])
def test_erlang_a_requirement_is_the_fewest_that_meet_the_target(
    rate: float, patience: float
) -> None:
    service, t, target = 3.0, 1 / 3, 0.8
    c = interval_requirement(rate, service, t, target, patience)
    levels = [ErlangA(rate, service, k, patience).service_level(t) for k in range(1, c + 1)]
    assert levels[-1] >= target  # c meets it ...
    assert all(level < target for level in levels[:-1])  # ... and no fewer do


def _one_interval(patience: dict[str, object], absenteeism: float = 0.0) -> dict[str, object]:
    return {
        "name": "one_interval",
        "run": {"seed": 1, "service_level_threshold_minutes": 1 / 3},
        "arrivals": {"interval_minutes": 60, "rate_per_hour": [200.0]},
        "segments": {"all": {"share": 1.0, "patience": patience}},
        "pools": {
            "agents": {
                "staffing": [10],
                "absenteeism": absenteeism,
                "service_time": {"distribution": "exponential", "mean": 3.0},
            }
        },
    }


def test_warm_start_of_a_stationary_interval_is_erlang_c_and_erlang_a() -> None:
    rate = np.array([200 / 60])
    patient = scenario_from_dict(_one_interval({"distribution": "fixed", "value": math.inf}))
    impatient = scenario_from_dict(_one_interval({"distribution": "exponential", "mean": 2.0}))
    erlang_c = warm_start(patient, {"agents": rate}, 0.8)["agents"][0]
    erlang_a = warm_start(impatient, {"agents": rate}, 0.8)["agents"][0]
    assert erlang_c == interval_requirement(rate[0], 3.0, 1 / 3, 0.8)
    assert erlang_a == interval_requirement(rate[0], 3.0, 1 / 3, 0.8, 2.0)
    assert erlang_a < erlang_c  # abandonment shortens the queue: fewer agents meet the target


def test_warm_start_rosters_for_absence() -> None:
    rate = np.array([200 / 60])
    present = interval_requirement(rate[0], 3.0, 1 / 3, 0.8)
    absent = scenario_from_dict(_one_interval({"distribution": "fixed", "value": math.inf}, 0.1))
    rostered = warm_start(absent, {"agents": rate}, 0.8)["agents"][0]
    assert rostered == math.ceil(present / 0.9)


def test_marginal_gains_fall_with_more_agents() -> None:
    scenario = scenario_from_dict(_one_interval({"distribution": "exponential", "mean": 2.0}))
    rate = np.array([200 / 60])
    gains = [marginal_gains(scenario, "agents", rate, (n,), +1)[0] for n in (11, 13, 15)]
    assert gains[0] > gains[1] > gains[2] > 0
    assert marginal_gains(scenario, "agents", rate, (13,), -1)[0] < 0

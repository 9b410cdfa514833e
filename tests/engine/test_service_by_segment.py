"""Service time per contact type (segment) at a pool, and by the interval of the day."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from stories import fixed, pool, told, world

from peakend import scenario_from_dict
from peakend.config.loading import ConfigError
from peakend.simulation.replication import Replication, simulate

from conftest import busy_day_data


def _two_segments(**pool_settings: object) -> dict:
    data = busy_day_data(seed=11)
    data["pools"]["agents"].update(pool_settings)
    return data


def _durations(out) -> dict[str, np.ndarray]:
    contacts = out.contacts.to_frame()
    served = contacts[contacts["answered"]]
    work = served["service_end_minutes"] - served["service_start_minutes"]
    return {name: work[served["segment"] == name].to_numpy() for name in ("a", "b")}


def test_a_segment_with_its_own_service_time_is_served_in_it_and_the_others_are_not():
    base = _two_segments(service_time=fixed(2.0))
    own = _two_segments(service_time=fixed(2.0), service_time_by_segment={"b": fixed(5.0)})
    before = _durations(simulate(scenario_from_dict(base)))
    after = _durations(simulate(scenario_from_dict(own)))
    # end - start of a fixed service: exact up to the rounding of the clock's sum
    assert np.allclose(before["b"], 2.0) and np.allclose(after["b"], 5.0)
    assert np.allclose(after["a"], 2.0) and len(after["b"]) > 10


def test_segments_not_listed_keep_their_draws_common_random_numbers():
    # With no contact changing pools, segment a's first-contact work is the same
    # column of the pool's stream with or without b's own service time.
    base = scenario_from_dict(_two_segments())
    own = scenario_from_dict(
        _two_segments(service_time_by_segment={"b": {"distribution": "fixed", "value": 1.0}})
    )
    work = {}
    for name, scenario in (("base", base), ("own", own)):
        plan, _, _, drawn = Replication(scenario).plan()
        work[name] = (drawn, plan.segment)
    (a_base, segment), (a_own, _) = work["base"], work["own"]
    is_a = segment == 0
    assert np.array_equal(a_base[is_a], a_own[is_a])
    assert np.all(a_own[~is_a] == 1.0)


def test_the_interval_factor_scales_the_work_by_when_the_service_starts():
    # One agent, 4-minute services; the second hour's factor is 1.5. Ann is answered at
    # 10 (first hour: 4 minutes), Bob at 70 (second hour: 6 minutes).
    data = world([10.0, 70.0], {"desk": pool(4.0, staffing=[1, 1])})
    data["arrivals"]["rate_per_hour"] = [0.0, 0.0]
    data["pools"]["desk"]["service_time_factor"] = [1.0, 1.5]
    served = [fields for kind, fields in told(data) if kind == "Served"]
    assert [(start, end) for _, start, end, *_ in served] == [(10.0, 14.0), (70.0, 76.0)]


def test_slower_service_in_an_interval_lengthens_the_waits_paired():
    # A lever pulled where it acts: the same customers, the same draws, services
    # 30 % longer in the busy intervals; every replication's mean wait rises.
    base = _two_segments()
    slow = copy.deepcopy(base)
    slow["pools"]["agents"]["service_time_factor"] = [1.0, 1.3, 1.3, 1.0]
    for replication in range(3):
        waits = [
            simulate(scenario_from_dict(data), replication).contacts["wait_minutes"].mean()
            for data in (base, slow)
        ]
        assert waits[1] > waits[0]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"service_time_by_segment": {"vip": fixed(1.0)}}, "unknown segment 'vip'"),
        ({"service_time_factor": [1.0, 1.0]}, "expected 4 values"),
        ({"service_time_factor": [1.0, 0.0, 1.0, 1.0]}, "must be a finite number > 0"),
    ],
)
def test_bad_keys_are_one_line_errors_naming_the_key(settings, message):
    with pytest.raises(ConfigError) as error:
        scenario_from_dict(_two_segments(**settings), "s.toml")
    text = str(error.value)
    assert "\n" not in text and "pools.agents." in text and message in text


def test_a_service_time_that_may_never_end_is_refused():
    never = {"distribution": "survival", "minutes": [1.0], "survival": [0.5], "tail": "never"}
    with pytest.raises(ConfigError, match="b: a service must end"):
        scenario_from_dict(_two_segments(service_time_by_segment={"b": never}), "s.toml")


def test_faster_service_for_one_segment_shortens_everyones_waits_paired():
    # One pool shared by both segments: b's calls taking half as long frees agents for a.
    base = _two_segments()
    quick = _two_segments(
        service_time_by_segment={"b": {"distribution": "gamma", "mean": 1.25, "cv": 0.8}}
    )
    for replication in range(3):
        outs = [simulate(scenario_from_dict(data), replication) for data in (base, quick)]
        waits = [out.contacts.to_frame() for out in outs]
        mean_a = [frame.loc[frame["segment"] == "a", "wait_minutes"].mean() for frame in waits]
        assert mean_a[1] < mean_a[0]

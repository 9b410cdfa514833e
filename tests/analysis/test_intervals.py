"""Results per interval and pool (intervals.csv): counts, shares, agent time, Erlang staffing."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest

from peakend import scenario_from_dict
from peakend.analysis.erlang import (
    MAX_STAFFING,
    ErlangA,
    ErlangC,
    StaffingBeyondLimit,
    agents_for_service_level,
)
from peakend.analysis.intervals import (
    erlang_a_agents,
    mean_patience_minutes,
    replication_intervals,
    summarize_intervals,
)
from peakend.engine.staffing import present_agents
from peakend.runs.runner import replicate, run_scenario
from peakend.simulation.replication import Replication

from conftest import busy_day_data

SUMMARY_COLUMNS = [
    "interval", "start", "start_minutes", "pool",
    "offered", "answered", "abandoned", "still_waiting",
    "service_level", "service_level_ci_low", "service_level_ci_high",
    "abandonment_rate", "abandonment_rate_ci_low", "abandonment_rate_ci_high",
    "occupancy", "occupancy_ci_low", "occupancy_ci_high",
    "asa_minutes", "agents_scheduled", "agents_present",
    "erlang_c_agents", "erlang_a_agents", "replications",
]  # fmt: skip


def cut_day(**run: object) -> dict:
    """The busy day cut at the horizon (contacts can still be waiting), opening at 09:00."""
    data = busy_day_data()
    data["run"] = {**data["run"], "drain": False, "opens_at": "09:00", **run}
    return data


def test_counts_add_up_and_shares_are_shares() -> None:
    scenario = scenario_from_dict(cut_day())
    replication = Replication(scenario, 0)
    output = replication.run()
    frame = replication_intervals(output, scenario, 0)
    assert len(frame) == scenario.intervals
    assert (
        frame["offered"] == frame["answered"] + frame["abandoned"] + frame["still_waiting"]
    ).all()
    assert (frame[["answered", "abandoned", "still_waiting"]] >= 0).all().all()
    assert frame["still_waiting"].sum() > 0  # the cut day leaves some waiting
    arrival = output.contacts["arrival_minutes"]
    assert frame["offered"].sum() == np.count_nonzero(arrival < scenario.horizon_minutes)
    share = frame["answered_in_threshold"] / frame["offered"]
    assert ((share >= 0) & (share <= 1)).all()
    occupancy = frame["busy_minutes"] / frame["available_minutes"]
    assert ((occupancy > 0) & (occupancy <= 1 + 1e-12)).all()
    pool = replication.pools[0]
    expected = present_agents(pool.config.staffing, pool.absent)
    assert frame["agents_present"].tolist() == expected.tolist()
    assert frame["agents_scheduled"].tolist() == list(scenario.pools["agents"].staffing)


def naive_busy(output, scenario):
    """Service minutes per interval, and those after the agent's shift, by a plain loop."""
    length, staffing = scenario.arrivals.interval_minutes, scenario.pools["agents"].staffing
    busy, after = np.zeros(scenario.intervals), np.zeros(scenario.intervals)
    c = output.contacts
    for k in np.flatnonzero(c["answered"]):
        start = c["service_start_minutes"][k]
        end = c["service_end_minutes"][k]
        end = output.end_time if math.isnan(end) else end
        for i in range(scenario.intervals):
            overlap = max(0.0, min(end, (i + 1) * length) - max(start, i * length))
            busy[i] += overlap
            after[i] += overlap if c["agent"][k] >= staffing[i] else 0.0
    return busy, after


@pytest.mark.parametrize("drain", [True, False])
def test_busy_and_available_minutes_agree_with_a_plain_loop(drain: bool) -> None:
    scenario = scenario_from_dict(cut_day(drain=drain))
    replication = Replication(scenario, 1)
    output = replication.run()
    frame = replication_intervals(output, scenario, 1)
    busy, after = naive_busy(output, scenario)
    assert frame["busy_minutes"].to_numpy() == pytest.approx(busy)
    present = frame["agents_present"].to_numpy()
    expected = present * scenario.arrivals.interval_minutes + after
    assert frame["available_minutes"].to_numpy() == pytest.approx(expected)


def test_summary_columns_clock_times_and_intervals() -> None:
    scenario = scenario_from_dict(cut_day())
    result = run_scenario(scenario, 4)
    summary = result.intervals_frame()
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["start"].tolist() == ["09:00", "09:30", "10:00", "10:30"]
    assert (summary["replications"] == 4).all()
    raw = pd.concat([rep.intervals for rep in result.replications])
    means = raw.groupby("interval")[["offered", "answered", "abandoned", "still_waiting"]].mean()
    assert summary.set_index("interval")[means.columns].to_numpy() == pytest.approx(means)
    for share in ("service_level", "abandonment_rate", "occupancy"):
        inside = summary[share].between(0, 1)
        assert inside.all(), share
        assert (summary[f"{share}_ci_low"] <= summary[share]).all()
        assert (summary[share] <= summary[f"{share}_ci_high"]).all()
        assert (summary[f"{share}_ci_high"] <= 1).all()
    assert (summary["asa_minutes"] >= 0).all()


def test_erlang_c_agents_are_those_of_agents_for_service_level() -> None:
    scenario = scenario_from_dict(cut_day(service_level_target=0.9))
    summary = run_scenario(scenario, 3).intervals_frame()
    service = scenario.pools["agents"].service_time.mean
    for row in summary.to_dict("records"):
        rate = row["offered"] / scenario.arrivals.interval_minutes
        expected = agents_for_service_level(rate, service, 1 / 3, 0.9)
        assert row["erlang_c_agents"] == expected


def known_case_frame(offered: int) -> pd.DataFrame:
    """One replication's row of a 30-minute interval with ``offered`` contacts."""
    return pd.DataFrame(
        {
            "replication": [0],
            "interval": [0],
            "pool": ["agents"],
            "start_minutes": [0.0],
            "offered": [offered],
            "answered": [offered],
            "abandoned": [0],
            "still_waiting": [0],
            "answered_in_threshold": [offered],
            "answered_wait_minutes": [0.0],
            "busy_minutes": [300.0],
            "available_minutes": [420.0],
            "agents_scheduled": [14],
            "agents_present": [14],
        }
    )


def known_case_scenario(patience: dict | None = None):
    segment = {"share": 1.0}
    if patience is not None:
        segment["patience"] = patience
    return scenario_from_dict(
        {
            "name": "erlang_example",
            "run": {"service_level_threshold_minutes": 1 / 3, "opens_at": "08:00"},
            "arrivals": {"interval_minutes": 30, "rate_per_hour": [200]},
            "segments": {"all": segment},
            "pools": {
                "agents": {
                    "staffing": [14],
                    "service_time": {"distribution": "exponential", "mean": 3.0},
                }
            },
        }
    )


def test_the_model_md_erlang_c_example_needs_14_agents() -> None:
    # 100 calls per 30 minutes, 180 s handling, 20 s: SL 0.888 with 14 agents, 0.796 with 13
    summary = summarize_intervals([known_case_frame(100)], known_case_scenario())
    row = summary.iloc[0]
    assert row["erlang_c_agents"] == 14
    assert row["erlang_a_agents"] == 14  # patience infinite: Erlang A is Erlang C
    assert ErlangC(100 / 30, 3.0, 13).service_level(1 / 3) < 0.8
    assert row["occupancy"] == pytest.approx(300 / 420)
    assert math.isnan(row["occupancy_ci_low"])  # one replication: no interval
    assert row["start"] == "08:00"


def test_erlang_a_agents_are_the_fewest_that_meet_the_target() -> None:
    patience = {"distribution": "exponential", "mean": 2.0}
    summary = summarize_intervals([known_case_frame(100)], known_case_scenario(patience))
    agents = int(summary.iloc[0]["erlang_a_agents"])
    assert ErlangA(100 / 30, 3.0, agents, 2.0).service_level(1 / 3) >= 0.8
    assert ErlangA(100 / 30, 3.0, agents - 1, 2.0).service_level(1 / 3) < 0.8


@pytest.mark.parametrize(
    ("rate", "service", "patience", "target"),
    [
        (100 / 30, 3.0, 2.0, 0.8),
        (0.5, 4.5, 4.0, 0.9),
        (20.0, 4.0, 0.5, 0.8),
        (0.01, 1.0, 10.0, 0.5),
    ],
)
def test_erlang_a_search_brackets_the_target(rate, service, patience, target) -> None:
    agents = erlang_a_agents(rate, service, 1 / 3, target, patience)
    assert ErlangA(rate, service, agents, patience).service_level(1 / 3) >= target
    if agents > 1:
        assert ErlangA(rate, service, agents - 1, patience).service_level(1 / 3) < target


def test_no_arrivals_need_no_agents_and_bad_targets_are_refused() -> None:
    assert erlang_a_agents(0.0, 3.0, 1 / 3, 0.8, 2.0) == 0
    with pytest.raises(ValueError, match="target must be strictly between 0 and 1"):
        erlang_a_agents(1.0, 3.0, 1 / 3, 1.0, 2.0)
    with pytest.raises(ValueError, match="no replications"):
        summarize_intervals([], known_case_scenario())


def test_mean_patience_weights_segments_and_channels_by_share() -> None:
    data = busy_day_data()
    data["channels"] = {
        "phone": {"share": 0.5, "patience_factor": 1.0},
        "chat": {"share": 0.5, "patience_factor": 3.0},
    }
    # segments: 0.6 * 3.0 + 0.4 * 4.0 = 3.4; channels: 0.5 * 1 + 0.5 * 3 = 2
    assert mean_patience_minutes(scenario_from_dict(data)) == pytest.approx(6.8)
    assert math.isinf(mean_patience_minutes(known_case_scenario()))


def test_replication_results_carry_their_intervals_through_pickle() -> None:
    result = replicate(scenario_from_dict(cut_day()), 2)
    assert result.intervals is not None and (result.intervals["replication"] == 2).all()
    copy = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(copy.intervals, result.intervals)


def test_a_multi_period_run_has_no_intervals() -> None:
    data = busy_day_data()
    data["retention"] = {"periods": 2, "population": 200}
    result = run_scenario(scenario_from_dict(data), 1)
    assert result.replications[0].intervals is None
    assert result.intervals_frame() is None


def _chat_overflow_day() -> dict:
    """The cut day with a chat team of 3 slots per agent, calls overflowing to it."""
    data = cut_day()
    data["pools"]["agents"].update(overflow_to="chat", overflow_after_minutes=0.2)
    data["pools"]["chat"] = {"staffing": [1, 2, 2, 1], "concurrency": 3}
    data["channels"] = {
        "phone": {"share": 0.6, "entry_pool": "agents"},
        "chat": {"share": 0.4, "entry_pool": "chat"},
    }
    return data


def test_busy_minutes_belong_to_the_serving_pool_and_a_chat_is_a_slot() -> None:
    """A plain loop over contacts: each service counts for the pool whose agent served
    it, a chat as 1/3 of a chat agent, a call that overflowed to one as all of it."""
    scenario = scenario_from_dict(_chat_overflow_day())
    output = Replication(scenario, 2).run()
    frame = replication_intervals(output, scenario, 2)
    length, c = scenario.arrivals.interval_minutes, output.contacts
    expected = {name: np.zeros(scenario.intervals) for name in scenario.pools}
    names = list(scenario.pools)
    for k in np.flatnonzero(c["answered"]):
        serving, home = names[c["served_pool"][k]], names[c["pool"][k]]
        weight = 1 / 3 if serving == home == "chat" else 1.0
        end = c["service_end_minutes"][k]
        end = output.end_time if math.isnan(end) else end
        for i in range(scenario.intervals):
            overlap = max(
                0.0, min(end, (i + 1) * length) - max(c["service_start_minutes"][k], i * length)
            )
            expected[serving][i] += overlap * weight
    overflowed = (c["pool"] == 0) & (c["served_pool"] == 1)
    assert overflowed.any()
    for name in scenario.pools:
        mine = frame[frame["pool"] == name]
        assert mine["busy_minutes"].to_numpy() == pytest.approx(expected[name])
        occupancy = mine["busy_minutes"] / mine["available_minutes"]
        assert ((occupancy >= 0) & (occupancy <= 1 + 1e-12)).all()


def test_a_chat_pool_needs_its_servers_divided_by_its_slots() -> None:
    """Each chat agent is 3 servers, each 1 + 0.5 (3 - 1) = 2 times slower than one chat."""
    data = _chat_overflow_day()
    data["pools"]["chat"]["concurrency_slowdown"] = 0.5
    scenario = scenario_from_dict(data)
    summary = run_scenario(scenario, 2).intervals_frame()
    chat = summary[summary["pool"] == "chat"].to_dict("records")
    service = scenario.pools["chat"].service_time.mean * 2.0
    run = scenario.run
    assert any(row["offered"] > 0 for row in chat)
    for row in chat:
        rate = row["offered"] / scenario.arrivals.interval_minutes
        servers = agents_for_service_level(
            rate, service, run.service_level_threshold_minutes, run.service_level_target
        )
        assert row["erlang_c_agents"] == math.ceil(servers / 3)


def test_erlang_a_search_stops_at_its_limit_after_few_evaluations(monkeypatch) -> None:
    import peakend.analysis.intervals as intervals

    built: list[int] = []

    class Counted(ErlangA):
        def __post_init__(self) -> None:
            built.append(self.agents)
            super().__post_init__()

    monkeypatch.setattr(intervals, "ErlangA", Counted)
    # 99,900 Erlangs with long patience: the target needs more than 100,000 agents.
    with pytest.raises(StaffingBeyondLimit, match="more than 100,000 agents"):
        erlang_a_agents(100.0, 999.0, 1 / 3, 0.99, 1e6)
    # It starts at target x load (no fewer can meet the target) and doubles to the limit.
    assert min(built) >= 0.99 * 99_900 - 1
    assert len(built) <= 2 * math.ceil(math.log2(MAX_STAFFING)) + 2
    built.clear()
    # 1e7 Erlangs: refused at once, not a single Erlang A evaluated.
    with pytest.raises(StaffingBeyondLimit):
        erlang_a_agents(1.0, 1e7, 1 / 3, 0.8, 5.0)
    assert built == []


@pytest.mark.parametrize(("rate", "service", "patience"), [(3.0, 2.0, 1.0), (40.0, 2.0, 3.0)])
def test_erlang_a_search_from_the_lower_bound_finds_the_fewest(rate, service, patience) -> None:
    # Compared with a scan from one agent up: the same answer.
    scan = next(
        c
        for c in range(1, 1_000)
        if ErlangA(rate, service, c, patience).service_level(1 / 3) >= 0.8
    )
    assert erlang_a_agents(rate, service, 1 / 3, 0.8, patience) == scan


def test_an_extreme_service_time_leaves_the_staffing_empty_not_a_hang() -> None:
    patience = {"distribution": "exponential", "mean": 5.0}
    data = {
        "name": "extreme",
        "arrivals": {"interval_minutes": 30, "rate_per_hour": [200]},
        "segments": {"all": {"share": 1.0, "patience": patience}},
        "pools": {
            "agents": {
                "staffing": [14],
                "service_time": {"distribution": "exponential", "mean": 1e7},
            }
        },
    }
    summary = summarize_intervals([known_case_frame(100)], scenario_from_dict(data))
    row = summary.iloc[0]
    assert row["erlang_c_agents"] is pd.NA and row["erlang_a_agents"] is pd.NA
    assert str(summary["erlang_c_agents"].dtype) == "Int64"  # integers, not floats
    # The usual case keeps its integers.
    usual = summarize_intervals([known_case_frame(100)], known_case_scenario())
    assert usual.iloc[0]["erlang_c_agents"] == 14
    assert str(usual["erlang_c_agents"].dtype) == "Int64"


def test_agent_time_is_split_in_bounded_pieces_with_the_same_sums(monkeypatch) -> None:
    # Long services over many intervals are split a bounded number of pieces at a time;
    # tiny chunks give the same minutes (to rounding: the sums are added in another order).
    import peakend.analysis.interval_counts as interval_counts

    data = busy_day_data()
    data["pools"]["agents"]["service_time"] = {"distribution": "exponential", "mean": 45.0}
    scenario = scenario_from_dict(data)
    output = Replication(scenario, 0).run()
    whole = replication_intervals(output, scenario, 0)
    monkeypatch.setattr(interval_counts, "_MAX_PIECES", 3)
    pieces = replication_intervals(output, scenario, 0)
    for column in ("busy_minutes", "available_minutes"):
        np.testing.assert_allclose(pieces[column], whole[column], rtol=1e-12)
    assert whole["busy_minutes"].sum() > 0

"""Replays that name their customers (redials) and replays of several days in one file."""

from __future__ import annotations

import numpy as np
import pytest
from stories import fixed, pool, world

from peakend import load_scenario, scenario_from_dict
from peakend.config.loading import ConfigError
from peakend.engine.facts import InIvr
from peakend.engine.persons import persons_of
from peakend.simulation.replication import simulate


def test_persons_are_numbered_by_their_first_arrival():
    persons = persons_of(["c7", "c2", "c7", "c9", "c2"])
    assert persons.of_arrival.tolist() == [0, 1, 0, 2, 1]
    assert persons.first_arrival.tolist() == [0, 1, 3]
    assert persons.last_arrival.tolist() == [2, 4, 3]


def _redials(ids: list[str], times: list[float], **segment: object) -> dict:
    # A desk of one agent, 10 minutes a service; patience 1 minute.
    data = world(times, {"desk": pool(10.0)}, patience=1.0, segment=segment)
    data["arrivals"]["times_customer"] = ids
    return data


def _tables(data: dict):
    scenario = scenario_from_dict(data)
    fast, reference = simulate(scenario), simulate(scenario, engine="reference")
    for name in ("contacts", "customers"):
        a, b = getattr(fast, name).to_frame(), getattr(reference, name).to_frame()
        assert a.equals(b), f"the engines disagree on the {name}"
    return fast.customers.to_frame(), fast.contacts.to_frame(), fast


def test_a_replayed_redial_after_giving_up_is_the_same_customer_retrying():
    # Ann is served 1-11. Bob queues at 2 and gives up at 3; the log has him call
    # again at 20 (answered at once): one customer, two contacts, one retry.
    customers, contacts, _ = _tables(_redials(["ann", "bob", "bob"], [1.0, 2.0, 20.0]))
    assert len(customers) == 2
    bob = customers.iloc[1]
    assert (bob["contacts"], bob["retries"], bob["effort"]) == (2, 1, 1)
    assert bob["outcome"] == "resolved" and bob["arrival_minutes"] == 2.0
    rows = contacts[contacts["customer"] == 1]
    assert rows["contact"].tolist() == [1, 2]
    assert rows["kind"].tolist() == ["first", "retry"]
    assert rows["abandoned"].tolist() == [True, False]


def test_a_replayed_redial_after_a_served_contact_is_a_repeat_contact():
    customers, contacts, _ = _tables(_redials(["ann", "ann"], [1.0, 30.0]))
    assert len(customers) == 1
    assert contacts["kind"].tolist() == ["first", "recontact"]
    assert customers.iloc[0]["effort"] == 1


def test_the_outcome_is_the_last_arrivals_and_the_memory_spans_every_contact():
    # Bob is served at 20 (resolved), then calls again at 45 while the desk is busy
    # with Cy (40-50) and gives up at 46: his last arrival ends abandoned.
    data = _redials(["ann", "bob", "cy", "bob"], [1.0, 20.0, 40.0, 45.0])
    customers, _, out = _tables(data)
    bob = customers.iloc[1]
    assert bob["outcome"] == "abandoned" and bob["contacts"] == 2
    traces = out.traces
    pieces = traces.owner == 1
    assert traces.start[pieces].min() == 20.0 and traces.start[pieces].max() >= 45.0


def test_without_ids_every_replayed_arrival_is_a_customer_of_its_own():
    data = _redials(["ann", "bob", "bob"], [1.0, 2.0, 20.0])
    del data["arrivals"]["times_customer"]
    customers, contacts, _ = _tables(data)
    assert len(customers) == 3 and set(contacts["kind"]) == {"first"}


def test_an_ivr_stay_is_numbered_among_the_persons_contacts():
    ivr = {"minutes": fixed(1.0), "leave_probability": 0.0, "self_service_probability": 0.0}
    data = _redials(["ann", "ann"], [1.0, 30.0], ivr=ivr)
    _, _, out = _tables(data)
    assert out.facts[InIvr]["number"].tolist() == [1, 2]


def _replay(folder, rows: str, start: str | None = "2026-03-03", **run: object) -> str:
    (folder / "arrivals.csv").write_text(rows)
    start_line = f'start_date = "{start}"' if start else ""
    extra = "\n".join(f"{key} = {value}" for key, value in run.items())
    (folder / "s.toml").write_text(
        f"""
[run]
{start_line}
[arrivals]
interval_minutes = 30
times_file = "arrivals.csv"
[segments.a]
share = 1.0
[pools.p]
staffing = [1, 1]
{extra}
"""
    )
    return str(folder / "s.toml")


FORTNIGHT = """date,minutes,customer
2026-03-02,1.0,c1
2026-03-02,4.0,c1
2026-03-02,30,c3
2026-03-03,0.5,c9
2026-03-03,0.7,c1
2026-03-03,40,c9
"""


def test_a_replay_of_several_days_simulates_the_day_of_the_start_date(tmp_path):
    path = _replay(tmp_path, FORTNIGHT)
    second = load_scenario(path)
    first = load_scenario(path, overrides=['run.start_date="2026-03-02"'])
    # The profile is the mean day: 2 and 1 arrivals per half hour on each day.
    assert second.arrivals.rate_per_hour == (4.0, 2.0)
    assert simulate(first).contacts["arrival_minutes"].tolist() == [1.0, 4.0, 30.0]
    day = simulate(second)
    assert sorted(day.contacts["arrival_minutes"].tolist()) == [0.5, 0.7, 40.0]
    assert len(day.customers) == 2  # c9 twice, c1 once


@pytest.mark.parametrize(
    ("rows", "start", "message"),
    [
        (FORTNIGHT, "2026-03-09", "run.start_date: picks the replayed day"),
        (FORTNIGHT, None, "run.start_date: picks the replayed day"),
        ("date,minutes\n2026-03-03,1\n2026-03-02,2\n", "2026-03-03", "line 3, column 1"),
        ("date,minutes\n2026-3-3,1\n", "2026-03-03", 'expected a date "YYYY-MM-DD"'),
        ("date,minutes\n2026-03-03,2\n2026-03-03,1\n", "2026-03-03", "times must not decrease"),
        ("minutes,customer\n1,\n", "2026-03-03", "empty; expected a customer id"),
        ("minutes,customer\n1," + "x" * 129 + "\n", "2026-03-03", "longer than 128"),
    ],
)
def test_bad_replays_are_one_line_errors(tmp_path, rows, start, message):
    with pytest.raises(ConfigError) as error:
        load_scenario(_replay(tmp_path, rows, start))
    text = str(error.value)
    assert "\n" not in text and message in text
    assert "x" * 20 not in text  # an error never quotes the file's cells


def test_a_replay_with_customer_ids_is_refused_in_the_retention_loop(tmp_path):
    path = _replay(tmp_path, FORTNIGHT)
    with pytest.raises(ConfigError, match="a replay is a single-day run"):
        load_scenario(path, overrides=["retention.periods=2"])


def test_dates_restart_the_times_and_a_later_date_may_start_earlier(tmp_path):
    scenario = load_scenario(_replay(tmp_path, FORTNIGHT))
    assert scenario.arrivals.times[:4] == (1.0, 4.0, 30.0, 0.5)
    assert np.array_equal(list(scenario.replayed_rows()), [3, 4, 5])

"""A memory for everyone: a customer who leaves on hearing the wait remembers a loss.

The balk is one moment (``peakend.experience.moments``, BALK): the announced wait felt
as its last moment would have been, combined with ``balk_unresolved_share`` of the
problem left unresolved. These tests check the moment by hand, the trace the engine
builds for a balked customer, that no shipped scenario leaves anyone without a
memory with balking on, and that balking lowers the mean memory on the contact
centre (paired, common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from peakend import load_scenario, scenario_from_dict, simulate
from peakend.config.schema import ExperienceConfig
from peakend.engine.facts import Balked, HoldOffered, Outcome
from peakend.experience.moments import EPISODE_DTYPE, References, episodes_to_traces
from peakend.experience.trace import EpisodeKind

from conftest import ROOT, busy_day_data

LAMBDA, EXP = 2.25, 0.88
SHIPPED = sorted((ROOT / "configs").glob("*.toml"))


def v(x: float) -> float:
    return x**EXP if x >= 0 else -LAMBDA * (-x) ** EXP


def balk_trace(announced: float, share: float = 0.5, expected: float = 2.0, factor: float = 1.33):
    """The trace of one customer whose only episode is a balk on ``announced`` minutes."""
    episode = np.array([(0, 1, 0, EpisodeKind.WAIT, 7.0, 0.0, announced)], dtype=EPISODE_DTYPE)
    refs = References(np.array([expected]), np.array([factor]), np.array([0.6]), np.array([4.0]))
    return episodes_to_traces(episode, refs, ExperienceConfig(balk_unresolved_share=share))


def test_a_balk_is_one_moment_of_the_announced_wait_and_the_problem_left():
    # Told 5 minutes, expecting 2, idle waits x1.33: 1.33*5 - 2 = 4.65 minutes over, at 0.5
    # points a minute, and half of a severity of 4 left unresolved.
    traces = balk_trace(5.0)
    assert traces.n_pieces == 1
    assert traces.kind[0] == EpisodeKind.WAIT and traces.duration[0] == 0
    assert traces.start[0] == 7.0
    expected = -0.5 + v(-0.5 * (1.33 * 5 - 2) - 0.5 * 4.0)
    assert traces.u_start[0] == pytest.approx(expected)
    assert traces.u_end[0] == traces.u_start[0]


def test_a_balk_within_expectation_still_leaves_the_problem_unresolved():
    # Told 1 minute (1.33 perceived, under 2 expected): no wait loss, the problem remains.
    assert balk_trace(1.0).u_end[0] == pytest.approx(-0.5 + v(-2.0))
    # With no share of the problem, only the mild discomfort of a wait is left.
    assert balk_trace(1.0, share=0.0).u_end[0] == pytest.approx(-0.5)


def test_a_longer_announced_wait_is_remembered_worse():
    told = [balk_trace(minutes).u_end[0] for minutes in (1.0, 3.0, 6.0, 12.0)]
    assert all(later < earlier for earlier, later in zip(told, told[1:], strict=False))


def _balking_day() -> dict:
    data = busy_day_data(seed=5)
    data["pools"]["agents"]["staffing"] = [1, 2, 2, 1]
    data["channels"] = {"phone": {"share": 1.0, "balking": {"enabled": True, "scale_minutes": 2}}}
    return data


def test_a_balked_customers_trace_in_the_engine():
    """Each customer who balks on the first contact: one moment at arrival, the value of
    the announced wait (from the fact) and half the segment's severity; remembered as it."""
    scenario = scenario_from_dict(_balking_day())
    out = simulate(scenario)
    facts = out.facts[Balked]
    customers, traces = out.customers, out.traces
    assert traces is not None
    first = facts[out.facts.contact_number[facts["contact"]] == 1]
    assert len(first) > 10
    severity = [s.failure_severity for s in scenario.segments.values()]
    expected_wait = [s.expected_wait_minutes for s in scenario.segments.values()]
    factor = scenario.experience.idle_wait_factor  # the channel does not announce its waits
    for fact in first:
        who = int(fact["customer"])
        segment = int(customers["segment"][who])
        pieces = np.flatnonzero(traces.owner == who)
        assert len(pieces) == 1, who
        piece = int(pieces[0])
        assert traces.kind[piece] == EpisodeKind.WAIT and traces.duration[piece] == 0
        assert traces.start[piece] == fact["at"] == customers["arrival_minutes"][who]
        over = max(factor * fact["announced"] - expected_wait[segment], 0.0)
        value = -0.5 + v(-0.5 * over - 0.5 * severity[segment])
        assert traces.u_end[piece] == pytest.approx(value)
        assert customers["remembered_utility"][who] == pytest.approx(value)
        assert customers["outcome"][who] == Outcome.ABANDONED


def _balking_everywhere(path) -> list[str]:
    scenario = load_scenario(path)
    return [f"channels.{name}.balking.enabled=true" for name in scenario.channels]


@pytest.mark.parametrize("drain", [True, False], ids=["drained", "cut at the horizon"])
@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_no_customer_ends_a_shipped_scenario_without_a_memory(path, drain):
    """Balking on every channel; run drained and cut at the end of the day (customers
    still waiting, served, or at home waiting for a call)."""
    overrides = [*_balking_everywhere(path), f"run.drain={str(drain).lower()}"]
    out = simulate(load_scenario(path, overrides))
    assert out.facts[Balked].size > 0
    remembered = out.customers["remembered_utility"]
    assert len(remembered) > 0
    assert not np.isnan(remembered).any()


def test_balking_lowers_the_mean_memory_of_the_contact_centre():
    """Paired over 20 replications with common random numbers; the 99 % Student-t interval
    of the difference must lie below zero (the levers suite's convention). Balkers
    remember a loss; those who stay wait less, which the balkers' loss outweighs."""
    path = ROOT / "configs" / "contact_centre.toml"
    without = load_scenario(path)
    with_balking = load_scenario(path, _balking_everywhere(path))
    differences = []
    for replication in range(20):
        a, b = simulate(without, replication), simulate(with_balking, replication)
        differences.append(
            b.customers["remembered_utility"].mean() - a.customers["remembered_utility"].mean()
        )
    d = np.asarray(differences)
    half = stats.t.ppf(0.995, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert d.mean() + half < 0, (d.mean(), half)


def test_a_customer_still_waiting_at_home_when_the_day_ends_remembers_the_promise():
    """A virtual hold not yet called back when a run is cut at the horizon: a moment of
    0 points at the end of the run (the promise stands), not a missing memory."""
    data = busy_day_data(seed=5)
    data["run"]["drain"] = False
    data["pools"]["agents"]["staffing"] = [1, 2, 2, 1]
    hold = {"enabled": True, "threshold_minutes": 0.0, "acceptance": 1.0}
    data["channels"] = {"phone": {"share": 1.0, "virtual_hold": hold}}
    out = simulate(scenario_from_dict(data))
    contacts = out.contacts
    waiting = contacts["at_home"] & ~contacts["answered"] & (contacts["contact"] == 1)
    assert waiting.sum() > 0
    who = contacts["customer"][waiting]
    remembered = out.customers["remembered_utility"]
    assert not np.isnan(remembered).any()
    never_answered = who[out.customers["contacts"][who] == 1]
    assert len(never_answered) > 0
    holds = out.facts[HoldOffered]
    due = dict(zip(holds["customer"].tolist(), holds["due"].tolist(), strict=True))
    end = out.end_time
    for customer in never_answered.tolist():
        # One moment at the end of the run: 0 points inside the promise, else its loss.
        late = max(end - due[customer], 0.0)
        assert remembered[customer] == pytest.approx(v(-0.1 * late) if late > 0 else 0.0)


def test_the_example_of_the_docs():
    """docs/model/moment-utility.md: expecting 1 minute on an idle line, told 3, severity 4."""
    assert balk_trace(3.0, expected=1.0).u_end[0] == pytest.approx(-7.267, abs=1e-3)

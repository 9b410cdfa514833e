"""The experience pass in chunks (of customers, of episodes) gives the traces and the
quality of the whole pass, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from peakend import load_scenario
from peakend.experience.moments import (
    References,
    episodes_of,
    episodes_to_traces,
    experience_of,
)
from peakend.simulation.replication import Replication

from conftest import CONFIGS


@pytest.mark.parametrize("chunk", [7, 1000])
def test_traces_made_in_chunks_equal_the_traces_made_at_once(chunk):
    scenario = load_scenario(CONFIGS[1])  # the contact centre: waits, services, failures
    replication = Replication(scenario, 2)
    out = replication.run()
    plan = replication.arrivals  # reference points as remember() draws them
    references = References.of(scenario, replication.channel, plan.segment)
    episodes, _ = episodes_of(out.contacts, out.facts, references, scenario.experience)
    assert len(episodes) > 3 * chunk  # several chunks, the last one partial
    whole = episodes_to_traces(episodes, references, scenario.experience, chunk=len(episodes))
    parts = episodes_to_traces(episodes, references, scenario.experience, chunk=chunk)
    for field in ("owner", "start", "duration", "u_start", "u_end", "kind"):
        a, b = getattr(whole, field), getattr(parts, field)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), field
    assert np.array_equal(whole.owner, out.traces.owner)  # the run's own traces


def test_a_chunk_must_hold_an_episode():
    scenario = load_scenario(CONFIGS[1])
    with pytest.raises(ValueError, match="at least 1 episode"):
        episodes_to_traces(np.zeros(0), None, scenario.experience, chunk=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk", [16, 100])
def test_the_experience_of_customers_in_chunks_equals_the_whole_pass(chunk):
    scenario = load_scenario(CONFIGS[1])
    replication = Replication(scenario, 3)
    out = replication.run()
    plan = replication.arrivals
    references = References.of(scenario, replication.channel, plan.segment)
    assert len(plan) > 10 * chunk  # many chunks, the last one partial
    whole = experience_of(out.contacts, out.facts, references, scenario.experience, len(plan))
    parts = experience_of(out.contacts, out.facts, references, scenario.experience, chunk)
    for field in ("owner", "start", "duration", "u_start", "u_end", "kind"):
        a, b = getattr(whole.traces, field), getattr(parts.traces, field)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), field
    assert whole.service_quality.tobytes() == parts.service_quality.tobytes()
    assert whole.traces.owner.tobytes() == out.traces.owner.tobytes()  # the run's own
    with pytest.raises(ValueError, match="at least 1 customer"):
        experience_of(out.contacts, out.facts, references, scenario.experience, 0)

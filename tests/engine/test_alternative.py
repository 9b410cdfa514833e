"""``service.offer_alternative``: an unresolved contact the agent sees fail ends with an
alternative offered. Paired with common random numbers, turning it on moves what it should
(the customers with a seen failure remember their journey better, the agent and the
customer spend ``alternative_minutes`` on it, it counts as a recovery) and nothing else.

The scenario has agents to spare (no queue), no skill effect and one warmth for every
agent, so both arms give every contact the same service result, and a difference can
only come from the alternative itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from peakend import scenario_from_dict
from peakend.runs.runner import ReplicationResult, replicate

from conftest import mmc_data

ALTERNATIVE_MINUTES = 2.0
RECONTACT_DELAY = 30.0


def scenario_data(offer: bool) -> dict[str, Any]:
    data = mmc_data(arrival_rate=1.0, mean_service=2.0, agents=30, horizon=600.0, warmup=0.0)
    data["run"]["seed"] = 7
    data["segments"]["all"].update(
        recontact_probability=1.0,
        max_contacts=2,
        recontact_delay={"distribution": "fixed", "value": RECONTACT_DELAY},
    )
    data["pools"]["agents"].update(
        first_contact_resolution=0.5,
        failure_noticed_later_probability=0.0,  # every failure is seen by the agent
        skill_effect=0.0,
        warmth={"mean": 0.8, "sd": 0.0},
    )
    data["service"] = {"offer_alternative": offer, "alternative_minutes": ALTERNATIVE_MINUTES}
    return data


@pytest.fixture(scope="module")
def arms() -> tuple[ReplicationResult, ReplicationResult]:
    off, on = (replicate(scenario_from_dict(scenario_data(offer)), 0) for offer in (False, True))
    assert len(off.customers) == len(on.customers) > 300
    assert (off.contacts["service_result"] == on.contacts["service_result"]).all()  # paired
    return off, on


def _seen_failures(out: ReplicationResult) -> np.ndarray:
    """Contacts per customer whose service failed in front of the agent."""
    contacts = out.contacts
    failed = contacts["customer"][contacts["service_result"] == "failed_seen"]
    return np.bincount(failed, minlength=len(out.customers))


def test_customers_with_a_seen_failure_remember_better_and_no_one_else_changes(arms) -> None:
    off, on = arms
    failed = _seen_failures(off) > 0
    assert 100 < failed.sum() < len(failed) - 100  # both groups are there
    change = on.customers["remembered_utility"] - off.customers["remembered_utility"]
    # The alternative is a gain (alternative_gain x warmth): never a loss, on average a gain.
    assert (change[failed] >= -1e-12).all()
    assert change[failed].mean() > 0.5
    assert (on.customers["end_utility"] - off.customers["end_utility"])[failed].max() > 0
    # Without a failure the journey is the same moment for moment.
    for column in ("remembered_utility", "end_utility", "wait_minutes", "recoveries"):
        assert np.array_equal(on.customers[column][~failed], off.customers[column][~failed]), column


def test_an_alternative_counts_as_a_recovery(arms) -> None:
    off, on = arms
    assert (off.customers["recoveries"] == 0).all()  # policy none: nothing else remedies
    assert np.array_equal(on.customers["recoveries"], _seen_failures(on))


def test_the_alternative_takes_its_minutes_before_the_customer_moves_on(arms) -> None:
    """Agent and customer spend alternative_minutes on it: the next contact, a fixed delay
    after the first ends, comes that much later."""
    off, on = arms
    contacts = off.contacts
    first_failed = contacts["customer"][
        (contacts["contact"] == 1) & (contacts["service_result"] == "failed_seen")
    ]

    def second_arrival(out: ReplicationResult) -> Any:
        c = out.contacts
        second = c[(c["contact"] == 2) & c["customer"].isin(first_failed)]
        return second.set_index("customer")["arrival_minutes"]

    later = second_arrival(on) - second_arrival(off)
    assert len(later) > 100
    assert np.allclose(later, ALTERNATIVE_MINUTES)


def test_without_seen_failures_the_lever_does_nothing() -> None:
    """All failures noticed later (at home): no agent there to offer anything."""
    outs = []
    for offer in (False, True):
        data = scenario_data(offer)
        data["pools"]["agents"]["failure_noticed_later_probability"] = 1.0
        outs.append(replicate(scenario_from_dict(data), 0))
    off, on = outs
    assert (off.contacts["service_result"] == "failed_unseen").sum() > 100
    for column in ("remembered_utility", "recoveries", "service_end_minutes"):
        assert np.array_equal(on.customers[column], off.customers[column], equal_nan=True)

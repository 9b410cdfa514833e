"""Levers are offered only where they can act, and act by default where they are offered.

``service.bad_news = "first"`` reorders the defect and the service of a contact; when a
remedy follows the defect (apology, coupon, alternative, callback, escalation) the
contact ends on the remedy in either order, so the scenario refuses the setting with
one line naming the key. ``skill.mean`` moves resolution with the default
``skill_effect`` (a Rasch-type logistic against ``skill_reference``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from peakend import ConfigError, load_scenario, scenario_from_dict, simulate
from peakend.config.schema import DEFAULT_SKILL_EFFECT, PoolConfig
from peakend.simulation.replication import Replication

from conftest import ROOT, busy_day_data

SHIPPED = sorted((ROOT / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_bad_news_first_is_refused_under_each_shipped_recovery_policy(path):
    with pytest.raises(ConfigError) as caught:
        load_scenario(path, ['service.bad_news="first"'])
    message = str(caught.value)
    assert "\n" not in message
    assert "service.bad_news" in message and path.name in message
    assert 'recovery.policy = "apology"' in message


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_bad_news_first_is_accepted_where_nothing_follows_the_bad_news(path):
    scenario = load_scenario(path, ['service.bad_news="first"', 'recovery.policy="none"'])
    assert scenario.service.bad_news == "first"


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"recovery": {"policy": "apology"}}, "recovery.policy"),
        ({"recovery": {"policy": "callback"}}, "callback"),
        ({"recovery": {"policy": "escalation", "escalation_pool": "agents"}}, "escalation"),
        ({"recovery": {"policy": "none", "apology": True}}, "recovery.apology"),
        ({"recovery": {"policy": "none", "compensation": 5.0}}, "recovery.compensation"),
        ({"service": {"offer_alternative": True}}, "service.offer_alternative"),
    ],
)
def test_each_remedy_after_the_defect_refuses_bad_news_first(setting, named):
    data = busy_day_data()
    for section, values in setting.items():
        data.setdefault(section, {}).update(values)
    data.setdefault("service", {})["bad_news"] = "first"
    with pytest.raises(ConfigError, match=r"service\.bad_news") as caught:
        scenario_from_dict(data)
    assert named in str(caught.value)


def test_skill_moves_the_log_odds_of_resolution_from_the_reference():
    pool = PoolConfig(staffing=(1,), first_contact_resolution=0.8)
    assert pool.skill_effect == DEFAULT_SKILL_EFFECT > 0
    p = pool.resolve_probability(np.array([0.5, 0.7, 0.9]))
    logit = np.log(p / (1 - p))
    assert p[1] == pytest.approx(0.8)
    assert np.diff(logit) == pytest.approx([0.2 * DEFAULT_SKILL_EFFECT] * 2)
    # A pool that always (never) resolves stays so whatever its agents' skill.
    for certain in (0.0, 1.0):
        sure = PoolConfig(staffing=(1,), first_contact_resolution=certain)
        assert np.all(sure.resolve_probability(np.array([0.0, 0.4, 1.0])) == certain)
    # No effect at all when the scenario says so.
    flat = PoolConfig(staffing=(1,), first_contact_resolution=0.8, skill_effect=0.0)
    assert np.all(flat.resolve_probability(np.array([0.0, 1.0])) == 0.8)


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_every_shipped_pool_that_can_fail_resolves_more_with_more_skill(path):
    """The default effect reaches every pool of every shipped scenario whose resolution is
    neither 0 nor 1: its agents' resolution probabilities rise with skill.mean."""
    scenario = load_scenario(path)
    for name, pool in scenario.pools.items():
        if pool.first_contact_resolution in (0.0, 1.0):
            continue
        low, high = (
            pool.resolve_probability(np.array(mean)) for mean in (pool.skill.mean - 0.2, 0.9)
        )
        assert float(high) > float(low), name
        at_reference = float(pool.resolve_probability(pool.skill_reference))
        assert math.isclose(at_reference, pool.first_contact_resolution)


def test_the_engine_draws_resolution_from_each_agents_skill():
    scenario = scenario_from_dict(busy_day_data())
    replication = Replication(scenario)
    for pool in replication.pools:
        for agent in pool.agents:
            expected = pool.config.resolve_probability(agent.skill)
            assert agent.resolve_probability == pytest.approx(float(expected))
    assert simulate(scenario).customers["failures"].sum() > 0

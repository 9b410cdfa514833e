"""Chat pools (peakend.engine.chat): the phone model at one slot, slots, sharing, conservation.

The checks of chat concurrency (docs/validation.md): with k = 1 a chat pool
is the phone model contact for contact; no agent ever holds more than k chats,
and a call that overflows into a chat pool has its agent to itself; the work
the agents do (integrated from the records at the speed each number of open
chats allows) is the work the customers brought. The birth-death check of one
chat agent against theory is in tests/analysis/test_networks.py.
"""

from __future__ import annotations

import copy
import tomllib

import numpy as np
import pytest

from peakend import scenario_from_dict, simulate
from peakend.base.errors import ConfigError
from peakend.engine.chat import chat_speed
from peakend.simulation.replication import Replication

from conftest import ROOT, busy_day_data

TWO_SKILL = ROOT / "configs" / "two_skill_centre.toml"
CONTACT_CENTRE = ROOT / "configs" / "contact_centre.toml"


def _same_tables(a, b) -> list[str]:
    """Columns that differ (NaN equal to NaN)."""
    return [name for name in a.columns if not np.array_equal(a[name], b[name], equal_nan=True)]


@pytest.mark.parametrize(
    ("config", "pools", "extra"),
    [
        (TWO_SKILL, ("chat",), ()),
        (TWO_SKILL, ("phone", "chat"), ("pools.chat.stress.enabled=true", "run.drain=false")),
        (CONTACT_CENTRE, ("agents", "seniors"), ('recovery.policy="escalation"',)),
    ],
    ids=["two-skill chat team", "two-skill both teams, stress, no drain", "contact centre"],
)
def test_a_chat_pool_of_one_slot_is_the_phone_model_contact_for_contact(config, pools, extra):
    data = tomllib.loads(config.read_text())
    for name in pools:  # the phone model: no concurrency at all
        data["pools"][name].pop("concurrency", None)
        data["pools"][name].pop("concurrency_slowdown", None)
    phone = scenario_from_dict(data, overrides=list(extra))
    one_slot = scenario_from_dict(
        data, overrides=[*extra, *(f"pools.{name}.concurrency=1" for name in pools)]
    )
    assert all(phone.pools[name].concurrency is None for name in pools)
    for replication in range(2):
        a, b = simulate(phone, replication), simulate(one_slot, replication)
        assert len(a.contacts) > 500
        assert _same_tables(a.contacts, b.contacts) == []
        assert _same_tables(a.customers, b.customers) == []
        assert b.busy_minutes == pytest.approx(a.busy_minutes, rel=1e-12)
        assert b.available_minutes == pytest.approx(a.available_minutes, rel=1e-12)


def _chat_day(slots: int, slowdown: float, **changes: object) -> dict:
    """Phone and chat teams, a call overflowing to an idle chat agent at once, one
    contact per customer (everything resolved, no retries) and no closing words, so
    a contact's service end is when its agent lets it go."""
    data = busy_day_data(seed=4)
    data["arrivals"]["rate_per_hour"] = [60, 150, 180, 90]
    for segment in data["segments"].values():
        segment["retry_probability"] = 0.0
    data["pools"]["agents"].update(
        staffing=[2, 3, 3, 1],
        first_contact_resolution=1.0,
        skill_effect=0.0,
        overflow_to="chat",
        overflow_after_minutes=0.0,
    )
    data["pools"]["chat"] = {
        "staffing": [1, 2, 2, 1],
        "service_time": {"distribution": "lognormal", "mean": 5.0, "cv": 0.6},
        "concurrency": slots,
        "concurrency_slowdown": slowdown,
        "first_contact_resolution": 1.0,
    }
    data["channels"] = {
        "phone": {"share": 0.6, "entry_pool": "agents"},
        "chat": {"share": 0.4, "entry_pool": "chat"},
    }
    data.update(changes)
    return data


def _chat_spells(out, pool: int = 1):
    """Per agent of ``pool``: (start, end, exclusive) of each contact it served."""
    c = out.contacts
    mine = c["answered"] & (c["served_pool"] == pool)
    spells: dict[int, list[tuple[float, float, bool]]] = {}
    for start, end, agent, home in zip(
        c["service_start_minutes"][mine],
        c["service_end_minutes"][mine],
        c["agent"][mine],
        c["pool"][mine],
        strict=True,
    ):
        spells.setdefault(int(agent), []).append((start, end, home != pool))
    return spells


def _open_count(spells, t: float) -> tuple[int, int]:
    """(chats, calls) an agent has open just after ``t``."""
    chats = sum(1 for s, e, call in spells if s <= t < e and not call)
    calls = sum(1 for s, e, call in spells if s <= t < e and call)
    return chats, calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_agent_holds_more_than_its_slots_and_a_call_has_its_agent_alone(seed):
    out = simulate(scenario_from_dict(_chat_day(3, 0.3, run={"seed": seed})))
    spells = _chat_spells(out)
    calls_on_chat_agents = sum(call for agent in spells.values() for *_, call in agent)
    assert calls_on_chat_agents > 0  # the overflow brought calls to the chat team
    most = 0
    for agent in spells.values():
        for start, _, _ in agent:
            chats, calls = _open_count(agent, start)
            assert calls == 0 or (calls == 1 and chats == 0)
            most = max(most, chats)
    assert most == 3  # the slots are used, and never more of them


def _work_brought(replication: Replication, out, pool: int = 1) -> dict[int, float]:
    """Minutes of work (at full speed) of the contacts each agent of ``pool`` served,
    from the customers' own draws: one contact per customer, its entry pool's work."""
    c = out.contacts
    draws = replication.context().decisions.draws
    pools = list(replication.scenario.pools.values())
    names = list(replication.scenario.pools)
    work: dict[int, float] = {}
    mine = np.flatnonzero(c["answered"] & (c["served_pool"] == pool))
    for row in mine:
        home = int(c["pool"][row])
        column = draws.column(f"service:{names[home]}", 0, pools[home].service_time.sample)
        agent = int(c["agent"][row])
        work[agent] = work.get(agent, 0.0) + column[int(c["customer"][row])]
    return work


def _work_done(spells, slowdown: float) -> float:
    """Work an agent did: the integral of n speed(n) over its chats (1 with a call)."""
    times = sorted({t for s, e, _ in spells for t in (s, e)})
    done = 0.0
    for t0, t1 in zip(times, times[1:], strict=False):
        chats, calls = _open_count(spells, t0)
        if calls:
            done += t1 - t0
        elif chats:
            done += (t1 - t0) * chats * chat_speed(chats, slowdown)
    return done


@pytest.mark.parametrize(("slots", "slowdown"), [(3, 0.3), (2, 1.0), (4, 0.0)])
def test_the_work_done_is_the_work_brought(slots, slowdown):
    replication = Replication(scenario_from_dict(_chat_day(slots, slowdown)))
    out = replication.run()
    assert len(np.unique(out.contacts["customer"])) == len(out.contacts)  # one contact each
    brought = _work_brought(replication, out)
    spells = _chat_spells(out)
    assert len(spells) >= 2
    for agent, agent_spells in spells.items():
        assert _work_done(agent_spells, slowdown) == pytest.approx(brought[agent], rel=1e-9)


def _chats_work_and_time(slots: int, slowdown: float) -> tuple[np.ndarray, np.ndarray]:
    """Work drawn for each chat the chat team answered, and how long its service took."""
    replication = Replication(scenario_from_dict(_chat_day(slots, slowdown)))
    c = replication.run().contacts
    chats = np.flatnonzero(c["answered"] & (c["served_pool"] == 1) & (c["pool"] == 1))
    column = replication.context().decisions.draws.column(
        "service:chat", 0, replication.scenario.pools["chat"].service_time.sample
    )
    work = np.array([column[int(c["customer"][row])] for row in chats])
    return work, c["service_end_minutes"][chats] - c["service_start_minutes"][chats]


def test_without_slowdown_every_chat_lasts_exactly_its_work():
    work, took = _chats_work_and_time(4, 0.0)
    assert len(work) > 50
    np.testing.assert_allclose(took, work, rtol=1e-9)


def test_chats_sharing_an_agent_take_longer_than_their_work():
    work, took = _chats_work_and_time(3, 0.5)
    assert np.all(took >= work * (1 - 1e-12))
    assert np.all(took <= work * (1 + 0.5 * 2) * (1 + 1e-12))  # at most 3 chats: 1 + 0.5 (3 - 1)
    assert (took > work * 1.01).mean() > 0.3  # a busy day: many chats shared their agent


def test_a_slowdown_without_a_chat_pool_is_refused():
    data = _chat_day(2, 0.3)
    data["pools"]["agents"]["concurrency_slowdown"] = 0.2
    with pytest.raises(ConfigError, match=r"pools\.agents.*concurrency_slowdown.*concurrency"):
        scenario_from_dict(copy.deepcopy(data))
    data["pools"]["chat"]["concurrency"] = 0
    with pytest.raises(ConfigError, match=r"pools\.chat\.concurrency"):
        scenario_from_dict(data)

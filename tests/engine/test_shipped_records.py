"""Every record of the shipped configs, byte for byte: the fast engine against the reference.

The differential test (``test_core.py``) compares the two tables column by column
on cases built to exercise each queueing feature; this one hashes everything a
replication of each shipped config (``configs/*.toml``) gives, on both engines:
the contact and customer tables, every fact of every kind (whatever the order the
engines reported them in), the moment-utility
traces, the busy and available agent-minutes (exactly, not within a tolerance)
and the capacity log. A restructuring of the journey or the pools that changes
a single bit of either engine's output on a real scenario fails here.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from peakend import load_scenario
from peakend.simulation.replication import ReplicationOutput, simulate

from conftest import CONFIGS


def fingerprint(out: ReplicationOutput) -> str:
    """A hash of everything a replication gave (see the module docstring)."""
    digest = hashlib.sha256()
    for table in (out.contacts, out.customers):
        for name in table.columns:
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(table[name]).tobytes())
    for kind, array in out.facts.arrays.items():
        # Sorted: the fast engine reports a lazily noticed abandonment later than the
        # reference does (``docs/model/service-system.md``); the facts are the same.
        digest.update(kind.__name__.encode())
        digest.update(np.sort(array).tobytes())
    digest.update(np.ascontiguousarray(out.facts.contact_number).tobytes())
    if out.traces is not None:
        for field in ("owner", "start", "duration", "u_start", "u_end", "kind"):
            digest.update(np.ascontiguousarray(getattr(out.traces, field)).tobytes())
    minutes = (out.busy_minutes, out.available_minutes, out.end_time)
    digest.update(repr((minutes, sorted(out.capacity_log.items()))).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_the_engines_give_the_same_bytes_on_every_shipped_config(path):
    scenario = load_scenario(path)
    fast = simulate(scenario, 1, engine="fast")
    assert len(fast.contacts) > 50  # a real day, not an empty one
    assert fingerprint(simulate(scenario, 1, engine="reference")) == fingerprint(fast)


def test_the_fingerprint_sees_one_changed_bit():
    out = simulate(load_scenario(CONFIGS[0]), 1)
    before = fingerprint(out)
    wait = out.contacts["wait_minutes"]
    wait[0] = np.nextafter(wait[0], np.inf)
    assert fingerprint(out) != before

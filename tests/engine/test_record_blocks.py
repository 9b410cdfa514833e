"""Records made a block of customers at a time are the records of the whole run.

A replication makes its records, traces and memories a block of customers at a time
(``Replication.run_blocks``, ``Recorder.close_blocks``) so that it never holds them all
at once. The shipped configs' days are smaller than one block
(:data:`~peakend.engine.recorder.CUSTOMER_BLOCK`), so the golden hashes see one block;
here the blocks are a few customers each, and laid end to end they must give the
whole run's tables bit for bit: every customer's records depend on its own facts only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from stories import pool, world
from test_replay_persons import _redials

from peakend import load_scenario, scenario_from_dict
from peakend.engine import recorder
from peakend.runs.runner import replicate
from peakend.simulation.replication import Replication

from conftest import CONFIGS

SINGLE_DAY = [path for path in CONFIGS if load_scenario(path).retention.periods == 1]


def _laid_end_to_end(scenario, block):  # type: ignore[no-untyped-def]
    whole = Replication(scenario, 1).run()
    run = Replication(scenario, 1).run_blocks(block)
    blocks = list(run.blocks())
    assert len(blocks) == max(1, math.ceil(len(whole.customers) / block))
    assert [b.first for b in blocks] == [i * block for i in range(len(blocks))]
    assert (run.end_time, run.busy_minutes, run.available_minutes) == (
        whole.end_time,
        whole.busy_minutes,
        whole.available_minutes,
    )
    assert run.capacity_log == whole.capacity_log
    for name in ("customers", "contacts"):
        table = getattr(whole, name)
        for column, values in table.columns.items():
            joined = np.concatenate([getattr(b, name)[column] for b in blocks])
            assert joined.dtype == values.dtype, (name, column)
            assert np.array_equal(joined, values, equal_nan=joined.dtype.kind == "f"), (
                name,
                column,
            )
    if whole.traces is not None:
        owner = np.concatenate([b.traces.owner + b.first for b in blocks])
        assert np.array_equal(owner, whole.traces.owner)
        for column in ("kind", "start", "duration", "u_start", "u_end"):
            joined = np.concatenate([getattr(b.traces, column) for b in blocks])
            assert np.array_equal(joined, getattr(whole.traces, column), equal_nan=True), column
    return blocks


@pytest.mark.parametrize("config", SINGLE_DAY, ids=lambda path: path.stem)
def test_blocks_of_a_shipped_day_laid_end_to_end_are_the_whole_days_records(config):
    scenario = load_scenario(config)
    blocks = _laid_end_to_end(scenario, 11)
    assert len(blocks) >= 3  # the day is cut, not one block


def test_blocks_of_one_customer_give_a_replay_with_redials_its_records():
    # Persons (ids) whose arrivals, redials and memories span several blocks' worth of
    # facts: a block of one person each.
    ids = ["a", "b", "a", "c", "b", "d", "a"]
    data = _redials(ids, [1.0, 2.0, 4.0, 5.0, 7.0, 8.0, 30.0])
    _laid_end_to_end(scenario_from_dict(data), 1)


def test_an_empty_day_is_one_empty_block():
    data = world([], {"desk": pool(10.0)}, patience=1.0)
    blocks = _laid_end_to_end(scenario_from_dict(data), 4)
    assert len(blocks[0].customers) == 0


def test_a_replication_made_in_blocks_has_the_same_records_and_metrics(monkeypatch):
    # The contact centre (every lever's facts) in blocks of 113 customers: records,
    # trace sample and per-interval counts identical; each mean is a sum of block sums,
    # so equal up to rounding: a relative 1e-12 is ~5,000 float64 roundings of a sum
    # of a few thousand terms, far below any figure peakend prints.
    scenario = load_scenario(CONFIGS[1])
    whole = replicate(scenario, 1)
    monkeypatch.setattr(recorder, "CUSTOMER_BLOCK", 113)
    blocked = replicate(scenario, 1)
    assert len(whole.customers) > 5 * 113
    pd.testing.assert_frame_equal(blocked.customers, whole.customers)
    pd.testing.assert_frame_equal(blocked.contacts, whole.contacts)
    pd.testing.assert_frame_equal(blocked.traces, whole.traces)
    pd.testing.assert_frame_equal(blocked.intervals, whole.intervals, check_exact=False, rtol=1e-12)
    assert list(blocked.metrics) == list(whole.metrics)
    for name, value in whole.metrics.items():
        assert blocked.metrics[name] == pytest.approx(value, rel=1e-12, nan_ok=True), name
    counts = ("customers", "contacts", "abandonment_rate", "service_level", "share_bad_memory")
    assert {k: blocked.metrics[k] for k in counts} == {k: whole.metrics[k] for k in counts}


def test_a_replication_without_records_has_the_same_metrics():
    scenario = load_scenario(CONFIGS[1])
    kept, bare = replicate(scenario, 1), replicate(scenario, 1, records=False)
    assert bare.metrics == kept.metrics
    assert bare.customers.empty and bare.contacts.empty
    pd.testing.assert_frame_equal(bare.intervals, kept.intervals)

"""Arrivals from data: counts per interval (a forecast) and timestamps (a replay)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from peakend import ConfigError, load_scenario, simulate

SCENARIO = """
name = "from data"
[run]
seed = 3
[arrivals]
interval_minutes = 30
{arrivals}
[segments.a]
share = 0.5
[segments.b]
share = 0.5
[pools.agents]
staffing = [3, 3, 3]
"""


def _write(tmp_path, arrivals: str, name: str, text: str):
    (tmp_path / name).write_text(text)
    config = tmp_path / "scenario.toml"
    config.write_text(SCENARIO.format(arrivals=arrivals))
    return config


def test_counts_per_interval_become_the_rate_profile(tmp_path):
    config = _write(
        tmp_path,
        'counts_file = "forecast.csv"',
        "forecast.csv",
        "interval,count\n0,10\n1,25\n2,5\n",
    )
    scenario = load_scenario(config)
    assert scenario.arrivals.rate_per_hour == (20.0, 50.0, 10.0)


def test_timestamps_are_replayed_exactly_with_their_segments(tmp_path):
    text = "minutes,segment\n0.5,a\n3.25,b\n3.25,a\n70.0,b\n"
    config = _write(tmp_path, 'times_file = "calls.csv"', "calls.csv", text)
    scenario = load_scenario(config)
    assert scenario.intervals == 3  # the last arrival falls in the third interval
    out = simulate(scenario)
    assert out.customers["arrival_minutes"].tolist() == [0.5, 3.25, 3.25, 70.0]
    assert out.customers["segment"].tolist() == [0, 1, 0, 1]
    # Same file, another seed: the same customers (a replay draws no arrivals).
    again = simulate(load_scenario(config, ["run.seed=99"]))
    assert np.array_equal(again.customers["arrival_minutes"], out.customers["arrival_minutes"])


@pytest.mark.parametrize(
    ("arrivals", "name", "text", "message"),
    [
        (
            'counts_file = "f.csv"',
            "f.csv",
            "interval,count\n0,10\n2,5\n",
            "line 3, column 1 ('interval')",
        ),
        ('counts_file = "f.csv"', "f.csv", "interval,count\n0,-1\n", "line 2, column 2 ('count')"),
        ('counts_file = "f.csv"', "f.csv", "interval,amount\n0,1\n", "line 1: no column 'count'"),
        ('times_file = "t.csv"', "t.csv", "minutes\n5\n2\n", "line 3, column 1 ('minutes')"),
        ('times_file = "t.csv"', "t.csv", "minutes\nsoon\n", "line 2, column 1 ('minutes')"),
        (
            'times_file = "t.csv"',
            "t.csv",
            "minutes,segment\n1,c\n70,a\n",
            "line 2, column 2 ('segment'): not a segment",
        ),
        ('times_file = "missing.csv"', "other.csv", "minutes\n1\n", "file not found"),
    ],
)
def test_a_bad_arrival_file_is_one_error_naming_file_line_and_column(
    tmp_path, arrivals, name, text, message
):
    config = _write(tmp_path, arrivals, name, text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_scenario(config)

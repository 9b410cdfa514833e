"""Clock times: run.opens_at, and minutes since opening shown as HH:MM."""

from __future__ import annotations

import math

import pytest

from peakend import scenario_from_dict
from peakend.base.errors import ConfigError
from peakend.config.clock import clock, parse_clock
from peakend.config.loading import load_scenario

from conftest import ROOT, busy_day_data


@pytest.mark.parametrize(
    ("minutes", "opens_at", "expected"),
    [
        (0, "00:00", "00:00"),
        (270, "08:00", "12:30"),
        (29.6, "08:00", "08:30"),  # rounded to the nearest minute
        (719, "08:00", "19:59"),
        (30, "23:45", "00:15"),  # past midnight the clock wraps
        (-15, "08:00", "07:45"),
    ],
)
def test_clock(minutes: float, opens_at: str, expected: str) -> None:
    assert clock(minutes, opens_at) == expected


@pytest.mark.parametrize("text", ["8:00", "24:00", "12:60", "0800", "08:00:00", " 08:00", ""])
def test_malformed_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="clock time"):
        parse_clock(text)


def test_clock_refuses_infinite_minutes() -> None:
    with pytest.raises(ValueError, match="finite"):
        clock(math.inf, "08:00")


def test_opens_at_defaults_to_midnight_and_is_validated() -> None:
    assert scenario_from_dict(busy_day_data()).run.opens_at == "00:00"
    data = busy_day_data()
    data["run"]["opens_at"] = "7:30"
    with pytest.raises(ConfigError, match=r"run\.opens_at.*'HH:MM'"):
        scenario_from_dict(data)
    data["run"]["opens_at"] = 730
    with pytest.raises(ConfigError, match=r"run\.opens_at"):
        scenario_from_dict(data)


def test_the_service_level_target_is_a_share_strictly_inside_zero_one() -> None:
    assert scenario_from_dict(busy_day_data()).run.service_level_target == 0.8
    for bad in (0, 1, 1.2):
        data = busy_day_data()
        data["run"]["service_level_target"] = bad
        with pytest.raises(ConfigError, match=r"run\.service_level_target"):
            scenario_from_dict(data)


def test_the_contact_centre_opens_at_eight() -> None:
    for name in ("contact_centre.toml", "contact_centre_12_weeks.toml"):
        assert load_scenario(ROOT / "configs" / name).run.opens_at == "08:00"

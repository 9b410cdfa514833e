"""Scenario files: defaults, overrides and clear errors for bad input."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from peakend import ConfigError, load_scenario, scenario_from_dict
from peakend.config.loading import scenario_to_toml

from conftest import CONFIGS, busy_day_data


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


MINIMAL = """
[arrivals]
interval_minutes = 60
rate_per_hour = [30, 60]
[pools.agents]
staffing = [2, 3]
"""


def test_minimal_file_gets_defaults(tmp_path):
    scenario = load_scenario(write(tmp_path, MINIMAL))
    assert scenario.horizon_minutes == 120
    assert scenario.run.replications == 10
    assert list(scenario.segments) == ["customers"]
    assert math.isinf(scenario.segments["customers"].patience.mean)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load_and_round_trip(path, tmp_path):
    scenario = load_scenario(path)
    again = write(tmp_path, scenario_to_toml(scenario))
    assert load_scenario(again) == scenario


def test_scenario_is_frozen():
    scenario = scenario_from_dict(busy_day_data())
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        scenario.run.seed = 3  # type: ignore[misc]


def expect_error(tmp_path: Path, text: str, *fragments: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, text))
    message = str(info.value)
    assert "scenario.toml" in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_misspelt_key_names_key_and_allowed(tmp_path):
    message = expect_error(
        tmp_path,
        MINIMAL + "absenteism = 0.1\n",
        "pools.agents.absenteism: unknown key; did you mean 'absenteeism'? allowed keys: ",
    )
    assert len(message.splitlines()) == 1


def test_a_misspelt_table_suggests_the_nearest_table(tmp_path):
    expect_error(
        tmp_path,
        MINIMAL + "[segmnts.a]\nshare = 1\n",
        "segmnts: unknown key; did you mean 'segments'?",
    )


def test_toml_syntax_error(tmp_path):
    expect_error(tmp_path, "[arrivals\n", "TOML syntax error")


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_wrong_type(tmp_path):
    expect_error(tmp_path, MINIMAL + "absenteeism = 'lots'\n", "pools.agents.absenteeism")


def test_out_of_range(tmp_path):
    expect_error(
        tmp_path, MINIMAL + "absenteeism = 1.5\n", "pools.agents.absenteeism", "less than 1"
    )


def test_negative_rate(tmp_path):
    text = MINIMAL.replace("[30, 60]", "[30, -60]")
    expect_error(tmp_path, text, "arrivals.rate_per_hour", "interval 1", ">= 0")


def test_schedule_length_mismatch(tmp_path):
    text = MINIMAL.replace("[2, 3]", "[2, 3, 4]")
    expect_error(tmp_path, text, "pools.agents.staffing", "expected 2 values", "got 3")


def test_unknown_distribution(tmp_path):
    text = MINIMAL + 'service_time = { distribution = "weibul", mean = 3 }\n'
    expect_error(tmp_path, text, "pools.agents.service_time", "allowed: exponential")


def test_distribution_parameter_error_drops_union_tag(tmp_path):
    text = MINIMAL + 'service_time = { distribution = "lognormal", mean = 3, cv = -1 }\n'
    expect_error(tmp_path, text, "pools.agents.service_time.cv")


def test_shares_must_sum_to_one(tmp_path):
    text = MINIMAL + "[segments.a]\nshare = 0.5\n[segments.b]\nshare = 0.4\n"
    expect_error(tmp_path, text, "segments", "sum to 1")


def test_unknown_entry_pool(tmp_path):
    text = MINIMAL + "[segments.a]\nshare = 1.0\nentry_pool = 'nobody'\n"
    expect_error(tmp_path, text, "segments.a.entry_pool", "allowed: agents")


def test_override_applies_and_does_not_mutate(tmp_path):
    path = write(tmp_path, MINIMAL)
    scenario = load_scenario(path, ["pools.agents.absenteeism=0.25", "run.seed=9"])
    assert scenario.pools["agents"].absenteeism == 0.25
    assert scenario.run.seed == 9
    assert load_scenario(path).run.seed == 0


def test_override_can_replace_a_distribution(tmp_path):
    scenario = load_scenario(
        write(tmp_path, MINIMAL),
        ['pools.agents.service_time={ distribution = "fixed", value = 2 }'],
    )
    assert scenario.pools["agents"].service_time.mean == 2


def test_override_must_name_existing_key(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'absenteism'.*allowed: .*absenteeism"):
        load_scenario(write(tmp_path, MINIMAL), ["pools.agents.absenteism=0.1"])


def test_override_value_is_validated(tmp_path):
    with pytest.raises(ConfigError, match="pools.agents.absenteeism"):
        load_scenario(write(tmp_path, MINIMAL), ["pools.agents.absenteeism=2"])


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        ({"overflow": [{"pool": "nowhere", "after_minutes": 1}]}, r"overflow\.0\.pool.*unknown"),
        ({"overflow": [{"pool": "agents", "after_minutes": 1}]}, r"overflow\.0\.pool.*itself"),
        (
            {
                "overflow": [
                    {"pool": "b", "after_minutes": 1},
                    {"pool": "b", "after_minutes": 2},
                ]
            },
            r"overflow\.1\.pool.*already",
        ),
        (
            {"overflow": [{"pool": "b", "after_minutes": 1}], "overflow_to": "b"},
            r"overflow.*not both",
        ),
        ({"overflow": [{"pool": "b", "after_minutes": -1}]}, r"overflow\.0\.after_minutes"),
        ({"overflow": [{"pool": "b"}]}, r"overflow\.0\.after_minutes"),
    ],
    ids=["unknown pool", "itself", "twice", "both forms", "negative wait", "no wait"],
)
def test_routing_rules_are_checked_and_located(pool, message):
    data = busy_day_data()
    data["pools"]["b"] = {"staffing": [1, 1, 1, 1]}
    data["pools"]["agents"].update(pool)
    with pytest.raises(ConfigError, match=message):
        scenario_from_dict(data)

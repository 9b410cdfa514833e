"""Durations written with a unit ("20s", "4min", "1.5h") wherever the schema takes minutes."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from peakend import ConfigError, load_scenario
from peakend.base.distributions import Distribution
from peakend.config.durations import Minutes, MinutesDistribution, parse_minutes
from peakend.config.loading import scenario_to_toml
from peakend.config.schema import Scenario

MINIMAL = """
[arrivals]
interval_minutes = "1h"
rate_per_hour = [30, 60]
[pools.agents]
staffing = [2, 3]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("20s", 1 / 3), ("4min", 4.0), ("1.5h", 90.0), (" 90 s ", 1.5), ("0s", 0.0), ("2e1min", 20)],
)
def test_a_duration_string_is_read_as_minutes(text: str, minutes: float) -> None:
    assert parse_minutes(text) == pytest.approx(minutes)


@pytest.mark.parametrize("number", [3, 2.5, 0, float("inf")])
def test_a_bare_number_stays_minutes(number: float) -> None:
    assert parse_minutes(number) == number


@pytest.mark.parametrize("text", ["20", "20 parsecs", "-3s", "abc", "", "4 min 20 s", "1e999h"])
def test_a_bad_duration_string_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_minutes(text)


def test_durations_in_a_file_load_as_minutes_and_resolve_to_numbers(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[run]\nservice_level_threshold_minutes = "20s"\nwarmup_minutes = "0.5h"\n'
        '[segments.a]\nshare = 1\nexpected_wait_minutes = "90s"\n'
        'patience = { distribution = "lognormal", mean = "3min", cv = 0.5 }\n'
        'retry_delay = { distribution = "uniform", low = "30s", high = "2min" }\n'
    )
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.arrivals.interval_minutes == 60
    assert scenario.run.service_level_threshold_minutes == pytest.approx(1 / 3)
    assert scenario.run.warmup_minutes == 30
    segment = scenario.segments["a"]
    assert segment.expected_wait_minutes == 1.5
    assert segment.patience.mean == 3 and segment.patience.cv == 0.5
    assert (segment.retry_delay.low, segment.retry_delay.high) == (0.5, 2)
    resolved = scenario_to_toml(scenario)
    assert "interval_minutes = 60.0" in resolved and '"1h"' not in resolved
    assert load_scenario(write(tmp_path, resolved)) == scenario


def test_a_bad_duration_names_the_file_the_key_and_the_units(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[run]\nservice_level_threshold_minutes = "20 sec"\n')
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: run.service_level_threshold_minutes: ")
    assert "(s, min, h)" in line and "'20 sec'" in line


def test_a_bad_duration_in_a_distribution_names_its_key(tmp_path: Path) -> None:
    text = MINIMAL + '[pools.agents.service_time]\ndistribution = "exponential"\nmean = "5 mins"\n'
    with pytest.raises(ConfigError, match=r"pools\.agents\.service_time: .*\(s, min, h\)"):
        load_scenario(write(tmp_path, text))


def test_a_duration_string_keeps_the_fields_range_check(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"arrivals\.interval_minutes: .*greater than 0"):
        load_scenario(write(tmp_path, MINIMAL.replace('"1h"', '"0s"')))


def test_a_set_override_takes_a_duration_string(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    scenario = load_scenario(path, ['run.service_level_threshold_minutes="30s"'])
    assert scenario.run.service_level_threshold_minutes == 0.5


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every model its fields hold (the distributions' own models excepted)."""
    found = [model]
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            inner = stack.pop()
            stack.extend(typing.get_args(inner))
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                if inner not in found and inner.__module__ == Scenario.__module__:
                    found.extend(m for m in _models(inner) if m not in found)
    return found


def test_every_minutes_field_of_the_schema_takes_durations() -> None:
    """A field named ``*_minutes`` is :data:`Minutes` (a new one cannot be forgotten), and
    every distribution of the schema a :data:`MinutesDistribution`."""
    minutes, wrong = [], []
    for model in _models(Scenario):
        hints = typing.get_type_hints(model, include_extras=True)
        for name in model.model_fields:
            hint = hints[name]
            if name.endswith("_minutes"):
                minutes.append(name)
                if Minutes not in (hint, *typing.get_args(hint)):
                    wrong.append(f"{model.__name__}.{name}")
            elif Distribution in (hint, *typing.get_args(hint)):
                wrong.append(f"{model.__name__}.{name}")
    assert len(minutes) >= 10
    assert wrong == []
    assert MinutesDistribution is not None


def test_a_number_written_as_a_string_is_still_refused(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[run]\nwarmup_minutes = "30"\n')
    with pytest.raises(ConfigError, match=r"run\.warmup_minutes: .*\(s, min, h\)"):
        load_scenario(path)
    # only minutes take units: a probability written "20s" is not a number
    other = write(tmp_path, MINIMAL.replace("[2, 3]", '[2, 3]\nabsenteeism = "20s"'))
    with pytest.raises(ConfigError, match=r"pools\.agents\.absenteeism: .*number"):
        load_scenario(other)


@pytest.mark.parametrize(
    "text", ["20s", "4min", "1.5h", " 90 s ", "2e1min", ".5h", "20", "-3s", "20 sec", "4m", ""]
)
def test_the_json_schema_pattern_accepts_what_the_parser_reads(text: str) -> None:
    import re

    from peakend.config.durations import DURATION_PATTERN, is_duration

    assert bool(re.search(DURATION_PATTERN, text)) == is_duration(text)


def test_the_json_schema_lets_durations_be_strings_in_fields_and_distributions() -> None:
    from peakend.config.durations import DURATION_PATTERN
    from peakend.config.json_schema import scenario_json_schema

    definitions = scenario_json_schema()["$defs"]
    duration = {"type": "string", "pattern": DURATION_PATTERN}
    assert duration in definitions["RunConfig"]["properties"]["warmup_minutes"]["anyOf"]
    assert duration in definitions["Exponential"]["properties"]["mean"]["anyOf"]
    assert duration in definitions["Uniform"]["properties"]["high"]["anyOf"]
    assert duration in definitions["Empirical"]["properties"]["values"]["items"]["anyOf"]
    assert "anyOf" not in definitions["Lognormal"]["properties"]["cv"]  # not a duration


def test_the_new_distributions_take_durations_in_their_minutes(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[segments.customers]
share = 1
[segments.customers.patience]
distribution = "mixture"
weights = [0.3, 0.7]
components = [
    { distribution = "exponential", mean = "10s" },
    { distribution = "survival", minutes = ["30s", "1min", 2], survival = [0.8, 0.5, 0.2], \
tail_mean = "90s" },
]
[segments.customers.retry_delay]
distribution = "weibull"
shape = 0.8
scale = "2h"
"""
    )
    segment = load_scenario(write(tmp_path, text)).segments["customers"]
    fast, curve = segment.patience.components  # type: ignore[union-attr]
    assert fast.mean == pytest.approx(1 / 6)
    assert curve.minutes == (0.5, 1.0, 2.0) and curve.tail_mean == 1.5
    assert segment.retry_delay.scale == 120.0  # type: ignore[union-attr]

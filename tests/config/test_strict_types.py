"""Strict types: booleans are not numbers, seeds fit, sizes and references are checked."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from peakend import ConfigError, scenario_from_dict
from peakend.classics.config import MAX_SUBJECTS, classic_from_dict
from peakend.config.loading import MAX_CONFIG_BYTES, load_scenario, load_toml, scenario_to_toml
from peakend.config.schema import MAX_AGENTS_PER_INTERVAL, MAX_SEED

from conftest import busy_day_data


def error_of(data: dict[str, Any], overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as caught:
        scenario_from_dict(data, "day.toml", overrides)
    message = str(caught.value)
    assert message.count("\n") == 0, message
    return message


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("arrivals.rate_per_hour=[40, true, 120, 60]", "arrivals.rate_per_hour.1"),
        ("pools.agents.staffing=[2, 5, false, 1]", "pools.agents.staffing.2"),
        ("run.replications=true", "run.replications"),
        ("run.seed=true", "run.seed"),
        ("arrivals.interval_minutes=true", "arrivals.interval_minutes"),
        ("segments.a.retry_probability=true", "segments.a.retry_probability"),
        ("pools.agents.warmth.mean=true", "pools.agents.warmth.mean"),
        ("experience.loss_aversion=false", "experience.loss_aversion"),
        ("retention.returns.utility_slope=true", "retention.returns.utility_slope"),
        (
            'pools.agents.service_time={ distribution = "fixed", value = true }',
            "pools.agents.service_time.value",
        ),
    ],
)
def test_booleans_are_not_numbers(override: str, key: str) -> None:
    message = error_of(busy_day_data(), (override,))
    assert message.startswith(f"day.toml: {key}: expected a number, got a boolean")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("run.drain=1", "run.drain: expected true or false, got 1"),
        ('run.drain="yes"', "run.drain: expected true or false, got 'yes'"),
        ('run.seed="5"', "run.seed: expected a number, got a string ('5')"),
        ('arrivals.rate_per_hour=["40", 90, 120, 60]', "arrivals.rate_per_hour.0: expected a"),
        ('pools.agents.absenteeism="0.1"', "pools.agents.absenteeism: expected a number"),
    ],
)
def test_numbers_are_not_strings_and_booleans_are_not_numbers(override: str, message: str) -> None:
    assert f"day.toml: {message}" in error_of(busy_day_data(), (override,))


def test_booleans_stay_booleans_where_they_belong() -> None:
    scenario = scenario_from_dict(busy_day_data(), overrides=("run.drain=false",))
    assert scenario.run.drain is False


def test_a_boolean_memory_parameter_is_refused() -> None:
    data = busy_day_data()
    data["experience"] = {"memory": {"model": "end", "window_minutes": True}}
    assert "experience.memory" in error_of(data)


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED])
def test_seeds_in_range_round_trip(seed: int, tmp_path: Path) -> None:
    scenario = scenario_from_dict(busy_day_data(seed=seed))
    path = tmp_path / "resolved.toml"
    path.write_text(scenario_to_toml(scenario))
    assert load_scenario(path).run.seed == seed


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**64, 2**100])
def test_seeds_out_of_range(seed: int) -> None:
    data = busy_day_data()
    data["run"]["seed"] = seed
    assert "day.toml: run.seed: " in error_of(data)


def test_agents_per_interval_are_bounded() -> None:
    data = busy_day_data()
    data["pools"]["agents"]["staffing"] = [2, MAX_AGENTS_PER_INTERVAL + 1, 3, 1]
    message = error_of(data)
    assert "pools.agents.staffing: agents in interval 1 must be between 0 and 100,000" in message


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            data = data.setdefault(part, {})
        data[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (_set("pools.agents.staffing", [1, 2]), "pools.agents.staffing: expected 4 values"),
        (_set("segments.a.entry_pool", "nobody"), "segments.a.entry_pool: unknown pool"),
        (_set("channels", {"web": {"share": 1.0, "entry_pool": "x"}}), "channels.web.entry_pool"),
        (_set("recovery.callback_pool", "nobody"), "recovery.callback_pool: unknown pool"),
        (_set("recovery.policy", "escalation"), "recovery.escalation_pool"),
        (_set("arrivals.rate_per_hour", [1.0] * 100_001), "arrivals.rate_per_hour: "),
        (_set("name", ""), "name: "),
        (_set("name", "x" * 129), "name: "),
        (_set("retention.period_name", ""), "retention.period_name"),
        (_set("retention.acquisition_per_period", 1e12), "retention.acquisition_per_period"),
    ],
)
def test_lengths_references_and_sizes_name_their_key(change: Any, key: str) -> None:
    data = busy_day_data()
    change(data)
    assert f"day.toml: {key}" in error_of(data)


# ------------------------------------------------------------------ files


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xff\xfe\x00\x00binary", "not a UTF-8 text file (byte 0: 0xff)"),
        (b'name = "caf\xe9"\n', "not a UTF-8 text file"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not a UTF-8 text file"),
        (b'name = "a\x00b"\n', "TOML syntax error"),
        (b"a = " + b"[" * 100_000, "TOML syntax error"),
        (b"[arrivals\nrate = 3\n", "TOML syntax error"),
    ],
)
def test_unreadable_files_are_one_line_errors(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and fragment in message
    assert "\n" not in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "config.toml"
    os.mkfifo(pipe)
    with pytest.raises(ConfigError, match="config.toml: not a regular file"):
        load_toml(pipe)  # opening it would block until someone writes


def test_oversized_files_are_refused_without_reading_them_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.write(b"# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        load_toml(path)


# ------------------------------------------------------------------ classic files


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"experiment": "cold_pressor", "n_subjects": True}, "n_subjects: expected an integer"),
        ({"experiment": "cold_pressor", "n_subjects": 2.5}, "n_subjects: expected an integer"),
        (
            {"experiment": "cold_pressor", "n_subjects": MAX_SUBJECTS + 1},
            "n_subjects: at most 100,000",
        ),
        ({"experiment": "cold_pressor", "seed": 2**64}, "seed: expected an integer from 0"),
        ({"experiment": "cold_pressor", "seed": True}, "seed: expected an integer from 0"),
        (
            {"experiment": "cold_pressor", "assumptions": {"relief_mean": True}},
            "assumptions.relief_mean: expected a finite number",
        ),
        (
            {"experiment": "colonoscopy", "assumptions": {"duration_max_minutes": 10_000}},
            "assumptions.duration_max_minutes: at most 240",
        ),
        (
            {
                "experiment": "colonoscopy",
                "n_per_arm": 100_000,
                "assumptions": {"duration_max_minutes": 200},
            },
            "n_per_arm: 20,300,000 pain ratings per arm",
        ),
        ({"experiment": "patients", "memory": {"model": "os:system"}}, "memory: memory model"),
    ],
)
def test_classic_files_are_typed_and_bounded(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        classic_from_dict(data, "classic.toml")
    message = str(caught.value)
    assert message.startswith("classic.toml: ") and fragment in message, message


def test_classic_numbers_accept_integers_for_reals() -> None:
    run = classic_from_dict(
        {
            "experiment": "cold_pressor",
            "n_subjects": 50,
            "seed": 3,
            "assumptions": {"relief_mean": 1},
        },
        "classic.toml",
    )
    assert run().assumptions.relief_mean == 1.0


def test_thousands_of_bad_values_get_a_short_report() -> None:
    data = busy_day_data()
    data["arrivals"]["rate_per_hour"] = ["a"] * 5000
    with pytest.raises(ConfigError) as caught:
        scenario_from_dict(data, "day.toml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("day.toml: arrivals.rate_per_hour.0: ")
    assert re.fullmatch(r"day\.toml: and 4,99\d more problems", lines[-1]), lines[-1]

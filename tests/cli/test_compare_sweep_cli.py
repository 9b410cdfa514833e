"""End-to-end tests of ``peakend compare`` and ``peakend sweep`` on tiny experiments."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import tomli_w
from click.testing import CliRunner

from peakend.cli.experiments import compare, split_top_level, sweep

from conftest import busy_day_data


def invoke(command, *args: str):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "base.toml").write_text(tomli_w.dumps(busy_day_data()))
    (tmp_path / "whatif.toml").write_text(
        """
name = "whatif"
base = "base.toml"
replications = 5  # halving the agents is significant at 5 (one of 3 days is calm)
seed = 5
metrics = ["service_level", "mean_wait_minutes", "abandonment_rate"]

[variants.more]
set = ["pools.agents.staffing+=2"]

[variants.fewer]
set = ["pools.agents.staffing*=0.5"]
"""
    )
    (tmp_path / "grid.toml").write_text(
        """
name = "grid"
base = "base.toml"
replications = 2

[sweep]
plot = ["mean_wait_minutes"]

[sweep.factors]
"pools.agents.staffing*" = [0.5, 1.0, 1.5]
"segments.a.retry_probability" = [0.2, 0.6]
"""
    )
    return tmp_path


def test_compare_prints_paired_differences_and_writes_results(files):
    out = files / "out"
    result = invoke(compare, files / "whatif.toml", "--out", out, "--executor", "serial")
    assert result.exit_code == 0, result.output
    assert "difference from base" in result.output
    assert "fewer" in result.output and "*" in result.output
    table = pd.read_csv(out / "compare.csv")
    assert set(table["variant"]) == {"base", "more", "fewer"}
    assert set(table["metric"]) == {"service_level", "mean_wait_minutes", "abandonment_rate"}
    summary = json.loads((out / "summary.json").read_text())
    fewer = summary["scenarios"]["fewer"]["metrics"]["service_level"]
    assert fewer["difference"]["significant"] is True
    assert fewer["difference"]["ci_high"] < 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert {s["label"] for s in manifest["scenarios"]} == {"base", "more", "fewer"}
    assert {s["seed"] for s in manifest["scenarios"]} == {5}
    assert (out / "plots" / "compare_service_level.png").stat().st_size > 0

    again = invoke(compare, files / "whatif.toml", "--out", out, "--executor", "serial", "-q")
    assert again.exit_code == 0 and again.output == ""
    assert (
        json.loads((out / "manifest.json").read_text())["sessions"][-1]["skipped"] == 15
    )  # 3 scenarios x 5


def test_compare_with_ad_hoc_variants_of_a_scenario(files):
    out = files / "adhoc"
    result = invoke(
        compare,
        files / "base.toml",
        "--variant", "flat:pools.agents.staffing=[4, 4, 4, 4],pools.agents.absenteeism=0",
        "--variant", "lunch:pools.agents.staffing[1:3]+=1",
        "-r", "2", "--out", out, "--executor", "serial", "--metric", "service_level",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "compare.csv")
    assert list(table["variant"]) == ["base", "flat", "lunch"]
    manifest = json.loads((out / "manifest.json").read_text())
    flat = manifest["scenarios"][1]["overrides"]
    assert flat == ["pools.agents.staffing=[4, 4, 4, 4]", "pools.agents.absenteeism=0"]


def test_sweep_writes_tidy_and_aggregated_tables_and_plots(files):
    out = files / "sweep"
    result = invoke(sweep, files / "grid.toml", "--out", out, "--executor", "serial")
    assert result.exit_code == 0, result.output
    tidy = pd.read_parquet(out / "sweep_tidy.parquet")
    assert len(tidy) == 6 * 2
    assert {"scenario", "staffing_scale", "retry_probability"} <= set(tidy)
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert {"metric", "mean", "ci_low", "ci_high", "n"} <= set(summary)
    assert len(summary[summary["metric"] == "mean_wait_minutes"]) == 6
    assert (out / "plots" / "sweep_mean_wait_minutes.png").stat().st_size > 0


def test_sweep_of_a_scenario_with_factor_options(files):
    out = files / "adhoc_sweep"
    result = invoke(
        sweep, files / "base.toml", "--factor", "pools.agents.staffing*=0.5,1,2",
        "-r", "2", "--out", out, "--executor", "serial",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert sorted(set(summary["staffing_scale"])) == [0.5, 1.0, 2.0]


def test_serial_processes_and_dask_local_give_identical_numbers(files):
    outputs = {}
    for name, options in [
        ("serial", ["--executor", "serial"]),
        ("processes", ["--executor", "processes", "--workers", "2"]),
        ("dask", ["--dask", "local", "--workers", "2"]),
    ]:
        out = files / name
        result = invoke(compare, files / "whatif.toml", "--out", out, "-q", *options)
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["sessions"][0]["executor"]["kind"] == name
        outputs[name] = [(out / f).read_bytes() for f in ("compare.csv", "summary.json")]
    assert outputs["serial"] == outputs["processes"] == outputs["dask"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["whatif.toml", "--set", "pools.agents.stafing=1"], "unknown key 'stafing'"),
        (["base.toml", "--variant", "oops"], "--variant 'oops': expected NAME:KEY=VALUE"),
        (["base.toml"], "nothing to compare"),
        (["whatif.toml", "--dask", "nowhere"], "--dask 'nowhere'"),
        (["whatif.toml", "--metric", "happiness"], "metrics: unknown metric 'happiness'"),
        (["missing.toml"], "missing.toml: file not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(files, args, message, monkeypatch):
    monkeypatch.chdir(files)
    result = CliRunner().invoke(compare, [*args, "--executor", "serial", "--out", "o", "-q"])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_split_top_level_keeps_toml_values_whole():
    text = 'a=[1, 2],b={ x = 1, y = "p,q" },c=3'
    assert split_top_level(text) == ["a=[1, 2]", 'b={ x = 1, y = "p,q" }', "c=3"]

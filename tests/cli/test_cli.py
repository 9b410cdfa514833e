"""End-to-end tests of the command line on the shipped configs."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from peakend.cli.main import main

from conftest import CONFIGS, ROOT

METRICS = (
    "customers",
    "abandonment_rate",
    "mean_wait_minutes",
    "p90_wait_minutes",
    "service_level",
    "occupancy",
    "first_contact_resolution",
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_run_every_shipped_config(config, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", str(config), "-r", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "mean_wait_minutes" in result.output
    summary = json.loads((out / "summary.json").read_text())
    for name in METRICS:
        metric = summary["metrics"][name]
        assert set(metric) >= {"mean", "ci_low", "ci_high"}
        assert metric["ci_low"] <= metric["mean"] <= metric["ci_high"]
    customers = pd.read_parquet(out / "customers.parquet")
    assert set(customers["replication"]) == {0, 1}
    assert {"segment", "arrival_minutes", "wait_minutes", "retries", "contacts"} <= set(customers)
    resolved = (out / "resolved_config.toml").read_text()
    assert "seed" in resolved and "peakend" in resolved
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 2


def test_same_seed_gives_identical_files(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    for name in ("a", "b"):
        assert (
            invoke("run", config, "-r", "2", "--seed", "5", "-o", str(tmp_path / name)).exit_code
            == 0
        )
    for file in ("summary.json", "customers.parquet", "contacts.parquet", "resolved_config.toml"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    invoke("run", config, "-r", "2", "--seed", "6", "-o", str(tmp_path / "c"))
    assert (tmp_path / "a" / "summary.json").read_bytes() != (
        tmp_path / "c" / "summary.json"
    ).read_bytes()


def test_csv_records(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    result = invoke("run", config, "-r", "1", "--format", "csv", "-o", str(tmp_path))
    assert result.exit_code == 0
    assert len(pd.read_csv(tmp_path / "customers.csv")) > 100


def test_misspelt_key_one_line_exit_2_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "configs" / "contact_centre.toml").read_text()
    bad.write_text(text.replace("absenteeism =", "absenteism ="))
    proc = subprocess.run(
        [sys.executable, "-m", "peakend.cli.main", "run", str(bad), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "bad.toml" in lines[0] and "pools.agents.absenteism" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_override_exit_2(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    result = CliRunner().invoke(main, ["run", config, "--set", "pools.agent.staffing=[1]"])
    assert result.exit_code == 2
    assert "unknown key 'agent'" in result.output


def test_bad_input_does_not_touch_existing_results(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    invoke("run", config, "-r", "1", "-o", str(tmp_path))
    before = (tmp_path / "summary.json").read_bytes()
    result = CliRunner().invoke(main, ["run", config, "-o", str(tmp_path), "--set", "run.seed=-1"])
    assert result.exit_code == 2
    assert (tmp_path / "summary.json").read_bytes() == before


@pytest.mark.slow  # every quick check of `peakend validate`, end to end
def test_validate_quick_passes():
    result = invoke("validate", "--quick")
    assert result.exit_code == 0, result.output
    assert "Erlang A" in result.output and "all checks passed" in result.output


def test_run_reports_memory_and_writes_plots(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    result = invoke("run", config, "-r", "3", "-o", str(tmp_path))
    assert result.exit_code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())["metrics"]
    for name in (
        "mean_remembered_utility",
        "mean_experienced_utility",
        "share_bad_memory",
        "mean_effort",
        "recovery_cost",
        "recovery_minutes",
    ):
        assert summary[name]["ci_low"] <= summary[name]["mean"] <= summary[name]["ci_high"], name
    for png in ("trace.png", "remembered_vs_experienced.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    traces = pd.read_parquet(tmp_path / "traces.parquet")
    assert traces["customer"].nunique() <= 3 * 25
    assert {"u_start", "u_end", "kind"} <= set(traces)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments" / "classics").glob("*.toml")), ids=lambda p: p.stem
)
def test_classic_experiment_files(path):
    result = invoke("classic", str(path))
    assert result.exit_code == 0, result.output
    assert "reproduced" in result.output and "published" in result.output


def test_patients_from_the_cli_give_7_5_and_4_5():
    result = invoke("classic", "patients")
    assert result.exit_code == 0
    assert "7.50" in result.output and "4.50" in result.output


def test_classic_file_with_unknown_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('experiment = "cold_pressor"\nn_subject = 10\n')
    result = CliRunner().invoke(main, ["classic", str(bad)])
    assert result.exit_code == 2
    assert "bad.toml: n_subject: unknown key" in result.output


def test_show_prints_the_resolved_scenario(tmp_path):
    config = str(ROOT / "configs" / "contact_centre.toml")
    result = invoke("show", config, "--set", "run.seed=3")
    assert result.exit_code == 0
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(result.output)
    from peakend import load_scenario

    assert load_scenario(resolved) == load_scenario(config, ["run.seed=3"])
    assert "loss_aversion = 2.25" in result.output  # a default the file does not set

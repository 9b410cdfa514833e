"""``peakend run`` and its run directory: ownership, overwriting, Ctrl-C, failures,
warnings and honest intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from rundirs import RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES, ctrl_c_once_a_replication_is_back

from peakend.analysis.metrics import SHARE_METRICS
from peakend.cli.main import main

from conftest import ROOT, busy_day_data

SERIAL = ("--executor", "serial", "-q")


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    (tmp_path / "first.toml").write_text(tomli_w.dumps(busy_day_data(seed=3)))
    second = busy_day_data(seed=4)
    second["name"] = "second_day"
    (tmp_path / "second.toml").write_text(tomli_w.dumps(second))
    return tmp_path


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_a_second_scenario_needs_overwrite_and_then_replaces_every_file(configs: Path) -> None:
    out = configs / "out"
    first = invoke("run", configs / "first.toml", "--out", out, "--format", "csv", *SERIAL)
    assert first.exit_code == 0, first.output
    first_files = {name: (out / name).read_bytes() for name in files(out)}
    assert "customers.csv" in first_files

    refused = invoke("run", configs / "second.toml", "--out", out, *SERIAL)
    assert refused.exit_code == 2
    assert "holds another run (run of 'busy_day'" in refused.stderr
    assert "--overwrite" in refused.stderr
    assert {name: (out / name).read_bytes() for name in files(out)} == first_files

    replaced = invoke("run", configs / "second.toml", "--out", out, "--overwrite", *SERIAL)
    assert replaced.exit_code == 0, replaced.output
    tables = {"replications.csv", "intervals.csv", "data_dictionary.csv"}  # CSV, any --format
    assert not any(name.endswith(".csv") and name not in tables for name in files(out))
    for name, content in first_files.items():  # no file of the first run remains as it was
        assert not (out / name).exists() or (out / name).read_bytes() != content, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["kind"], manifest["name"], manifest["status"]) == (
        "run",
        "second_day",
        "finished",
    )


def test_the_same_scenario_again_resumes_into_its_folder(configs: Path) -> None:
    out = configs / "out"
    assert invoke("run", configs / "first.toml", "--out", out, *SERIAL).exit_code == 0
    before = (out / "summary.json").read_bytes()
    again = invoke("run", configs / "first.toml", "--out", out, *SERIAL)
    assert again.exit_code == 0, again.output
    assert (out / "summary.json").read_bytes() == before
    assert not (out / ".peakend.lock").exists()


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, at: int, error: BaseException) -> None:
    import peakend.runs.simulate as simulation

    real = simulation.simulate_blocks

    def simulate(scenario: Any, replication: int) -> Any:
        if replication == at:
            raise error
        return real(scenario, replication)

    monkeypatch.setattr(simulation, "simulate_blocks", simulate)


def test_ctrl_c_in_run_keeps_the_finished_replications_and_exits_130(
    configs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_at(monkeypatch, 2, KeyboardInterrupt())
    out = configs / "out"
    result = invoke("run", configs / "first.toml", "-r", "4", "--out", out, *SERIAL)
    assert result.exit_code == 130
    assert "interrupted; the 2 finished replications are in" in result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["replications"], summary["replications_requested"]) == (2, 4)
    assert summary["status"] == "interrupted"
    assert any("2 of 4 replications finished (interrupted)" in w for w in summary["warnings"])
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"

    monkeypatch.undo()
    resumed = invoke("run", configs / "first.toml", "-r", "4", "--out", out, *SERIAL)
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "summary.json").read_text())["replications"] == 4


def test_a_failing_replication_exits_1_with_its_traceback_in_errors_log(
    configs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_at(monkeypatch, 1, ValueError("negative service time"))
    out = configs / "out"
    result = invoke("run", configs / "first.toml", "-r", "3", "--out", out, *SERIAL)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "1 of 3 replications failed; first: replication 1 of busy_day: ValueError" in line
    assert str(out / "errors.log") in line
    log = (out / "errors.log").read_text()
    assert "Traceback" in log and "negative service time" in log
    assert json.loads((out / "summary.json").read_text())["replications"] == 2

    monkeypatch.undo()
    fixed = invoke("run", configs / "first.toml", "-r", "3", "--out", out, *SERIAL)
    assert fixed.exit_code == 0
    assert not (out / "errors.log").exists()  # the old run's files were removed first


def test_fewer_than_three_replications_are_flagged_in_the_report_and_summary(
    configs: Path,
) -> None:
    two = invoke("run", configs / "first.toml", "-r", "2", "--out", configs / "two", "--executor",
                 "serial")  # fmt: skip
    assert two.exit_code == 0
    assert "warning: only 2 replications" in two.stdout
    assert json.loads((configs / "two" / "summary.json").read_text())["warnings"]
    three = invoke("run", configs / "first.toml", "-r", "3", "--out", configs / "three",
                   "--executor", "serial")  # fmt: skip
    assert "warning" not in three.stdout
    assert json.loads((configs / "three" / "summary.json").read_text())["warnings"] == []


def test_share_intervals_stay_in_zero_one_on_the_shipped_config(tmp_path: Path) -> None:
    config = ROOT / "configs" / "contact_centre.toml"
    result = invoke("run", config, "-r", "2", "--out", tmp_path / "out", *SERIAL)
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "summary.json").read_text())["metrics"]
    shares = [name for name in metrics if name in SHARE_METRICS]
    assert {"service_level", "abandonment_rate", "resolution_rate"} <= set(shares)
    for name in shares:
        entry = metrics[name]
        assert 0 <= entry["ci_low"] <= entry["mean"] <= entry["ci_high"] <= 1, name


def test_usage_errors_are_one_line() -> None:
    result = invoke("run", "x.toml", "--workers", "0")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "peakend: error: run: Invalid value for '--workers': 0 is not in the range "
        "x>=1. (see --help)"
    ]


# Holds the folder until the test closes the child's stdin: no sleep, no race.
HOLD_THE_FOLDER = """
import sys
from peakend.store.rundir import RunDirectory, RunIdentity

with RunDirectory(sys.argv[1], RunIdentity("run", "busy_day", "someone-else")):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_process_on_the_same_folder_is_refused(configs: Path) -> None:
    import subprocess
    import sys

    out = configs / "busy"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FOLDER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = invoke("run", configs / "first.toml", "--out", out, "--overwrite", *SERIAL)
        assert result.exit_code == 2
        assert f"in use by another peakend process (PID {holder.pid}" in result.stderr
        assert list(out.iterdir()) == [out / ".peakend.lock"]
    finally:
        holder.communicate(timeout=60)  # closes its stdin: it releases the folder and exits
    assert holder.returncode == 0
    assert not (out / ".peakend.lock").exists()


def test_ctrl_c_on_worker_processes_exits_130_and_keeps_what_finished(tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT to the process group) on ``peakend run --workers 2``, sent
    once the first replication has finished."""
    import sys

    from conftest import mmc_data

    config = tmp_path / "long.toml"
    config.write_text(tomli_w.dumps(mmc_data(horizon=10000.0, replications=300)))
    # 300 replications' records: streamed by the workers into the folder (peakend run
    # streams records above 512 MiB), so the Ctrl-C lands while workers write files
    command = [sys.executable, "-c", RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES, "run", str(config),
               "--workers", "2", "--out", str(tmp_path / "out"), "-q",
               "--memory-budget", "8GiB"]  # fmt: skip
    returncode, stderr, _ = ctrl_c_once_a_replication_is_back(command)
    assert returncode == 130, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("peakend: interrupted; the ") and "finished replications are in" in line
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert 1 <= summary["replications"] < 300

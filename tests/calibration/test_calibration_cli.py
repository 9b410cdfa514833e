"""``peakend calibrate`` and ``peakend backtest`` end to end on a small synthetic log."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from peakend.calibration.api import check_out_folder
from peakend.calibration.synthetic import synthetic_log
from peakend.cli.main import main
from peakend.config.loading import load_scenario
from peakend.simulation.replication import simulate


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cli")
    frame, _ = synthetic_log(4, seed=5, scale=0.5)
    days = sorted(frame["date"].unique())
    frame.to_csv(folder / "all.csv", index=False)
    frame[frame["date"].isin(days[:3])].to_csv(folder / "fit.csv", index=False)
    return folder / "fit.csv", folder / "all.csv"


@pytest.fixture(scope="module")
def calibrated(
    logs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("calibrated") / "out"
    result = CliRunner().invoke(main, ["calibrate", str(logs[0]), "--out", str(out)])
    return out, result.output


def test_calibrate_writes_a_scenario_that_runs(
    calibrated: tuple[Path, str], logs: tuple[Path, Path]
) -> None:
    out, output = calibrated
    assert "scenario written to" in output, output
    assert {p.name for p in out.iterdir()} == {
        "scenario.toml",
        "report.html",
        "fits.csv",
        "behaviour.csv",
        "rosters.csv",
        "dropped.csv",
    }
    text = (out / "scenario.toml").read_text(encoding="utf-8")
    assert "95 % CI" in text
    # No survey column, three days: memory and return stay assumptions, said so.
    assert "assumption: memory model (the log has no survey scores)" in output
    assert "assumption: return model (the log spans 3 days" in output
    assert 'memory = { model = "peak_end" }' in text
    assert "retention" not in tomllib.loads(text)
    assert pd.read_csv(out / "behaviour.csv").empty
    scenario = load_scenario(out / "scenario.toml")
    assert set(scenario.segments) == {"IN", "NE", "PS"}
    assert len(simulate(scenario).contacts.to_frame()) > 0
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "Kaplan-Meier" in report
    assert tomllib.loads(text)["run"]["seed"] == 1


def test_output_folder_rules(
    calibrated: tuple[Path, str], logs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A folder calibrate wrote may be written again; one with other files is refused
    in one line (exit 2) before the log is read."""
    out, _ = calibrated
    check_out_folder(out)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(main, ["calibrate", str(logs[0]), "--out", str(other)])
    assert refused.exit_code == 2
    assert "did not write" in refused.output


def test_backtest_writes_the_interval_table(
    calibrated: tuple[Path, str], logs: tuple[Path, Path], tmp_path: Path
) -> None:
    out, _ = calibrated
    folder = tmp_path / "bt"
    result = CliRunner().invoke(
        main,
        [
            "backtest",
            str(out / "scenario.toml"),
            str(logs[1]),
            "--days",
            "1999-03-04",
            "--out",
            str(folder),
            "-r",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "abandonment_rate" in result.output
    intervals = pd.read_csv(folder / "intervals.csv")
    for measure in ("abandonment_rate", "mean_wait_minutes", "service_level"):
        assert {f"observed_{measure}", f"simulated_{measure}"} <= set(intervals.columns)
    assert {"date", "interval", "type", "offered"} <= set(intervals.columns)
    assert set(intervals["type"]) == {"IN", "NE", "PS", "all"}
    per_type = intervals[intervals["type"] != "all"].groupby("interval")["offered"].sum()
    total = intervals[intervals["type"] == "all"].set_index("interval")["offered"]
    assert per_type.equals(total.loc[per_type.index])
    assert (folder / "backtest.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calibrate", "missing.csv", "--out", "x"], "file not found"),
        (["backtest", "s.toml", "l.csv", "--days", "1999-13-01"], ""),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("peakend: error:")
    assert message in lines[0]


def test_days_outside_the_log_are_refused(
    calibrated: tuple[Path, str], logs: tuple[Path, Path]
) -> None:
    out, _ = calibrated
    result = CliRunner().invoke(
        main,
        [
            "backtest",
            str(out / "scenario.toml"),
            str(logs[1]),
            "--days",
            "2020-01-01",
        ],
    )
    assert result.exit_code == 2
    assert "no contact in '2020-01-01'" in result.output


def test_a_survey_column_fits_the_memory_weights(tmp_path: Path) -> None:
    """--score-column maps a survey column onto the preset: the scenario's memory becomes
    a blend with the fitted weights (CIs beside them), behaviour.csv lists them; a column
    the log does not have is one line, exit 2."""
    frame, _ = synthetic_log(3, seed=6, scale=0.5, behaviour=True)
    frame.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "out"
    args = ["calibrate", str(tmp_path / "log.csv"), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--score-column", "survey"])
    assert "memory weights fitted to" in result.output, result.output
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.experience.memory["model"] == "blend"
    table = pd.read_csv(out / "behaviour.csv")
    assert set(table["term"]) == {"worst", "end", "mean", "duration", "intercept"}
    assert (table["low"] < table["estimate"]).all() and (table["estimate"] < table["high"]).all()
    missing = CliRunner().invoke(main, [*args, "--score-column", "no_such"])
    assert missing.exit_code == 2
    assert len(missing.output.strip().splitlines()) == 1 and "no_such" in missing.output


def test_the_replay_marks_each_customer_and_its_redials(
    calibrated: tuple[Path, str], logs: tuple[Path, Path]
) -> None:
    """A held-out day is replayed with the log's customer ids: the engine files the
    contacts of one id as one person, counting a contact after an abandonment as a
    retry; contacts without an id stay customers of their own; the queue is the same."""
    from peakend.calibration.backtest import agent_pools, day_scenario
    from peakend.calibration.logformat import PRESETS
    from peakend.calibration.logs import read_log

    out, _ = calibrated
    scenario = load_scenario(out / "scenario.toml")
    log = read_log(logs[1], PRESETS["anonymous_bank"])
    queued = log.frame[log.frame["outcome"] != "ivr_only"]
    day_rows = queued[queued["date"] == log.days()[-1]]
    pools = agent_pools(day_rows[day_rows["outcome"] == "served"], scenario)
    replay, _ = day_scenario(scenario, day_rows, pools, 30.0, 1)
    codes = replay.arrivals.times_customer
    identified = day_rows["customer"] != ""
    persons = day_rows.loc[identified, "customer"].nunique() + int((~identified).sum())
    assert len(codes) == len(day_rows) and len(set(codes)) == persons < len(day_rows)
    output = simulate(replay)
    customers = output.customers.to_frame()
    assert len(customers) == persons
    assert customers["retries"].sum() > 0
    # The ids file the records; every arrival keeps its own time and draws, so the
    # queue (and the backtest's measures) are those of the replay without ids.
    from peakend.config.loading import scenario_from_dict, scenario_to_dict

    data = scenario_to_dict(replay)
    data["arrivals"].pop("times_customer")
    plain = simulate(scenario_from_dict(data, "no ids")).contacts.to_frame()
    marked = output.contacts.to_frame()
    key = ["arrival_minutes", "wait_minutes"]
    assert (
        marked.sort_values(key)["wait_minutes"].to_numpy()
        == plain.sort_values(key)["wait_minutes"].to_numpy()
    ).all()

"""The command line for scripts and narrow terminals: --json, and tables that never cut numbers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rich.table import Table

from peakend.cli.console import FittingConsole, make_console
from peakend.cli.main import main
from peakend.config.loading import scenario_to_toml

from conftest import mmc


@pytest.fixture
def base(tmp_path):
    path = tmp_path / "base.toml"
    scenario = mmc(arrival_rate=2.0, agents=3, mean_patience=2.0, horizon=120.0, warmup=0.0)
    path.write_text(scenario_to_toml(scenario), encoding="utf-8")
    return path


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_run_json_is_the_summary_and_nothing_else(base, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", base, "-r", "3", "--executor", "serial", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # the whole of stdout is one JSON document
    stored = json.loads((out / "summary.json").read_text())
    assert printed["metrics"] == stored["metrics"]
    assert printed["out"] == str(out) and printed["replications"] == 3


def test_compare_and_sweep_json(base, tmp_path):
    variant = ["--variant", "plus_one:pools.agents.staffing+=1"]
    common = ["-r", "2", "--executor", "serial", "--json"]
    compared = invoke("compare", base, *variant, *common, "--out", tmp_path / "c")
    assert compared.exit_code == 0, compared.output
    data = json.loads(compared.stdout)
    assert data["kind"] == "compare" and set(data["scenarios"]) == {"base", "plus_one"}
    difference = data["scenarios"]["plus_one"]["metrics"]["mean_wait_minutes"]["difference"]
    assert difference["mean"] < 0  # one more agent: shorter waits, paired
    assert data["out"] == str(tmp_path / "c") and data["ran"] == 4
    swept = invoke(
        "sweep", base, "--factor", "pools.agents.staffing+=0,1", *common, "--out", tmp_path / "s"
    )
    assert swept.exit_code == 0, swept.output
    sweep = json.loads(swept.stdout)
    assert list(sweep["scenarios"]) == ["staffing_added=0", "staffing_added=1"]
    assert sweep["scenarios"]["staffing_added=1"]["factors"] == {"staffing_added": 1}


def test_validate_json_reports_every_section(monkeypatch):
    from peakend.checks import validate

    report = validate.ValidationReport(
        [
            validate.Section("engine", ("case", "value", "check"), [("a", 0.5, "ok")], True),
            validate.Section("memory", ("case", "check"), [("b", "FAILED")], False),
        ]
    )
    monkeypatch.setattr(validate, "run_validation", lambda **kwargs: report)
    result = invoke("validate", "--quick", "--executor", "serial", "--json")
    assert result.exit_code == 1  # a failed check still fails, in JSON too
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["sections"][0]["rows"] == [{"case": "a", "value": 0.5, "check": "ok"}]
    assert [s["passed"] for s in data["sections"]] == [True, False]


def test_a_narrow_terminal_gets_every_number_whole(base):
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "50", "NO_COLOR": "1"}
    result = invoke("run", base, "-r", "3", "--executor", "serial", env=terminal)
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    summary = json.loads(invoke("run", base, "-r", "3", "--executor", "serial", "--json").stdout)
    customers = f"{summary['metrics']['customers']['mean']:,.0f}"
    assert customers in result.stdout and "mean_wait_minutes" in result.stdout


def test_a_table_that_cannot_fit_is_printed_at_the_width_it_needs():
    console = FittingConsole(width=30, record=True, color_system=None)
    table = Table("metric", "value")
    table.columns[1].no_wrap = True
    table.add_row("a long label that may wrap", "123,456,789.0123 [1, 2]")
    console.print(table)
    text = console.export_text()
    assert "123,456,789.0123 [1, 2]" in text and "…" not in text
    assert console.width == 30  # widened for that table only


def test_a_pipe_gets_the_pipe_width():
    assert make_console().width >= 120  # pytest's stdout is not a terminal


def test_shell_completion_completes_commands_and_choices():
    env = {"_PEAKEND_COMPLETE": "bash_complete", "COMP_WORDS": "peakend ex", "COMP_CWORD": "1"}
    commands = CliRunner().invoke(main, [], prog_name="peakend", env=env)
    assert commands.exit_code == 0 and "plain,export" in commands.output.split()
    env = {**env, "COMP_WORDS": "peakend export DIR --to ", "COMP_CWORD": "4"}
    choices = CliRunner().invoke(main, [], prog_name="peakend", env=env)
    assert choices.output.split() == ["plain,xlsx", "plain,csv"]
    script = CliRunner().invoke(
        main, [], prog_name="peakend", env={"_PEAKEND_COMPLETE": "bash_source"}
    )
    assert "_peakend_completion()" in script.output

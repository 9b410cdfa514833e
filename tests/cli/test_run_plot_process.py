"""``peakend run --out`` with its plots drawn in a helper process: the files of a run
that draws them itself, a failure as one line, Ctrl-C while waiting leaves no helper
and no half-written plot."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rundirs import RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES, ctrl_c_once_a_replication_is_back

import peakend.output.plot_process as plot_process
from peakend.cli.main import main
from peakend.output.plots import TracePlot

from conftest import ROOT

CONFIG = ROOT / "configs" / "contact_centre.toml"


class RecordingPlotProcess(plot_process.PlotProcess):
    """A PlotProcess that keeps every instance and every submission, for the tests."""

    made: list[RecordingPlotProcess] = []

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[plot_process.PendingPlots] = []
        self.first_pid = self.pid
        RecordingPlotProcess.made.append(self)

    def submit(self, jobs: Any, svg: bool = False) -> plot_process.PendingPlots:
        pending = super().submit(jobs, svg)
        self.submitted.append(pending)
        return pending


@pytest.fixture
def helper(monkeypatch: pytest.MonkeyPatch) -> type[RecordingPlotProcess]:
    """Every run draws in a (recording) helper process, whatever its size."""
    RecordingPlotProcess.made = []
    monkeypatch.setattr(plot_process, "plot_process_pays", lambda seconds, **_: True)
    monkeypatch.setattr(plot_process, "PlotProcess", RecordingPlotProcess)
    return RecordingPlotProcess


def run(out: Path) -> Any:
    arguments = ["run", str(CONFIG), "-r", "1", "--out", str(out), "-q"]
    return CliRunner().invoke(main, arguments)


def test_a_run_drawing_in_the_helper_writes_what_a_run_drawing_alone_writes(
    tmp_path: Path, helper: type[RecordingPlotProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_helper = run(tmp_path / "helper")
    assert with_helper.exit_code == 0, with_helper.output
    ((made,),) = [helper.made]
    assert [pending.in_helper for pending in made.submitted] == [True]
    assert made.pid is None  # stopped when the run left

    monkeypatch.setattr(plot_process, "plot_process_pays", lambda seconds, **_: False)
    alone = run(tmp_path / "alone")
    assert alone.exit_code == 0, alone.output
    assert len(helper.made) == 1  # no helper this time
    plots = sorted(p.name for p in (tmp_path / "alone").iterdir() if p.suffix in {".png", ".svg"})
    assert len(plots) == 4  # two pools' intervals, remembered vs experienced, a trace
    drawn = sorted(p.name for p in (tmp_path / "helper").iterdir() if p.suffix in {".png", ".svg"})
    assert drawn == plots
    for name in plots:
        assert (tmp_path / "helper" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


def test_a_plot_failing_in_the_helper_is_one_line_and_exit_1(
    tmp_path: Path, helper: type[RecordingPlotProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    import peakend.output.files as files

    columns = ["start_minutes", "duration_minutes", "u_start", "u_end", "kind"]
    broken = TracePlot(pd.DataFrame({name: [] for name in columns}))  # no worst moment
    monkeypatch.setattr(files, "plot_jobs", lambda result: [("trace.png", broken)])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the traceback goes
    result = run(tmp_path / "out")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "peakend: error: internal error PlotError: drawing trace.png failed: ValueError: "
    )
    (log,) = tmp_path.glob("peakend-errors-*.log")
    assert str(log) in line
    assert "(in the plot process)" in log.read_text(encoding="utf-8")
    assert not list((tmp_path / "out").glob("*.png"))


def test_ctrl_c_while_waiting_for_the_plots_stops_the_helper_and_writes_no_plot(
    tmp_path: Path, helper: type[RecordingPlotProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: plot_process.PendingPlots) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(plot_process.PendingPlots, "result", interrupted)
    out = tmp_path / "out"
    result = run(out)
    assert result.exit_code == 130
    assert result.stderr.strip() == "peakend: interrupted"
    ((made,),) = [helper.made]
    assert made.pid is None and made.first_pid is not None
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left running
        os.kill(made.first_pid, 0)
    assert not [p.name for p in out.iterdir() if p.suffix == ".png" or ".png." in p.name]


# `peakend run` in a child that draws in a plot process (its idle cores made 2: an idle
# machine) and prints "finished" each time a replication comes back (an event, not a
# sleep), so that the test sends Ctrl-C to a run under way with a helper started.
RUN_WITH_A_HELPER_AND_SAY_WHEN_A_REPLICATION_FINISHES = (
    "import peakend.output.plot_process as plots_helper\n"
    "plots_helper.idle_cores_now = lambda *args, **kwargs: 2.0\n"
    + RUN_AND_SAY_WHEN_A_REPLICATION_FINISHES
)


@pytest.mark.skipif(
    os.name != "posix" or shutil.which("pgrep") is None, reason="process groups, SIGINT, pgrep"
)
def test_a_real_ctrl_c_keeps_the_finished_replications_with_their_plots(tmp_path: Path) -> None:
    """SIGINT to the whole process group (a terminal's Ctrl-C) reaches the helper too: it
    ignores it, the run writes the finished replications with their plots, exits 130
    and stops the helper."""
    import json
    import sys

    import tomli_w

    from conftest import mmc_data

    config = tmp_path / "day.toml"
    data = mmc_data(arrival_rate=10.0, mean_service=3.0, agents=32, horizon=4000.0)
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    command = [sys.executable, "-c", RUN_WITH_A_HELPER_AND_SAY_WHEN_A_REPLICATION_FINISHES,
               "run", str(config), "-r", "20", "--executor", "serial",
               "--out", str(tmp_path / "out"), "-q"]  # fmt: skip
    returncode, stderr, children = ctrl_c_once_a_replication_is_back(command)
    assert returncode == 130, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("peakend: interrupted; the ") and "finished replications are in" in line
    assert len(children) == 1  # the plot process
    with pytest.raises(ProcessLookupError):  # stopped with the run
        os.kill(int(children[0]), 0)
    out = tmp_path / "out"
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert sorted(p.name for p in out.glob("*.png")) == [
        "intervals_agents.png",
        "remembered_vs_experienced.png",
        "trace.png",
    ]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and ".png." in p.name]

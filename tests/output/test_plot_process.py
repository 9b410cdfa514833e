"""Plots drawn in a helper process (peakend.output.plot_process): the same bytes as in
this process, from plain tables, without pandas; a failure is a PlotError naming the
plot; a helper that is gone leaves the drawing here; Ctrl-C is not the helper's."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from peakend.config.loading import load_scenario  # noqa: E402
from peakend.output.files import plot_jobs  # noqa: E402
from peakend.output.plot_process import (  # noqa: E402
    PlotError,
    PlotProcess,
    draw_plots,
    plain_jobs,
    plot_process_pays,
)
from peakend.output.plots import (  # noqa: E402
    PNG_DPI,
    PeriodMetricPlot,
    RetentionCurvePlot,
    TracePlot,
)
from peakend.runs.runner import run_scenario  # noqa: E402

from conftest import ROOT  # noqa: E402


def _period_jobs() -> list:
    periods = pd.DataFrame(
        [
            {"replication": r, "week": w, "profit": 1000.0 * (w + 1) + r, "visits": 50 + w + r}
            for r in range(3)
            for w in range(4)
        ]
    )
    cohorts = pd.DataFrame(
        [
            {"replication": r, "cohort": 0, "week": w, "active_share": 0.9 - w / 20 - r / 99}
            for r in range(3)
            for w in range(4)
        ]
    )
    return [
        ("retention_curve.png", RetentionCurvePlot.from_cohorts(cohorts, "week", "weeks")),
        ("visits.png", PeriodMetricPlot.from_periods(periods, "visits", "week", "weeks")),
    ]


@pytest.fixture(scope="module")
def jobs() -> list:
    """One plot of each kind a run folder holds: a pool's intervals (nullable integer
    columns), remembered vs experienced, a trace (categorical kinds), visits per week."""
    result = run_scenario(load_scenario(ROOT / "configs" / "contact_centre.toml"), 1)
    drawn = dict(plot_jobs(result))
    assert list(drawn) == [
        "intervals_agents.png",
        "intervals_seniors.png",
        "remembered_vs_experienced.png",
        "trace.png",
    ]
    del drawn["intervals_seniors.png"]
    return [*drawn.items(), _period_jobs()[1]]


def _broken_trace() -> tuple[str, TracePlot]:
    """A trace with no pieces: drawing it fails (there is no worst moment)."""
    columns = ["start_minutes", "duration_minutes", "u_start", "u_end", "kind"]
    return "trace.png", TracePlot(pd.DataFrame({name: [] for name in columns}))


def _savefig(display) -> bytes:
    """The PNG matplotlib's own savefig writes of ``display`` drawn from its DataFrames."""
    figure = display.plot().figure_
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=PNG_DPI, format="png")
    plt.close(figure)
    return buffer.getvalue()


def test_the_helper_draws_the_bytes_of_this_process_and_of_savefig(jobs) -> None:
    """Three ways to the same PNG: the helper (plain tables, one draw), this process
    (the same) and matplotlib's savefig of the display drawn from its DataFrames."""
    svg = {"visits.png"}
    with PlotProcess() as helper:
        pending = [helper.submit([job], svg=job[0] in svg) for job in jobs]
        # Collected last first: each submission still gets its own answer.
        there = [plots.result()[0] for plots in reversed(pending)][::-1]
    assert all(plots.in_helper for plots in pending)
    assert [name for name, _ in there] == [name for name, _ in jobs]
    for (name, display), (_, theirs) in zip(jobs, there, strict=True):
        ((_, mine),) = draw_plots([(name, display)], svg=name in svg)
        assert list(theirs) == ([".png", ".svg"] if name in svg else [".png"]), name
        assert theirs == mine, name  # the SVG too: its clip-path ids are no longer random
        if name != "trace.png":  # savefig's two layout passes, the slow way: not for all
            assert theirs[".png"] == _savefig(display), name
    for _, plain in plain_jobs(jobs):
        assert not any(isinstance(value, pd.DataFrame) for value in vars(plain).values())


def test_the_helper_imports_neither_pandas_nor_the_engine(jobs) -> None:
    request = pickle.dumps(("draw", plain_jobs(jobs), False))
    code = (
        "import sys\nfrom peakend.output.plot_process import serve\nserve()\n"
        "heavy = ('pandas', 'scipy', 'pyarrow', 'pydantic', 'simpy', 'peakend.engine')\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.startswith(heavy))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=request, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    reply = pickle.loads(done.stdout)
    assert reply[0] == "drawn" and [name for name, _ in reply[1]] == [n for n, _ in jobs]
    assert done.stderr.decode().strip().splitlines()[-1] == "[]"


FORKED_HELPER = """
import os, pickle, sys
from peakend.output.plot_process import PlotProcess, draw_plots

jobs = pickle.load(sys.stdin.buffer)
mine = open(sys.argv[1], "w")  # a file of the caller's: the helper must not hold it
with PlotProcess() as helper:
    drawn = helper.submit(jobs).result()
    where = f"/proc/{helper.pid}/fd"
    held = sorted(os.readlink(f"{where}/{name}") for name in os.listdir(where))
    pid, forked = helper.pid, helper.forked
gone = not os.path.exists(f"/proc/{pid}")
print(repr((forked, drawn == draw_plots(jobs), held, gone)))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the helper is forked on Linux only")
def test_in_a_process_without_threads_the_helper_is_a_fork_holding_only_its_pipes(
    jobs, tmp_path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORKED_HELPER, str(tmp_path / "mine.txt")],
        input=pickle.dumps(plain_jobs(jobs)),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    forked, same, held, gone = eval(done.stdout)  # a tuple of literals
    assert forked and same  # a fork, drawing the bytes this process draws
    # Its standard streams on /dev/null, its two pipes and what it opened itself (the
    # fonts it drew with), nothing of the caller's; and it was reaped when the run left.
    assert held.count("/dev/null") == 3 and sum(h.startswith("pipe:") for h in held) == 2
    assert str(tmp_path / "mine.txt") not in held and gone


DRAWN_IN_TWO = """
import pickle, sys
from peakend.output import plot_process

jobs = pickle.load(sys.stdin.buffer)
broken = jobs.pop()
one = plot_process._draw(jobs, False)
two = plot_process._draw_in_two(jobs, False)
# Jobs 1 and 2 fail (drawn by the fork and by the helper): the first is the answer.
failing = [jobs[0], ("second.png", broken[1]), ("third.png", broken[1]), *jobs[1:]]
failed = plot_process._draw_in_two(failing, False)
print(repr((plot_process._may_fork(), two == one, one[0], failed[0], failed[1])))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the helper forks on Linux only")
def test_plots_drawn_in_two_processes_are_those_of_one(jobs) -> None:
    """The helper draws every second job in a fork of itself: the same answer as one
    process drawing them all (each file's bytes, in order; the first failure)."""
    done = subprocess.run(
        [sys.executable, "-c", DRAWN_IN_TWO],
        input=pickle.dumps([*plain_jobs(jobs), _broken_trace()]),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    forks, same, drawn, failed, line = eval(done.stdout)  # a tuple of literals
    assert forks and same and drawn == "drawn"
    assert failed == "failed" and line.startswith("drawing second.png failed: ValueError"), line


def test_a_plot_failing_in_the_helper_is_a_plot_error_naming_it() -> None:
    with PlotProcess() as helper:
        pending = helper.submit([_broken_trace()])
        with pytest.raises(PlotError, match=r"^drawing trace\.png failed: ValueError: ") as info:
            pending.result()
    cause = str(info.value.__cause__)
    assert "(in the plot process)" in cause and "Traceback" in cause and "argmin" in cause


def test_a_helper_that_is_gone_leaves_the_drawing_here(jobs) -> None:
    with PlotProcess() as helper:
        assert helper.pid is not None
        os.kill(helper.pid, signal.SIGKILL)
        pending = helper.submit(jobs[:1])
        assert pending.result() == draw_plots(jobs[:1])
        assert not pending.in_helper
    closed = PlotProcess()
    closed.close()
    assert closed.pid is None
    pending = closed.submit(jobs[:1])
    assert pending.result() == draw_plots(jobs[:1]) and not pending.in_helper


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_ctrl_c_is_the_runs_not_the_helpers(jobs) -> None:
    with PlotProcess() as helper:
        assert helper.submit([]).result() == []  # answered: the helper is serving
        assert helper.pid is not None
        os.kill(helper.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends it too
        pending = helper.submit(jobs[:1])
        assert pending.result() == draw_plots(jobs[:1])
        assert pending.in_helper


def test_the_helper_is_used_only_where_it_pays() -> None:
    assert plot_process_pays(5.0, cores=2, idle_cores=1.0)
    assert not plot_process_pays(5.0, cores=1, idle_cores=1.0)  # no second core
    assert not plot_process_pays(5.0, cores=2, idle_cores=0.2)  # every core busy
    assert not plot_process_pays(0.05, cores=8, idle_cores=8.0)  # start-up not hidden
    # A run that keeps a forked replication process busy needs a core besides it.
    assert plot_process_pays(5.0, cores=2, idle_cores=2.0, running=2)
    assert not plot_process_pays(5.0, cores=2, idle_cores=1.0, running=2)


def test_idle_cores_are_those_other_running_processes_leave(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import peakend.output.plot_process as plot_process

    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 4)
    readings = iter([3, 2, 5])  # runnable tasks now, the reader included
    monkeypatch.setattr(plot_process, "_runnable_now", lambda: next(readings))
    # The least reading: 1 other task (a transient one is not running at every reading).
    assert plot_process.idle_cores_now(own=1, readings=3, spacing_seconds=0.0) == 3.0
    monkeypatch.setattr(plot_process, "_runnable_now", lambda: 1)
    assert plot_process.idle_cores_now(own=2) == 4.0  # a child between two time slices

    def no_proc() -> int:
        raise OSError("no /proc")

    monkeypatch.setattr(plot_process, "_runnable_now", no_proc)
    monkeypatch.setattr(plot_process.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert plot_process.idle_cores_now() == 2.5  # the one-minute load average instead

"""Several refusals measured in one child process, for cases where the child's own
isolation is not what is tested (each costs a second of start-up and imports alone).

Import into a test module: ``from batched import measure_batch``.

The child runs each command through ``peakend.cli.main.main`` in turn, with its own
working directory, environment additions and captured stdout and stderr, and reports
per command its exit status, its wall and CPU time (``time.process_time``: the child
is single-threaded while a command runs) and the child's peak resident memory so far
(``VmHWM`` of ``/proc/self/status``, a high-water mark: a command's figure bounds it and
every command before it. Not ``RUSAGE_SELF``: on Linux it keeps the peak of the process
that started the child, the test runner, from before ``exec``). A command that does not
exit within the batch's time limit fails the test (the whole child is killed). The result
is a :class:`refusals.Measured` per command, checked with :func:`refusals.assert_refused`
as a case in a child of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from refusals import CHILD_TIMEOUT_SECONDS, Measured

_BATCH = """
import contextlib, io, json, os, resource, sys, time
from peakend.cli.main import main

cases = [json.loads(line) for line in sys.stdin]
sys.stdin = open(os.devnull)  # no command reads the list of cases
os.dup2(sys.stdin.fileno(), 0)
for case in cases:
    os.chdir(case["cwd"])
    saved = {name: os.environ.get(name) for name in case["env"]}
    os.environ.update(case["env"])
    out, err = io.StringIO(), io.StringIO()
    started, cpu_started = time.perf_counter(), time.process_time()
    status = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(case["args"], prog_name="peakend")
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if os.path.exists("/proc/self/status"):  # Linux: this program's own high-water mark
        with open("/proc/self/status") as lines:
            peak = next(int(x.split()[1]) * 1024 for x in lines if x.startswith("VmHWM:"))
    print(json.dumps({"status": status, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "peak": peak,
                      "stdout": out.getvalue(), "stderr": err.getvalue()}), flush=True)
"""


@dataclass(frozen=True)
class Command:
    """``peakend ARGS`` run in ``cwd`` with ``env`` added to the environment."""

    args: tuple[str, ...]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


def measure_batch(
    commands: list[Command], timeout: float = CHILD_TIMEOUT_SECONDS
) -> list[Measured]:
    """Run ``commands`` one after another in one child process and measure each."""
    lines = "".join(
        json.dumps({"args": list(c.args), "cwd": str(c.cwd), "env": c.env}) + "\n" for c in commands
    )
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _BATCH],
        input=lines,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(commands), (done.returncode, done.stderr[-3000:])
    return [
        Measured(
            status=result["status"],
            seconds=result["seconds"],
            cpu_seconds=result["cpu_seconds"],
            peak_bytes=result["peak"],
            stdout=result["stdout"],
            stderr=result["stderr"],
        )
        for result in results
    ]

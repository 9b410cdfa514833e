"""What every case of the untrusted-file corpus checks: a command in a child process,
measured, refused in one line, and nothing that existed before changed.

Import into a test module: ``from refusals import Measured, assert_refused, measure, snapshot``.

A case runs the real command line (``peakend.cli.main``, run as ``python -m`` runs it) in a
child process of its own, and that child's exit status, wall time, peak resident memory
and streams are what the case checks. The child is forked from a *warm* process: one
long-lived interpreter per pytest process that has imported what a command loads before
it refuses a file (``PRELOADED``), and then only waits for cases (a second one, which
has imported what a finished run loads, ``RUN_PRELOADED``, serves the cases that run to
the end). A fresh interpreter per
case spent about 0.6 CPU seconds starting and importing, for a refusal that costs a tenth
of that; what a case proves does not depend on it:

- **Isolation is kept.** Each case is its own process, forked from the same pristine
  state (nothing a case does reaches the next one), with its own working directory,
  environment (the test's ``os.environ``, as a fresh child would inherit it), standard
  input ``/dev/null``, and stdout and stderr captured apart. The module runs by
  :func:`runpy.run_module` as ``python -m peakend.cli.main`` runs it, so an uncaught
  exception prints its traceback and exits 1 as the interpreter would, and
  ``SystemExit`` gives the status.
- **The measures are per case, and never below a fresh interpreter's.** The warm process
  waits for its child with :func:`os.wait4`, whose resource usage is that child's (and
  its children's) alone; time runs from the fork to the exit. A forked child's resident
  set counts the warm process's private pages but not the shared-library pages the warm
  process touched while importing, which a fresh interpreter would count; so the peak
  reported is the child's peak plus the warm process's import peak minus the child's
  resident set at the fork (about 17 MB): an upper bound of what a fresh interpreter
  would have peaked at.
- **A hang is killed** at ``timeout`` and reported as such (status ``None``).
- **What only a fresh interpreter can show** (what a refusal imports, start-up) is tested
  with an interpreter of its own: ``test_a_refused_arrival_file_costs_no_heavy_import``
  and ``test_a_fresh_interpreter_imports_nothing_and_writes_nothing``.

The bounds are deliberately generous against what a refusal costs (well under a second
and about 70 MB as measured here) and tight against what the unguarded work costs
(``/dev/zero`` read to the end grows by gigabytes; a FIFO blocks forever, so its case
times out instead of passing):

- ``MAX_SECONDS``, of CPU (``Measured.cpu_seconds``): a refusal that read a huge file or
  simulated first takes minutes of it; a refusal takes a fraction of a second. CPU time,
  not wall time: on a 2-core machine shared by a dozen busy processes a 0.1-second
  refusal can wait tens of seconds for a core, which says nothing about the command.
- ``MAX_PEAK_BYTES`` (300 MB, the issue's bound): an interpreter with numpy, pandas,
  SciPy and matplotlib imported peaks near 150-250 MB.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

MAX_SECONDS = 30.0
MAX_PEAK_BYTES = 300 * 2**20
CHILD_TIMEOUT_SECONDS = 120.0
"""A child still running after this is killed and the case fails (a hang)."""

PRELOADED = (
    "numpy",
    "peakend.cli.main",
    "peakend.config.loading",
    "peakend.config.schema",
    "peakend.retention.returns",
)
"""What the warm process imports before it forks: the command line and what a command
loads before it refuses a file (the scenario schema, pydantic, NumPy). The heavy
libraries of a finished run (pandas, SciPy, pyarrow, matplotlib) are left to the child
that needs them, so that their pages count in its peak memory exactly as in a fresh
interpreter, and the few megabytes the warm process holds beyond its forked child's
view (shared-library pages) are added to every peak (see ``_WARM``)."""

RUN_PRELOADED = (
    *PRELOADED,
    "pandas",
    "pyarrow.parquet",
    "scipy.special",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
    "peakend.runs.runner",
    "peakend.output.files",
    "peakend.output.plots",
    "peakend.experiments.api",
    "peakend.output.experiment_plots",
)
"""What a second warm process imports, for the cases that run to the end (a run, compare
or sweep that writes its folder: tables, plots, report): what such a command imports, so
that a case forked from it spends its CPU on the command rather than on importing pandas,
SciPy, pyarrow and matplotlib again (about 2.3 CPU seconds a case, the larger part of a
tiny run). What those cases check is unchanged: exit status, streams, files, and bounds
of CPU and memory; the peak they report still counts every imported page (the warm
process's import peak is added, see ``_WARM``), so it stays an upper bound of a fresh
interpreter's. Refusals of input files keep ``PRELOADED``: their peak must not be charged
for libraries such a refusal never loads. The results corpus forks from this one too: its
commands read result folders, importing pandas and pyarrow before they refuse (a fresh
interpreter peaks near 150 MB there), so only matplotlib's pages are charged on top (about
225 MB reported): a stricter bound than a fresh interpreter's, never a looser one."""

_WARM = """
import importlib, json, os, runpy, select, shutil, signal, sys, tempfile, time

for name in sys.argv[1:]:
    importlib.import_module(name)
requests = os.fdopen(os.dup(0), "r")  # the channel to pytest; fds 0 and 1 are the child's
replies = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
scratch = tempfile.mkdtemp(prefix="peakend-warm-")


def kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


imported = kib("VmHWM")  # the peak of the imports, shared libraries' pages included


def serve():
    # Returns only in a forked child: the case to run.
    replies.write("ready\\n")
    replies.flush()
    for line in requests:
        case = json.loads(line)
        out, err = os.path.join(scratch, "out"), os.path.join(scratch, "err")
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            with open(os.path.join(scratch, "start"), "w") as start:
                start.write(str(kib("VmRSS")))
            return case, out, err
        handle = os.pidfd_open(pid)
        timed_out = not select.select([handle], [], [], case["timeout"])[0]
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        os.close(handle)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        with open(out, encoding="utf-8", errors="replace") as o, open(
            err, encoding="utf-8", errors="replace"
        ) as e, open(os.path.join(scratch, "start")) as start:
            streams, at_fork = (o.read(), e.read()), int(start.read())
        # A fresh interpreter would also hold the library pages the imports touched.
        peak = (usage.ru_maxrss + imported - at_fork) * 1024
        cpu = usage.ru_utime + usage.ru_stime
        reply = {"status": None if timed_out else code, "seconds": seconds, "cpu": cpu,
                 "peak": peak, "stdout": streams[0], "stderr": streams[1]}
        replies.write(json.dumps(reply) + "\\n")
        replies.flush()
    return None


job = serve()
if job is None:
    shutil.rmtree(scratch, ignore_errors=True)
else:
    case, out, err = job
    requests.close()
    replies.close()
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.chdir(case["cwd"])
    os.environ.clear()
    os.environ.update(case["env"])
    sys.argv = ["peakend", *case["args"]]
    del job, case, out, err
    # As a fresh ``python -m`` would: the module runs as __main__ only (its imports stay).
    del sys.modules["peakend.cli.main"]
    runpy.run_module("peakend.cli.main", run_name="__main__", alter_sys=True)
"""


class _WarmProcess:
    """The long-lived interpreter that forks one child per case (one per pytest process
    and list of preloaded modules, started at its first case, ended when pytest exits)."""

    def __init__(self, preloaded: tuple[str, ...]) -> None:
        self._preloaded = preloaded
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
            process = subprocess.Popen(
                [sys.executable, "-c", _WARM, *self._preloaded],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            assert process.stdout is not None
            if process.stdout.readline() != "ready\n":
                raise RuntimeError("the warm process for the hostile corpora did not start")
            self._process = process
            atexit.register(self.stop)
        return self._process

    def run(self, case: dict[str, object]) -> dict[str, object]:
        with self._lock:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(case) + "\n")
            process.stdin.flush()
            reply = process.stdout.readline()
            if not reply:
                raise RuntimeError("the warm process for the hostile corpora died")
            return dict(json.loads(reply))

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=60)


_WARM_PROCESSES: dict[tuple[str, ...], _WarmProcess] = {}


@dataclass(frozen=True)
class Measured:
    """A finished child: exit status (None when it hung), wall and CPU time, peak memory,
    output."""

    status: int | None
    seconds: float
    """Wall-clock seconds from start to exit: what the user waited, and what the machine's
    other work stretches (shown, not bounded: a hang is caught by the timeout)."""
    cpu_seconds: float
    """User + system CPU seconds of the child and its children: the work the command
    did, which the other processes on a busy machine hardly change; the bounds use it."""
    peak_bytes: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def measure(
    args: list[str | Path],
    cwd: Path,
    timeout: float = CHILD_TIMEOUT_SECONDS,
    *,
    preloaded: tuple[str, ...] = PRELOADED,
) -> Measured:
    """Run ``peakend ARGS`` in ``cwd`` in a child process (forked from the warm process
    that imported ``preloaded``, ``RUN_PRELOADED`` for a command that runs to the end;
    with this process's environment) and measure it."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    case = {"args": [str(arg) for arg in args], "cwd": str(cwd), "env": env, "timeout": timeout}
    warm = _WARM_PROCESSES.setdefault(preloaded, _WarmProcess(preloaded))
    reply = warm.run(case)
    return Measured(
        status=reply["status"],  # type: ignore[arg-type]
        seconds=float(reply["seconds"]),  # type: ignore[arg-type]
        cpu_seconds=float(reply["cpu"]),  # type: ignore[arg-type]
        peak_bytes=int(reply["peak"]),  # type: ignore[call-overload]
        stdout=str(reply["stdout"]),
        stderr=str(reply["stderr"]),
    )


def assert_refused(
    measured: Measured,
    message: str,
    statuses: tuple[int, ...] = (2,),
    secret: str | None = None,
    max_seconds: float = MAX_SECONDS,
    max_peak_bytes: int = MAX_PEAK_BYTES,
) -> None:
    """One ``peakend: error:`` line containing ``message``, an allowed non-zero status,
    no traceback, bounded time and memory, and ``secret`` echoed nowhere."""
    assert measured.status is not None, "the command hung (killed at the time limit)"
    assert measured.status in statuses, (measured.status, measured.stderr)
    lines = measured.error_lines
    assert len(lines) == 1, measured.stderr
    assert lines[0].startswith("peakend: error: "), lines
    assert message in lines[0], lines[0]
    assert "Traceback" not in measured.stderr + measured.stdout
    assert measured.cpu_seconds < max_seconds, measured.cpu_seconds
    assert measured.peak_bytes < max_peak_bytes, measured.peak_bytes / 2**20
    if secret is not None:
        assert secret not in measured.stderr and secret not in measured.stdout


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every regular file under ``root`` (relative name -> content; None for other kinds),
    without following symbolic links or opening FIFOs and devices."""
    found: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                found[relative] = os.readlink(path).encode()
            elif path.is_file():
                found[relative] = path.read_bytes()
            elif not path.is_dir():
                found[relative] = None
    return found


def assert_unchanged(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> None:
    """Nothing that existed in ``before`` changed or vanished in ``after``."""
    for name, content in before.items():
        assert name in after, f"{name} vanished"
        assert after[name] == content, f"{name} changed"

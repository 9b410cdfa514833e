"""Drawing a run's plots in a helper process, while the run goes on.

A plain ``peakend run --out`` spends about a second on its plots: importing
matplotlib (half a second) and drawing three figures. None of it needs the
simulation until the very end, so the command line starts a :class:`PlotProcess`
before it simulates: a second Python process that imports matplotlib while the
engine runs on the other core, then draws the figures from the data handed to it
(:meth:`PlotProcess.submit`) while the run writes its tables, and hands back
each file's bytes. The run writes them itself, atomically, like every other file
(:mod:`peakend.store.files`).

What it promises:

- **The same files.** The helper draws with the same function as a run without it
  (:func:`draw_plots`); the bytes are equal (``tests/output/test_plot_process.py``).
- **It writes nothing.** It returns bytes; only the run writes into the run
  folder, so Ctrl-C or a crash never leaves a half-written plot, and nothing but
  the run's own files is ever removed.
- **Ctrl-C is the run's.** The helper ignores SIGINT (a terminal sends it to
  both processes): the run decides what to write (the finished replications,
  with their plots) and stops the helper when it leaves.
- **A failure is one line.** A plot that fails to draw in the helper raises
  :class:`PlotError` in the run, naming the file and the error, with the helper's
  traceback as its cause (the command line prints one line and saves the
  traceback). A helper that is gone (it could not start, or was killed) is not an
  error: the plots are drawn in the run's own process instead.

The helper never imports pandas (about 0.4 s of CPU): the displays' tables travel
as plain tables of NumPy arrays (:func:`plain_jobs`), which is also what a run
without the helper draws from. On Linux, in a process that runs no other thread
(the command line, which starts it before importing pandas), the helper is a fork of
the run's process: it starts with NumPy already imported and keeps nothing of the
run's but its two pipes; elsewhere (a notebook, a test runner) it is a new
interpreter started with the run's ``sys.path``. Its start-up (a Python process importing NumPy and
matplotlib: about half a second) is hidden only by a simulation at least as long,
and only on a second core that is idle (:func:`plot_process_pays`); a smaller run,
or a machine with one core or every core busy, draws in its own process.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Sequence
from types import TracebackType
from typing import Any, BinaryIO, Self

__all__ = [
    "IDLE_CORES_NEEDED",
    "PLOT_PROCESS_BREAK_EVEN_SECONDS",
    "DrawnPlot",
    "PendingPlots",
    "PlotError",
    "PlotJob",
    "PlotProcess",
    "draw_plots",
    "idle_cores_now",
    "plain_jobs",
    "plot_process_pays",
]

PlotJob = tuple[str, Any]
"""A plot to draw: its file name (``trace.png``) and a display not yet drawn (a display
dataclass of :mod:`peakend.output.plots`: ``plot()`` draws it and returns it with its
``figure_``)."""

DrawnPlot = tuple[str, dict[str, bytes]]
"""A drawn plot: its file name and its files' bytes by suffix (``.png``, ``.svg``)."""

IDLE_CORES_NEEDED = 0.75
"""Idle cores (:func:`idle_cores_now`) a run needs before it starts a plot process.
Measured on 2 cores (docs/benchmarks.md): with another user's process on the second
core (a load average of 1.5) the helper made ``peakend run`` 1.11 times slower than
drawing in-process, as it found no core to overlap on."""

PLOT_PROCESS_BREAK_EVEN_SECONDS = 0.5
"""Estimated work (:attr:`peakend.config.budget.Workload.cpu_seconds`) from which a run
draws its plots in a helper process: measured by ``benchmarks/bench_fixed_costs.py``
(see docs/benchmarks.md, "Fixed costs of a whole run")."""


class PlotError(RuntimeError):
    """A plot failed to draw in the helper process; its traceback is the ``__cause__``."""


class _HelperTraceback(Exception):
    """The helper's traceback, shown as the cause of a :class:`PlotError`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n(in the plot process)\n{self.text}"


def plot_process_pays(
    estimated_seconds: float,
    cores: int | None = None,
    idle_cores: float | None = None,
    *,
    running: int = 1,
) -> bool:
    """Whether a run of ``estimated_seconds`` of work (the budget estimator's) gains
    from drawing its plots in a helper process: from
    :data:`PLOT_PROCESS_BREAK_EVEN_SECONDS`, with two cores or more to run on
    (``cores``, default :func:`~peakend.runs.executors.available_cores`) of which at
    least :data:`IDLE_CORES_NEEDED` are idle besides the ``running`` - 1 the run
    already keeps busy (a forked replication process, :mod:`peakend.runs.forked`).
    ``idle_cores`` defaults to :func:`idle_cores_now`: the cores not taken by other
    processes, ``running`` of this run's own left out.

    On a machine whose cores are all busy the helper hides nothing: its start-up
    only adds to the CPU the run competes for (measured 4 % slower at a load of 4
    on 2 cores: docs/benchmarks.md).
    """
    if cores is None:
        from peakend.runs.executors import available_cores

        cores = available_cores()
    if idle_cores is None:
        idle_cores = idle_cores_now(running)
    return (
        cores >= 2
        and idle_cores - (running - 1) >= IDLE_CORES_NEEDED
        and estimated_seconds >= PLOT_PROCESS_BREAK_EVEN_SECONDS
    )


def idle_cores_now(own: int = 1, readings: int = 5, spacing_seconds: float = 0.005) -> float:
    """The machine's cores that other processes leave idle now; ``own`` of the running
    processes are the caller's (this process, and any child it keeps busy).

    On Linux, from the kernel's count of runnable tasks right now (the fourth field of
    ``/proc/loadavg``, which counts the reader too), the least of ``readings``
    readings ``spacing_seconds`` apart, less ``own``: a process that keeps a core busy
    is runnable at every reading, a kernel worker or a short command at few of them
    (one reading alone found one now and then, and the run went without its helper).
    The one-minute load average, used elsewhere, lags: after a command that ran a few
    seconds on both cores it still says a core is taken for most of a minute. Without
    ``/proc``: the cores less the one-minute load average; without that (Windows): all
    of them.
    """
    cores = float(os.cpu_count() or 1)
    try:
        counts = []
        for reading in range(readings):
            if reading:
                time.sleep(spacing_seconds)
            counts.append(_runnable_now())
        others = min(counts) - own
    except (OSError, ValueError, IndexError):
        try:
            return cores - os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average (Windows)
            return cores
    return cores - max(others, 0)


def _runnable_now() -> int:
    with open("/proc/loadavg", encoding="ascii") as file:
        return int(file.read().split()[3].split("/")[0])


def plain_jobs(jobs: Sequence[PlotJob]) -> list[PlotJob]:
    """The jobs with every DataFrame of their displays as a plain table
    (:func:`~peakend.output.plots.plain_table`): what the helper can unpickle without
    pandas, and what both the helper and this process draw. The displays are copies
    without what an earlier ``plot()`` kept (``ax_``, ``figure_``)."""
    from peakend.output.plots import plain_table

    pandas = sys.modules.get("pandas")  # no DataFrame can exist without it

    plain = []
    for name, display in jobs:
        changes: dict[str, Any] = {}
        for field in dataclasses.fields(display):
            value = getattr(display, field.name)
            if field.name.endswith("_"):  # what an earlier plot() kept (ax_, figure_)
                changes[field.name] = None
            elif pandas is not None and isinstance(value, pandas.DataFrame):
                changes[field.name] = plain_table(value)
        plain.append((name, dataclasses.replace(display, **changes)))
    return plain


def draw_plots(jobs: Sequence[PlotJob], svg: bool = False) -> list[DrawnPlot]:
    """Draw each job's display (its tables made plain: :func:`plain_jobs`) with Agg and
    return its files' bytes (the PNG, with ``svg`` the SVG too), closing every figure.
    Exceptions propagate."""
    import matplotlib

    matplotlib.use("Agg")  # files are drawn by Agg, whatever the session's backend
    import matplotlib.pyplot as plt

    from peakend.output.plots import figure_files

    drawn = []
    for name, display in plain_jobs(jobs):
        figure = display.plot().figure_
        try:
            drawn.append((name, figure_files(figure, svg)))
        finally:
            plt.close(figure)
    return drawn


class PendingPlots:
    """Plots submitted to a :class:`PlotProcess`; :meth:`result` waits for them."""

    def __init__(self, helper: PlotProcess, jobs: Sequence[PlotJob], svg: bool, index: int) -> None:
        self._helper, self._jobs, self._svg, self._index = helper, list(jobs), svg, index
        self._drawn: list[DrawnPlot] | None = None
        self.in_helper = False
        """Whether the helper drew them (known once :meth:`result` returned)."""

    def result(self) -> list[DrawnPlot]:
        """The drawn plots, in the order submitted (drawn here if the helper is gone).

        Raises
        ------
        PlotError
            When a plot failed to draw in the helper.
        """
        if self._drawn is None:
            reply = self._helper._reply(self._index)
            if reply is None:
                self._drawn = draw_plots(self._jobs, self._svg)
            elif reply[0] == "failed":
                raise PlotError(reply[1]) from _HelperTraceback(reply[2])
            else:
                for category, message in reply[2]:
                    warnings.warn(message, category, stacklevel=2)
                self._drawn, self.in_helper = reply[1], True
        return self._drawn


class PlotProcess:
    """A helper process that imports matplotlib now and draws plots when asked.

    Use it as a context manager: leaving it stops the helper at once (it holds nothing
    worth waiting for). :meth:`submit` hands it plots to draw and returns at once; submissions
    are sent, drawn and answered in order, each answer kept for its own
    :class:`PendingPlots`.
    """

    def __init__(self) -> None:
        self._gone = False  # a request could not be sent: no answer will come
        self._sender: threading.Thread | None = None  # the last request's
        self._submitted = self._received = 0
        self._answers: dict[int, tuple[Any, ...]] = {}
        self._lock = threading.Lock()
        # The helper searches this process's path, so that it imports the same peakend
        # (and the same everything) whatever its environment would give it.
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from peakend.output.plot_process import serve; serve()"
        )
        self._process: subprocess.Popen[bytes] | _ForkedHelper | None = None
        self.forked = _may_fork()
        """Whether the helper is a fork of this process rather than a new interpreter."""
        try:
            if self.forked:
                self._process = _ForkedHelper()
            elif sys.executable and not getattr(sys, "frozen", False):
                self._process = subprocess.Popen(
                    [sys.executable, "-c", code],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            # else no interpreter to start (embedded, frozen): the plots are drawn here
        except OSError:
            pass  # no helper: the plots are drawn in this process

    @property
    def pid(self) -> int | None:
        """The helper's process id (None when it could not start, or once closed)."""
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def submit(self, jobs: Sequence[PlotJob], svg: bool = False) -> PendingPlots:
        """Hand ``jobs`` to the helper (sent from a thread: a helper still importing
        does not hold up the caller); :meth:`PendingPlots.result` collects them."""
        payload = pickle.dumps(("draw", plain_jobs(jobs), svg), protocol=pickle.HIGHEST_PROTOCOL)
        sender = threading.Thread(target=self._send, args=(payload, self._sender), daemon=True)
        self._sender = sender
        sender.start()
        self._submitted += 1
        return PendingPlots(self, jobs, svg, self._submitted - 1)

    def close(self) -> None:
        """Stop the helper (it holds nothing worth waiting for) and release its pipes."""
        process = self._process
        if process is not None:
            self._process = None
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass  # a pipe the helper broke: nothing left to flush

    def _send(self, payload: bytes, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # requests go in the order submitted
        process = self._process
        if process is None or process.stdin is None:
            self._gone = True
            return
        try:
            process.stdin.write(payload)
            process.stdin.flush()
        except (OSError, ValueError):  # the helper is gone (or closed): draw here
            self._gone = True

    def _reply(self, index: int) -> tuple[Any, ...] | None:
        """The helper's answer to submission ``index`` (answers come in order), or None
        when it is gone."""
        with self._lock:
            while index not in self._answers:
                process = self._process
                if self._gone or process is None or process.stdout is None:
                    return None
                try:
                    self._answers[self._received] = pickle.load(process.stdout)
                except (EOFError, OSError, ValueError, pickle.UnpicklingError):
                    self._gone = True
                    return None
                self._received += 1
            return self._answers.pop(index)


def _may_fork() -> bool:
    """Whether the helper can be a fork of this process: on Linux, in a process that
    runs no other thread (a fork copies only the thread that forks, so a lock another
    thread held would never be released in the helper)."""
    return sys.platform == "linux" and threading.active_count() == 1


class _ForkedHelper:
    """The helper as a fork of this process: what :class:`PlotProcess` uses of
    :class:`subprocess.Popen` (``pid``, ``stdin``, ``stdout``, ``poll``, ``kill``,
    ``wait``).

    A fork starts with everything this process has imported (NumPy: about 0.15 s of a
    new interpreter's start-up) and imports matplotlib at once. It keeps only its two
    pipes (every other file descriptor is closed, so it never holds a lock or a file of
    the run's), reads and writes nothing else (its standard streams go to
    ``/dev/null``, as a new interpreter's stderr would) and leaves with ``os._exit``,
    running none of this process's exit handlers.
    """

    def __init__(self) -> None:
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper; it never returns from here
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's
                _keep_only(requests_read, replies_write)
                serve(os.fdopen(requests_read, "rb"), os.fdopen(replies_write, "wb"))
            finally:
                os._exit(0)
        os.close(requests_read)
        os.close(replies_write)
        self.pid = pid
        self.stdin: BinaryIO | None = os.fdopen(requests_write, "wb")
        self.stdout: BinaryIO | None = os.fdopen(replies_read, "rb")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _keep_only(*kept: int) -> None:
    """In the forked helper: standard streams to ``/dev/null``, every other file
    descriptor but ``kept`` closed."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    bound = max(os.sysconf("SC_OPEN_MAX"), max(kept) + 1)
    low = 3
    for fd in sorted(kept):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, bound)


def serve(requests: BinaryIO | None = None, replies: BinaryIO | None = None) -> None:
    """The helper's loop: import matplotlib, then draw each request read from stdin
    and write the answer to stdout, until stdin closes.

    Answers are ``("drawn", plots, warnings)`` or ``("failed", one line, traceback)``.
    Anything else printed on stdout (a library's stray output) is sent to stderr
    (discarded), so that the answers stay readable.
    """
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    if requests is None:
        requests = sys.stdin.buffer
    if replies is None:
        replies = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401  (imported now, while the run simulates)

        import peakend.output.plots  # noqa: F401
    except BaseException:  # answered on the first request, where the run can report it
        started: tuple[str, str] | None = _failure("starting the plot process")
    else:
        started = None
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        reply = ("failed", *started) if started is not None else _draw_in_two(*request[1:])
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


def _draw(jobs: list[PlotJob], svg: bool) -> tuple[Any, ...]:
    drawn = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for name, display in jobs:
            try:
                drawn.extend(draw_plots([(name, display)], svg))
            except Exception:
                return ("failed", *_failure(f"drawing {name}"))
    notes = [(_builtin_category(w.category), str(w.message)) for w in caught]
    return ("drawn", drawn, notes)


def _draw_in_two(jobs: list[PlotJob], svg: bool) -> tuple[Any, ...]:
    """:func:`_draw`'s answer for ``jobs``, every second job drawn by a fork of the
    helper at the same time (on Linux: :func:`_may_fork`).

    Drawing is most of what is left of a run once its simulation ends (three figures:
    about half a second), and the run's process then only writes its tables: the fork
    costs a few milliseconds (matplotlib is imported already) and puts the second core
    to work. The answer is the one a single process gives: the plots in the jobs'
    order, or the first job that failed; each warning once. A fork that dies (killed)
    leaves its jobs to be drawn here.
    """
    if len(jobs) < 2 or not _may_fork():
        return _draw(jobs, svg)
    theirs_jobs, mine_jobs = jobs[1::2], jobs[0::2]
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return _draw(jobs, svg)
    if pid == 0:  # the fork; it never returns from here
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                drawn_there = [_draw([job], svg) for job in theirs_jobs]
                pickle.dump(drawn_there, out, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(0)
    os.close(write)
    mine = [_draw([job], svg) for job in mine_jobs]
    with os.fdopen(read, "rb") as answers:
        try:
            theirs = pickle.load(answers)
        except (EOFError, OSError, pickle.UnpicklingError):
            theirs = None
    os.waitpid(pid, 0)
    if not isinstance(theirs, list) or len(theirs) != len(theirs_jobs):
        theirs = [_draw([job], svg) for job in theirs_jobs]
    replies: list[tuple[Any, ...]] = [()] * len(jobs)
    replies[0::2], replies[1::2] = mine, theirs
    drawn: list[DrawnPlot] = []
    notes: list[tuple[type[Warning], str]] = []
    for reply in replies:
        if reply[0] == "failed":
            return reply
        drawn.extend(reply[1])
        notes.extend(note for note in reply[2] if note not in notes)
    return ("drawn", drawn, notes)


def _failure(what: str) -> tuple[str, str]:
    """The exception being handled as one line (what failed, its type and its first
    line) and its traceback."""
    error = sys.exc_info()[1]
    line = f"{what} failed: {type(error).__name__}"
    text = str(error).strip()
    if text:
        line += f": {text.splitlines()[0]}"
    return line, traceback.format_exc()


def _builtin_category(category: type[Warning]) -> type[Warning]:
    """A warning's category if the run can unpickle it anywhere (a builtin), else UserWarning."""
    if getattr(builtins, category.__name__, None) is category:
        return category
    return UserWarning

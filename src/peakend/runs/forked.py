"""A small run's replications simulated in a process forked before the heavy imports.

A ``peakend run`` that ``--executor auto`` runs serially (one replication, or too
little work for a process pool) used to spend about a second importing pandas,
pyarrow, SciPy and rich before its engine started, and then simulated on one core
while the second idled: on the benchmark scenario of ``benchmarks/bench_engine.py``
the whole command took about 1.4 times a bare SimPy script doing the same day
(``benchmarks/bench_fixed_costs.py``; ``docs/benchmarks.md``).

:class:`ForkedExecutor` takes that second away. As soon as the scenario is loaded and
checked against the memory budget, the command forks one child process (the ``fork``
start method: the loaded scenario is inherited, nothing is pickled on the way in)
that imports NumPy and the engine only, simulates the replications one after
another (:func:`~peakend.runs.simulate.simulate_replication`) and sends each back
through a pipe as plain arrays (a :class:`~peakend.runs.simulate.Simulated`). While
it runs, the command imports the rest, claims its folder and starts its plot process
on the other core; :func:`~peakend.runs.runner.run_scenario` then takes the
replications as they arrive and turns each into frames in the command's process
(:func:`~peakend.runs.runner.finish_replication`) while the child simulates the
next. The results are those of a serial run byte for byte: the same functions run
on the same scenario with the same random streams; only the process differs
(``tests/cli/test_forked_run.py``).

Where it is used (:func:`forked_executor`): where ``--executor auto`` chose to run
serially (:func:`~peakend.runs.executors.choose_kind`: one replication, one worker,
or too little work for a pool),
on Linux (where ``fork`` is the platform's own start method and safe before any
thread is started: a process that runs threads, such as a notebook's kernel or a
test runner's worker, is not forked) with at least two usable cores, for a single-day scenario whose
records are kept in memory or not made (streamed records are written by the process
that makes them, :mod:`peakend.runs.records`) and take at most
:data:`FORKED_MAX_RECORD_BYTES` per replication. Elsewhere the run is serial in the
command's process, as before. The manifest's ``executor`` says which ran and why.

The child ignores Ctrl-C (the command handles it: the replications already received
are kept, and the child is stopped when the executor closes) and exits when the
command's process is gone; a replication that raises comes back as a
:class:`~peakend.runs.errors.Failure` while the others still run; a child that dies
(killed, out of memory) fails the replications it did not send, with its exit status.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from peakend.config.schema import Scenario
from peakend.runs.errors import Failure
from peakend.runs.executors import (
    Executor,
    SerialExecutor,
    TaskOutcome,
    _exit_with_parent,
    _Guarded,
    _outcome,
    available_cores,
)

__all__ = ["FORKED_MAX_RECORD_BYTES", "ForkedExecutor", "ForkedWork", "forked_executor"]

FORKED_MAX_RECORD_BYTES = 64 * 2**20
"""Records of one replication (by the budget's estimate,
:func:`peakend.config.budget.estimate_record_bytes`) above which a run is not forked.

On their way back a replication's arrays are held twice for a moment (pickled in the
child, unpickled in the command): at most 128 MiB here, which the estimate of an
``auto`` run already covers (it counts a process of 150 MiB for each usable core,
two at least where this executor is used). A run that big simulates for seconds, so
the second of imports it would save is a small share of it."""

_DONE = "done"
_INTERRUPTED = "interrupted"
_DATA = "data"


@dataclass(frozen=True)
class ForkedWork:
    """The part of a replication that a forked process runs: the simulation of a
    single-day ``scenario``, its records kept in memory (``keep_records``) or not made."""

    scenario: Scenario
    keep_records: bool = True
    memory_budget_bytes: float | None = None

    def __call__(self, replication: int) -> Any:
        from peakend.runs.simulate import simulate_replication

        return simulate_replication(
            self.scenario,
            replication,
            self.keep_records,
            memory_budget_bytes=self.memory_budget_bytes,
        )


class ForkedExecutor(Executor):
    """Runs one run's replications in a child process forked when :meth:`start` is
    called (see the module's docstring).

    ``as_completed(fn, items)`` with a ``fn`` whose ``forked()`` returns ``work`` and
    whose ``finish(simulated)`` makes the result (the replication callable of
    :func:`~peakend.runs.runner.run_scenario`), over the items ``range(replications)``,
    takes them from the child; any other task runs serially in this process, as
    :class:`~peakend.runs.executors.SerialExecutor` would run it.
    """

    kind = "forked"

    def __init__(self, work: ForkedWork, replications: int, reason: str | None = None) -> None:
        if replications < 1:
            raise ValueError(f"replications must be >= 1, got {replications}")
        self.work = work
        self.replications = replications
        self.reason = reason
        self._process: Any = None
        self._connection: Any = None

    @property
    def workers(self) -> int:
        return 1

    def start(self) -> None:
        """Fork the child (once: a second call while it runs does nothing)."""
        if self._process is not None:
            return
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(
            target=_simulate_in_child,
            args=(self.work, self.replications, sending, os.getpid()),
            name="peakend-replications",
            daemon=True,  # never outlives the command, whatever stops it
        )
        process.start()
        sending.close()  # the child's end: the command sees EOF when the child is gone
        self._process, self._connection = process, receiving

    def close(self) -> None:
        """Stop the child if it still runs (Ctrl-C, or results not all taken) and wait
        for it."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if process is None:
            return
        connection.close()
        if process.is_alive():
            process.kill()
        process.join()

    def as_completed(
        self, fn: Callable[[Any], Any], items: Iterable[Any], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[Any, Any]]:
        items = list(items)
        forked = getattr(fn, "forked", None)
        finish = getattr(fn, "finish", None)
        ours = callable(forked) and callable(finish) and forked() == self.work
        if not ours or items != list(range(self.replications)):
            self.close()
            yield from SerialExecutor().as_completed(fn, items)
            return
        assert finish is not None
        self.start()
        try:
            yield from self._received(items, _Guarded(finish))
        finally:
            self.close()

    def _received(
        self, items: list[Any], finish: Callable[[Any], Any]
    ) -> Iterator[TaskOutcome[Any, Any]]:
        """Each replication as the child sends it, finished here."""
        pending = dict(enumerate(items))
        while pending:
            try:
                message = _receive(self._connection)
            except (EOFError, OSError, pickle.UnpicklingError):  # the child is gone
                yield from self._lost(pending)
                return
            if message == _INTERRUPTED:
                raise KeyboardInterrupt
            if message == _DONE:
                break
            index, item, value = message
            del pending[index]
            if isinstance(value, Failure):
                yield _outcome(index, item, value)
            else:
                yield _outcome(index, item, finish(value))
        yield from self._lost(pending)

    def _lost(self, pending: dict[int, Any]) -> Iterator[TaskOutcome[Any, Any]]:
        """The replications a child that died did not send, as failures."""
        if not pending:
            return
        process = self._process
        process.join()
        failure = Failure(
            "ChildProcessError",
            f"the replication process ended (exit status {process.exitcode}) before "
            "sending this replication",
            "",
        )
        for index, item in sorted(pending.items()):
            yield TaskOutcome(index, item, failure=failure)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "start_method": "fork"}


def _simulate_in_child(work: ForkedWork, replications: int, connection: Any, parent: int) -> None:
    """The child: each replication simulated and sent, then :data:`_DONE`."""
    _exit_with_parent(parent)  # also ignores SIGINT: Ctrl-C is the command's to handle
    try:
        for replication in range(replications):
            try:
                value = work(replication)
            except Exception as exc:
                value = Failure.from_exception(exc)
            try:
                _send(connection, (replication, replication, value))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as exc:  # a result that cannot be pickled
                _send(connection, (replication, replication, Failure.from_exception(exc)))
        connection.send(_DONE)
    except KeyboardInterrupt:  # raised by the work itself, not by a signal (ignored)
        connection.send(_INTERRUPTED)
    except (BrokenPipeError, ConnectionResetError):  # the command stopped listening
        pass
    finally:
        connection.close()


def _send(connection: Any, message: Any) -> None:
    """Send ``message`` with its arrays' bytes out of band (pickle protocol 5): a
    message of the pickle without them and their sizes, then each array's bytes
    written straight from its memory into the pipe. A replication's 31 MB of arrays
    then cost no pickling copy on either side (0.07 s to pickle in band and 0.02 s to
    unpickle, against 0.02 s in all, on the benchmark scenario)."""
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    connection.send((_DATA, header, [raw.nbytes for raw in raws]))
    for raw in raws:
        _write_all(connection.fileno(), raw)


def _receive(connection: Any) -> Any:
    """A message of :func:`_send` (or a plain one: :data:`_DONE`,
    :data:`_INTERRUPTED`), each array read into memory of its own."""
    message = connection.recv()
    if not (isinstance(message, tuple) and message and message[0] == _DATA):
        return message
    _, header, sizes = message
    buffers = [bytearray(size) for size in sizes]
    for buffer in buffers:
        _read_into(connection.fileno(), buffer)
    return pickle.loads(header, buffers=buffers)


def _write_all(fd: int, data: memoryview) -> None:
    view = data.cast("B")
    while view.nbytes:
        view = view[os.write(fd, view) :]


def _read_into(fd: int, buffer: bytearray) -> None:
    view = memoryview(buffer)
    while view.nbytes:
        read = os.readv(fd, [view])
        if read == 0:
            raise EOFError("the replication process closed its pipe")
        view = view[read:]


def forked_executor(
    chosen: Executor, work: ForkedWork | None, replications: int
) -> ForkedExecutor | None:
    """The :class:`ForkedExecutor` to run ``replications`` replications of ``work`` on
    instead of ``chosen``, the executor that ``make_executor("auto", ...)`` made (so
    the options are checked), or None where the module's conditions do not hold
    (``work`` None: a run that cannot be forked)."""
    if chosen.kind != "serial" or chosen.reason is None:  # a pool, Dask, or asked by name
        return None
    if work is None or work.scenario.retention.periods > 1:  # replicate() runs those
        return None
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if threading.active_count() > 1:  # forking a process with threads can deadlock the child
        return None
    from peakend.config.budget import estimate_record_bytes

    if available_cores() < 2 or estimate_record_bytes(work.scenario) > FORKED_MAX_RECORD_BYTES:
        return None
    return ForkedExecutor(
        work,
        replications,
        f"{chosen.reason}; simulated in a process forked before the command's imports, "
        "which it made meanwhile (peakend.runs.forked)",
    )

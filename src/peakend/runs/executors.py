"""Executors: run many independent tasks serially, on local processes or on Dask.

Every executor is a context manager with the same two ways of running a function
over items:

- :meth:`Executor.as_completed` yields a :class:`TaskOutcome` per item as soon as it
  finishes (for progress bars and for storing results as they arrive, so that an
  interrupted run loses nothing that had finished). A task that raises does not
  stop the others: its outcome carries a :class:`Failure` record (error type,
  message and the worker's traceback text) instead of a value.
- :meth:`Executor.map` is a drop-in for the built-in ``map`` (results in input
  order), e.g. ``run_scenario(scenario, mapper=executor.map)``; a failed task
  raises :class:`TaskError` there.

Any standard :class:`concurrent.futures.Executor` works too (a
``ProcessPoolExecutor``, Dask's ``Client.get_executor()``, loky's
``get_reusable_executor()``, Ray's): :func:`as_executor` wraps it in
:class:`FuturesExecutor`, and every function of peakend that takes an executor
calls it. The caller keeps ownership: peakend never shuts a standard executor down.

Replications own their random streams, so a task's result does not depend on
the executor, the number of workers or the order in which tasks finish.

**Serial when processes would not pay** (``kind="auto"``, the command line's
default): a process pool costs a fixed start-up (a fork server that imports NumPy,
pandas, SimPy and the engine, then the workers), and every replication's records
are pickled back to the parent. :func:`choose_kind` runs serially when the
estimated work is too small to win that back: one task, one worker, or an
estimated saving below :data:`POOL_BREAK_EVEN_SECONDS` (measured by
``benchmarks/bench_fixed_costs.py``; see ``docs/benchmarks.md``).

**Dask** (:class:`DaskExecutor`): the caller passes each task's estimated peak
memory (``memory_bytes``); it is compared with the workers' memory limits (a
run whose replication fits no worker is refused in one line, naming the limit to
start workers with), recorded in the manifest, and given to the scheduler as a
resource annotation (:data:`MEMORY_RESOURCE`) when the workers declare that
resource (``dask worker ADDRESS --resources "MEMORY=8e9"``). When no worker is
left the executor waits at most ``timeout_seconds`` (``--dask-timeout``), then
raises :class:`NoWorkersError` with one line, instead of waiting silently.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor as StandardExecutor
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import as_completed as futures_as_completed
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from peakend.base.errors import ConfigError
from peakend.base.names import printable
from peakend.config.extras import require
from peakend.runs.errors import Failure

__all__ = [
    "DEFAULT_DASK_TIMEOUT_SECONDS",
    "EXECUTOR_KINDS",
    "MEMORY_RESOURCE",
    "POOL_BREAK_EVEN_SECONDS",
    "DaskExecutor",
    "NoWorkersError",
    "Executor",
    "ExecutorError",
    "Failure",
    "FuturesExecutor",
    "NotebookProgress",
    "ProcessExecutor",
    "ProgressBar",
    "SerialExecutor",
    "TaskError",
    "TaskOutcome",
    "ExecutorLike",
    "as_executor",
    "available_cores",
    "choose_kind",
    "make_executor",
    "planned_workers",
]

T = TypeVar("T")
R = TypeVar("R")

EXECUTOR_KINDS = ("auto", "serial", "processes")

POOL_BREAK_EVEN_SECONDS = 2.0
"""Estimated work a process pool must save before ``auto`` starts one, in the seconds of
the budget estimator (:attr:`peakend.config.budget.Workload.cpu_seconds`).

Measured by ``benchmarks/bench_fixed_costs.py`` on the 2-core development machine:
starting a pool of 2 workers in a fresh ``peakend`` process (the fork server imports
NumPy, pandas, SimPy and the engine) took 1.0 s idle and up to 3 s under load, and
pickling one replication's records back 1.2 microseconds per customer; the
estimator counts 15 microseconds of CPU per contact where the engine takes 7 (idle)
to 37 (loaded). The start-up in the estimator's seconds is then 1.2 (loaded) to 2.2
(idle); 2 s is kept: near the threshold either choice costs about the same, and a
wrong "serial" costs at most the start-up."""

DEFAULT_DASK_TIMEOUT_SECONDS = 300.0
"""How long a Dask run waits with no worker connected before it stops (``--dask-timeout``):
long enough for a batch system or an autoscaler to start workers, short enough that a
cluster whose workers all died does not hold a terminal for hours."""

MEMORY_RESOURCE = "MEMORY"
"""The Dask worker resource that carries memory, in bytes: workers started with
``--resources "MEMORY=8e9"`` run only as many replications at once as fit."""


def available_cores() -> int:
    """Cores this process may run on (respects CPU affinity, e.g. in containers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class ExecutorError(ConfigError):
    """An executor that cannot be made or reached.

    ``parameter`` names the argument at fault (``kind``, ``workers``, ``address``),
    ``value`` is what it was given and ``problem`` what is wrong with it.
    """

    def __init__(self, parameter: str, value: Any, problem: str) -> None:
        label = {"address": "Dask address", "kind": "executor"}.get(parameter, parameter)
        super().__init__(f"{label} {value!r}: {problem}")
        self.parameter, self.value, self.problem = parameter, value, problem


class NoWorkersError(ExecutorError):
    """A Dask run with no worker connected for longer than its time limit."""

    def __init__(self, address: str, seconds: float, unfinished: int) -> None:
        super().__init__(
            "address",
            address,
            f"no worker connected for {seconds:g} s, {unfinished} task(s) unfinished; start "
            f"workers (dask worker {address}) or raise the time limit (timeout_seconds)",
        )
        self.seconds = seconds
        self.unfinished = unfinished


class TaskError(RuntimeError):
    """Raised by :meth:`Executor.map` when a task failed; carries the :class:`Failure`."""

    def __init__(self, item: Any, failure: Failure) -> None:
        super().__init__(f"task {item!r} failed: {failure}\n\n{failure.traceback}")
        self.item = item
        self.failure = failure


@dataclass(frozen=True)
class TaskOutcome(Generic[T, R]):
    """The result of one task: ``value`` when it succeeded, ``failure`` when it raised."""

    index: int
    item: T
    value: R | None = None
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class _Guarded:
    """Runs ``fn(item)`` in the worker and turns an exception into a :class:`Failure`.

    Catching in the worker keeps the traceback text, which would otherwise be lost
    or mangled on the way back from another process or machine.
    """

    fn: Callable[[Any], Any]

    def __call__(self, item: Any) -> Any:
        try:
            return self.fn(item)
        except Exception as exc:
            return Failure.from_exception(exc)


def _outcome(index: int, item: Any, value: Any) -> TaskOutcome[Any, Any]:
    if isinstance(value, Failure):
        return TaskOutcome(index, item, failure=value)
    return TaskOutcome(index, item, value=value)


class Executor(ABC):
    """Common protocol: a context manager with ``as_completed`` and ``map``."""

    kind: str = "executor"
    reason: str | None = None
    """Why ``make_executor("auto", ...)`` chose this executor (None: asked for by name)."""

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many tasks may run at the same time."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:  # noqa: B027 (an optional hook: not every executor has workers)
        """Acquire workers (called by ``__enter__``)."""

    def close(self) -> None:  # noqa: B027
        """Release workers (called by ``__exit__``); pending tasks are cancelled."""

    @abstractmethod
    def as_completed(
        self, fn: Callable[[T], R], items: Iterable[T], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[T, R]]:
        """Run ``fn`` on every item; yield each :class:`TaskOutcome` as it finishes.

        ``fn`` and the items must be picklable for the parallel executors (a
        module-level function or a dataclass instance with ``__call__``, not a
        lambda). Closing the iterator early cancels the tasks not yet started.
        ``memory_bytes`` is a task's estimated peak memory, for executors that
        place tasks by memory (Dask); the others ignore it.
        """

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Like the built-in ``map``: results in input order; a failure raises TaskError."""
        finished: dict[int, R] = {}
        following = 0
        for outcome in self.as_completed(fn, items):
            if outcome.failure is not None:
                raise TaskError(outcome.item, outcome.failure)
            finished[outcome.index] = outcome.value  # type: ignore[assignment]
            while following in finished:
                yield finished.pop(following)
                following += 1

    def describe(self) -> dict[str, Any]:
        """What ran the tasks, for manifests (``chosen``: why ``auto`` chose it)."""
        described: dict[str, Any] = {"kind": self.kind, "workers": self.workers}
        if self.reason:
            described["chosen"] = self.reason
        return described

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if k != "kind")
        return f"{type(self).__name__}({fields})"


class SerialExecutor(Executor):
    """Runs tasks one after the other in this process (no pickling)."""

    kind = "serial"

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason

    @property
    def workers(self) -> int:
        return 1

    def as_completed(
        self, fn: Callable[[T], R], items: Iterable[T], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[T, R]]:
        guarded = _Guarded(fn)
        for index, item in enumerate(items):
            yield _outcome(index, item, guarded(item))


class ProcessExecutor(Executor):
    """A pool of local worker processes (``concurrent.futures``).

    Workers are started with the 'forkserver' method where the platform has it
    (cheap, and safe in a process with threads), otherwise 'spawn'; the choice is
    passed to the pool, never set globally.
    """

    kind = "processes"

    def __init__(
        self, workers: int | None = None, start_method: str | None = None, reason: str | None = None
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.reason = reason
        self._workers = workers or available_cores()
        methods = multiprocessing.get_all_start_methods()
        self.start_method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def start(self) -> None:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                # Importing peakend (numpy, scipy, pandas) takes about a second. Preloaded
                # in the fork server, it is paid once per session instead of once per
                # worker of every pool. Takes effect only when the server starts.
                context.set_forkserver_preload(["__main__", "peakend.runs.runner"])
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=context,
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def as_completed(
        self, fn: Callable[[T], R], items: Iterable[T], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[T, R]]:
        self.start()
        assert self._pool is not None
        yield from _submitted(self._pool.submit, fn, items)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "start_method": self.start_method}


def _exit_with_parent(parent: int, interval_seconds: float = 1.0) -> None:
    """In a worker: exit when the process that started the pool is gone.

    A pool's workers wait for work forever if their parent is killed (SIGTERM from
    a batch system's time limit, SIGKILL): nothing tells them. A daemon thread
    checks once a second that the parent still exists.

    A worker also ignores SIGINT: a Ctrl-C at the terminal reaches the whole
    process group, and it is the parent's to handle (it cancels what has not
    started and keeps what finished); a worker interrupted in the middle of a task
    could leave the pool unable to shut down.
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(interval_seconds)
            try:
                os.kill(parent, 0)
            except (ProcessLookupError, PermissionError):  # gone, or the PID was reused
                os._exit(1)

    threading.Thread(target=watch, name="peakend-parent-watch", daemon=True).start()


def _submitted(
    submit: Callable[..., Future[Any]], fn: Callable[[T], R], items: Iterable[T]
) -> Iterator[TaskOutcome[T, R]]:
    """Submit ``fn`` (guarded) for every item through a ``concurrent.futures``-style
    ``submit`` and yield the outcomes as they complete; whatever is still pending when
    the caller stops (Ctrl-C, an error, a break) is cancelled."""
    guarded = _Guarded(fn)
    pending: dict[Future[Any], tuple[int, T]] = {
        submit(guarded, item): (index, item) for index, item in enumerate(items)
    }
    try:
        for future in futures_as_completed(list(pending)):
            index, item = pending.pop(future)
            yield _future_outcome(index, item, future)
    finally:
        for future in pending:
            future.cancel()


def _future_outcome(index: int, item: Any, future: Any) -> TaskOutcome[Any, Any]:
    # An exception here did not come from the task itself (which is guarded) but
    # from around it: a worker that died, an argument that cannot be pickled.
    try:
        value = future.result()
    except Exception as exc:
        return TaskOutcome(index, item, failure=Failure.from_exception(exc))
    return _outcome(index, item, value)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster.

    ``address='local'`` starts a :class:`distributed.LocalCluster` of worker
    processes (one single-threaded worker per core by default, no dashboard) and
    shuts it down on exit; ``'tcp://HOST:PORT'`` connects to a running scheduler
    (whose workers need peakend installed) and leaves it running. Dask is the
    optional extra ``peakend[dask]``: without it, making one raises
    :class:`~peakend.config.extras.MissingExtraError` (an ``ImportError``).

    ``timeout_seconds`` bounds two waits: connecting to the scheduler, and a run
    during which no worker is connected (all died, or none was ever started); the
    latter raises :class:`NoWorkersError` (one line) after cancelling the tasks.
    """

    kind = "dask"
    poll_seconds = 0.5
    """How often, while no task finishes, the scheduler is asked whether workers are left."""

    def __init__(
        self,
        address: str = "local",
        workers: int | None = None,
        timeout_seconds: float = DEFAULT_DASK_TIMEOUT_SECONDS,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not timeout_seconds > 0:
            raise ExecutorError("timeout_seconds", timeout_seconds, "must be a positive number")
        self.address = _check_dask_address(address)
        require("distributed", "the Dask executor", "dask", parameter="address")
        self.timeout_seconds = float(timeout_seconds)
        self._requested = workers
        self._client: Any = None
        self._cluster: Any = None
        self._memory: dict[str, Any] = {}

    @property
    def workers(self) -> int:
        if self._client is not None:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        return self._requested or available_cores()

    def start(self) -> None:
        if self._client is not None:
            return
        from distributed import Client, LocalCluster

        if self.address == "local":
            self._cluster = LocalCluster(
                n_workers=self._requested or available_cores(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
            return
        try:
            self._client = Client(self.address, timeout=f"{self.timeout_seconds}s")
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                "address",
                self.address,
                f"cannot reach the scheduler within {self.timeout_seconds:g} s "
                f"(timeout_seconds): {exc}",
            ) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def worker_memory(self) -> dict[str, dict[str, float]]:
        """Each connected worker's memory limit (bytes, 0: none) and its declared
        :data:`MEMORY_RESOURCE` (absent when it declares none)."""
        info = self._client.scheduler_info(n_workers=-1) if self._client is not None else {}
        found = {}
        for address, worker in info.get("workers", {}).items():
            entry = {"memory_limit": float(worker.get("memory_limit") or 0)}
            resource = (worker.get("resources") or {}).get(MEMORY_RESOURCE)
            if resource is not None:
                entry["resource"] = float(resource)
            found[address] = entry
        return found

    def _placement(self, memory_bytes: float | None) -> dict[str, float] | None:
        """The resource annotation for tasks of ``memory_bytes`` (None: no annotation).

        Raises
        ------
        ExecutorError
            When the connected workers all have a memory limit and none fits a task.
        """
        workers = self.worker_memory()
        limits = [w["memory_limit"] for w in workers.values()]
        self._memory = {"memory_per_task": memory_bytes, "worker_memory_limits": sorted(limits)}
        if memory_bytes is None or not workers:
            return None
        from peakend.config.budget import format_bytes

        if all(limit > 0 for limit in limits) and max(limits) < memory_bytes:
            raise ExecutorError(
                "address",
                self.address,
                f"each replication needs about {format_bytes(memory_bytes)} (estimated), more "
                f"than any worker's memory limit (largest {format_bytes(max(limits))}); start "
                f"workers with --memory-limit {format_bytes(memory_bytes * 1.25)} or more",
            )
        declared = [w["resource"] for w in workers.values() if "resource" in w]
        if declared and max(declared) >= memory_bytes:
            return {MEMORY_RESOURCE: float(memory_bytes)}
        return None

    def as_completed(
        self, fn: Callable[[T], R], items: Iterable[T], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[T, R]]:
        self.start()
        items = list(items)
        if not items:
            return
        resources = self._placement(memory_bytes)
        futures = self._client.map(_Guarded(fn), items, pure=False, resources=resources)
        pending = {future.key: (index, future) for index, future in enumerate(futures)}
        try:
            while pending:
                for future in self._wait_for_some([f for _, f in pending.values()]):
                    index, _ = pending.pop(future.key)
                    yield _future_outcome(index, items[index], future)
                    future.release()
        finally:
            if pending:
                self._client.cancel([future for _, future in pending.values()])

    def _wait_for_some(self, futures: list[Any]) -> list[Any]:
        """The futures that finished, waiting for at least one; raise
        :class:`NoWorkersError` when no worker is connected for ``timeout_seconds``."""
        from distributed import wait
        from distributed.client import FuturesCancelledError

        alone_since: float | None = None
        while True:
            try:
                return list(
                    wait(futures, timeout=self.poll_seconds, return_when="FIRST_COMPLETED").done
                )
            except TimeoutError:
                pass
            except FuturesCancelledError:  # cancelled elsewhere: reported as failed tasks
                return [future for future in futures if future.status != "pending"]
            if self._client.nthreads():
                alone_since = None
                continue
            now = time.monotonic()
            alone_since = now if alone_since is None else alone_since
            if now - alone_since >= self.timeout_seconds:
                raise NoWorkersError(self.address, self.timeout_seconds, len(futures))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "workers": self.workers,
            "address": self.address,
            "timeout_seconds": self.timeout_seconds,
            **self._memory,
        }


class FuturesExecutor(Executor):
    """Any standard :class:`concurrent.futures.Executor` (anything with ``submit``
    returning futures) behind peakend's protocol.

    The wrapped executor belongs to the caller: :meth:`close` leaves it running
    (close it yourself, e.g. with ``with``). ``workers`` is read from its
    ``_max_workers`` (the standard pools and loky have it), else 1: it only sizes the
    memory estimate of a run.
    """

    kind = "futures"

    def __init__(self, executor: Any) -> None:
        if not callable(getattr(executor, "submit", None)):
            raise TypeError(
                f"not an executor: {type(executor).__name__} has no submit(); pass a "
                "concurrent.futures.Executor or a peakend Executor"
            )
        self.executor = executor

    @property
    def workers(self) -> int:
        workers = getattr(self.executor, "_max_workers", None)
        return workers if isinstance(workers, int) and workers >= 1 else 1

    def as_completed(
        self, fn: Callable[[T], R], items: Iterable[T], *, memory_bytes: float | None = None
    ) -> Iterator[TaskOutcome[T, R]]:
        yield from _submitted(self.executor.submit, fn, items)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "workers": self.workers,
            "class": f"{type(self.executor).__module__}.{type(self.executor).__qualname__}",
        }


ExecutorLike = Executor | StandardExecutor
"""What peakend accepts as an executor: its own, or a standard one (see :func:`as_executor`)."""


def as_executor(executor: Any) -> Executor:
    """``executor`` as a peakend :class:`Executor`: one is returned as it is, a standard
    ``concurrent.futures.Executor`` (or anything with ``submit``) is wrapped in
    :class:`FuturesExecutor`; None gives a :class:`SerialExecutor`.

    Raises
    ------
    TypeError
        For an object that is neither (naming its type).
    """
    if executor is None:
        return SerialExecutor()
    if isinstance(executor, Executor):
        return executor
    return FuturesExecutor(executor)


def _check_dask_address(address: str) -> str:
    if address == "local" or "://" in address:
        return address
    raise ExecutorError(
        "address", address, "expected 'local' or a scheduler address tcp://HOST:PORT"
    )


def planned_workers(kind: str, workers: int | None = None, dask_address: str | None = None) -> int:
    """Replications the executor that ``make_executor(kind, workers, dask_address)``
    would make runs at once on this machine, without making it
    (:func:`peakend.runs.runner.local_workers` of it)."""
    remote = dask_address is not None and dask_address != "local"
    serial = dask_address is None and kind == "serial"
    return 1 if remote or serial else workers or available_cores()


def choose_kind(cpu_seconds: float, tasks: int, workers: int) -> tuple[str, str]:
    """``("serial" | "processes", why)``: what ``auto`` runs ``tasks`` tasks on.

    ``cpu_seconds`` is their estimated work (the budget estimator's
    :attr:`~peakend.config.budget.Workload.cpu_seconds`), ``workers`` the pool's size.
    Processes are chosen when they save more than :data:`POOL_BREAK_EVEN_SECONDS`:
    the work less its share on each of ``min(workers, tasks)`` processes.
    """
    parallel = min(workers, tasks)
    if parallel < 2:
        what = "one task" if tasks < 2 else "one worker"
        return "serial", f"auto: {what}, nothing to run in parallel"
    saved = cpu_seconds * (1 - 1 / parallel)
    if saved <= POOL_BREAK_EVEN_SECONDS:
        return "serial", (
            f"auto: ~{cpu_seconds:.2g} s of work, {parallel} processes would save "
            f"~{saved:.2g} s, less than the {POOL_BREAK_EVEN_SECONDS:g} s a pool costs"
        )
    return "processes", f"auto: ~{cpu_seconds:.2g} s of work on {parallel} processes"


def make_executor(
    kind: str = "processes",
    workers: int | None = None,
    dask_address: str | None = None,
    *,
    force_workers: bool = False,
    cpu_seconds: float | None = None,
    tasks: int | None = None,
    dask_timeout_seconds: float = DEFAULT_DASK_TIMEOUT_SECONDS,
) -> Executor:
    """The executor for command-line style options; ``dask_address`` wins over ``kind``.

    ``kind="auto"`` (the command line's default) is a process pool, or this process
    when the run is too small to gain from one (:func:`choose_kind` on ``cpu_seconds``
    of estimated work in ``tasks`` tasks; without them, a process pool). The result
    is the same either way.

    Local workers (processes, or a local Dask cluster) are capped at the usable cores
    (:func:`available_cores`): more would not run faster, and each holds a replication
    in memory. ``force_workers`` lifts the cap. ``dask_timeout_seconds`` bounds the wait
    for a Dask scheduler and for workers (see :class:`DaskExecutor`).

    Raises
    ------
    ExecutorError
        (a :class:`~peakend.config.loading.ConfigError`) for an unknown kind, a bad
        Dask address, fewer than one worker or more local workers than usable cores;
        its ``parameter`` names the argument.
    MissingExtraError
        For a Dask address when the extra ``peakend[dask]`` is not installed.
    """
    if workers is not None and workers < 1:
        raise ExecutorError("workers", workers, "must be at least 1")
    local = dask_address == "local" or (dask_address is None and kind != "serial")
    if local and workers is not None and workers > available_cores() and not force_workers:
        raise ExecutorError(
            "workers",
            workers,
            f"more than the {available_cores()} usable cores (each worker holds a replication "
            "in memory); force_workers allows it",
        )
    if dask_address is not None:
        return DaskExecutor(dask_address, workers, dask_timeout_seconds)
    if kind == "serial":
        return SerialExecutor()
    if kind == "auto":
        size = workers or available_cores()
        if cpu_seconds is None or tasks is None:
            return ProcessExecutor(workers, reason="auto: the work was not estimated")
        chosen, why = choose_kind(cpu_seconds, tasks, size)
        return SerialExecutor(why) if chosen == "serial" else ProcessExecutor(workers, reason=why)
    if kind == "processes":
        return ProcessExecutor(workers)
    raise ExecutorError("kind", kind, f"unknown; allowed: {', '.join(EXECUTOR_KINDS)}")


class ProgressBar:
    """A progress bar with an ETA over tasks completed: on stderr in a terminal, as a
    live HTML bar in a Jupyter notebook.

    Shown only when ``enabled`` and stderr is a terminal or the code runs in a
    Jupyter kernel, so scripts, pipes and logs stay clean; otherwise every method is
    a no-op. The total can grow (more replications added by a sequential stopping
    rule). In a notebook rich would need ipywidgets for a live bar; this one needs
    only IPython's display, which every kernel has (:class:`NotebookProgress`).
    """

    def __init__(self, enabled: bool = True, description: str = "replications") -> None:
        # The description is often a scenario's name: shown as text, never as markup.
        self.description = printable(description)
        self._progress: Any = None
        self._task: Any = None
        self._notebook: NotebookProgress | None = None
        if enabled:
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_jupyter:
                self._notebook = NotebookProgress(self.description)
            elif console.is_terminal:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self._progress = Progress(
                    TextColumn("{task.description}", markup=False),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=console,
                )

    @property
    def shown(self) -> bool:
        return self._progress is not None or self._notebook is not None

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=0)
        if self._notebook is not None:
            self._notebook.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._notebook is not None:
            self._notebook.show(final=True)

    def add(self, tasks: int) -> None:
        """Announce ``tasks`` more tasks."""
        if self._task is not None:
            total = self._progress.tasks[0].total or 0
            self._progress.update(self._task, total=total + tasks)
        if self._notebook is not None:
            self._notebook.total += tasks
            self._notebook.show()

    def advance(self, tasks: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, tasks)
        if self._notebook is not None:
            self._notebook.done += tasks
            self._notebook.show()


class NotebookProgress:
    """A progress bar in a Jupyter cell: an HTML ``<progress>`` element updated in place.

    Redrawn at most every :attr:`interval_seconds` (a fast run would otherwise
    send thousands of display messages) and always at the end.
    """

    interval_seconds = 0.25

    def __init__(self, description: str) -> None:
        self.description = description
        self.total = 0
        self.done = 0
        self._started = time.perf_counter()
        self._shown_at = -math.inf
        self._handle: Any = None

    def start(self) -> None:
        from IPython.display import HTML, display

        self._started = time.perf_counter()
        self._handle = display(HTML(self.html()), display_id=True)

    def show(self, final: bool = False) -> None:
        now = time.perf_counter()
        if self._handle is None or (not final and now - self._shown_at < self.interval_seconds):
            return
        from IPython.display import HTML

        self._shown_at = now
        self._handle.update(HTML(self.html()))

    def html(self) -> str:
        """The bar, ``done/total``, the time elapsed and the estimated time left."""
        import html

        elapsed = time.perf_counter() - self._started
        left = (
            f", about {elapsed / self.done * (self.total - self.done):.0f} s left"
            if 0 < self.done < self.total
            else ""
        )
        return (
            f'<progress value="{self.done}" max="{max(self.total, 1)}" style="width:40%">'
            f"</progress> {html.escape(self.description)}: {self.done}/{self.total} "
            f"replications, {elapsed:.1f} s{left}"
        )

"""What can go wrong while replications run, as records and as typed exceptions.

- :class:`Failure`: why one task raised (error type, message, traceback text),
  captured in the worker so the traceback survives the trip back.
- :class:`FailureRecord`: a failed replication of one scenario (key, label, number).
- :class:`ReplicationError`: raised by the API (:func:`peakend.run_scenario`,
  :func:`peakend.compare`, :func:`peakend.sweep`) when replications failed; it
  carries the failures and the result of the replications that did finish.
- :class:`RunInterrupted`: a :class:`KeyboardInterrupt` that carries the result of
  the replications finished before it, so that a caller can keep them.

Configuration errors are :class:`peakend.config.loading.ConfigError`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Failure", "FailureRecord", "ReplicationError", "RunInterrupted", "error_log"]


@dataclass(frozen=True)
class Failure:
    """Why a task failed: the exception's type and message and the traceback text."""

    error_type: str
    message: str
    traceback: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> Failure:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(type(exc).__name__, str(exc), text)

    def __str__(self) -> str:
        first_line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return f"{self.error_type}: {first_line}" if first_line else self.error_type


@dataclass(frozen=True)
class FailureRecord:
    """A replication that raised, and where."""

    key: str
    label: str
    replication: int
    failure: Failure

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.label,
            "key": self.key,
            "replication": self.replication,
            "error_type": self.failure.error_type,
            "message": self.failure.message,
            "traceback": self.failure.traceback,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def describe(self) -> str:
        """One line: ``replication 2 of base: ValueError: ...``."""
        return f"replication {self.replication} of {self.label}: {self.failure}"


class ReplicationError(RuntimeError):
    """Replications raised. ``failures`` lists them; ``result`` holds the finished ones.

    ``result`` is a :class:`~peakend.runs.runner.RunResult` (one scenario) or an
    :class:`~peakend.experiments.results.ExperimentResult` (an experiment), or None
    when nothing finished.
    """

    def __init__(self, failures: Sequence[FailureRecord], attempted: int, result: Any = None):
        self.failures = tuple(failures)
        self.attempted = attempted
        self.result = result
        first = self.failures[0].describe() if self.failures else "unknown error"
        super().__init__(f"{len(self.failures)} of {attempted} replications failed; first: {first}")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C while replications ran; ``result`` holds the ones that had finished (or None)."""

    def __init__(self, result: Any = None) -> None:
        super().__init__("interrupted")
        self.result = result


def error_log(failures: Sequence[FailureRecord]) -> str:
    """The text of a run directory's ``errors.log``: every failure with its traceback."""
    parts = []
    for record in failures:
        header = f"=== {record.describe()} (scenario key {record.key})"
        parts.append(f"{header}\n{record.failure.traceback.rstrip()}\n")
    return "\n".join(parts)

"""Wall-clock time of each stage of a run, for its manifest.

A :class:`Stages` is a stopwatch with named laps: ``with stages("plots"): ...``
adds the block's wall-clock seconds to ``stages.seconds["plots"]`` (a stage
entered twice adds up). Manifests record them (``stages``) so that a user who
finds a run slow sees where the time went: loading the scenario, simulating,
building tables, writing them, drawing plots.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stages"]


class Stages:
    """Named wall-clock times, in seconds, in the order the stages first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (added to its earlier time)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def rounded(self, digits: int = 3) -> dict[str, float]:
        """The stages' seconds rounded (for a manifest)."""
        return {name: round(value, digits) for name, value in self.seconds.items()}

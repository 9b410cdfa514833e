"""Lightweight processes for customer journeys.

A :class:`simpy.Process` costs two scheduled events of its own: one to start and
one to announce its end. A day in a contact centre has thousands of journeys and
nobody waits on a journey's end, so journeys run on this minimal driver instead:
it resumes a generator whenever the SimPy event it yielded is processed. A
journey is still an ordinary generator function that yields SimPy events
(timeouts, queue grants); only the two bookkeeping events disappear. Journeys
cannot be interrupted; nothing in peakend needs that.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simpy.events import Event

__all__ = ["start_journey"]


class _Journey:
    __slots__ = ("_generator",)

    def __init__(self, generator: Generator[Event, Any, None]) -> None:
        self._generator = generator

    def resume(self, event: Event | None = None) -> None:
        generator = self._generator
        try:
            if event is None:
                target = next(generator)
            # SimPy's own Process reads these private fields too; the public
            # properties cost a function call each on the hottest path.
            elif event._ok:
                target = generator.send(event._value)
            else:
                event._defused = True
                target = generator.throw(event._value)
        except StopIteration:
            return
        target.callbacks.append(self.resume)


def start_journey(generator: Generator[Event, Any, None]) -> None:
    """Run ``generator`` now, resuming it each time the event it yields is processed.

    Must be called from inside a running SimPy environment (an event callback or a
    process), at the simulated time at which the journey starts.
    """
    _Journey(generator).resume()

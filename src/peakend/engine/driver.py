"""How journeys run: a lightweight driver, and plain :class:`simpy.Process` as reference.

A :class:`simpy.Process` costs two scheduled events of its own: one to start and
one to announce its end. A day in a contact centre has thousands of journeys and
nobody waits on a journey's end, so the fast path runs journeys on
:func:`start_journey`, which resumes a generator whenever the SimPy event it
yielded is processed. A journey is still an ordinary generator function that
yields SimPy events; only the two bookkeeping events disappear. Journeys cannot
be interrupted; nothing in peakend needs that. The driver uses only SimPy's
public API (``Event.callbacks``, ``Event.ok``, ``Event.value``, ``Event.defused``).

:func:`process_starter` is the reference: ``env.process``. The tests run both on
the same seeds and require identical records.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy
from simpy.events import Event

__all__ = ["Starter", "process_starter", "start_journey"]

Starter = Callable[[Generator[Event, Any, None]], object]
"""Starts a journey generator at the current simulated time."""


def _resume(generator: Generator[Event, Any, None], event: Event) -> None:
    """Resume ``generator`` with the outcome of ``event`` (just processed); wait for the
    event it yields next (what :class:`simpy.Process` does, minus its own events)."""
    try:
        if event.ok:
            target = generator.send(event.value)
        else:
            event.defused = True
            error: BaseException = event.value  # type: ignore[assignment]  # failed: an exception
            target = generator.throw(error)
    except StopIteration:
        return
    # A partial, not a closure or a bound method of a driver object: built in C, and
    # no reference cycle for the collector (paused during a run) to find later.
    target.callbacks.append(partial(_resume, generator))


def start_journey(generator: Generator[Event, Any, None]) -> None:
    """Run ``generator`` now, resuming it each time the event it yields is processed.

    Must be called from inside a running SimPy environment (an event callback or a
    process), at the simulated time at which the journey starts.
    """
    try:
        target = next(generator)
    except StopIteration:
        return
    target.callbacks.append(partial(_resume, generator))


def process_starter(env: simpy.Environment) -> Starter:
    """The reference starter: each journey is a :class:`simpy.Process` of ``env``."""
    return env.process

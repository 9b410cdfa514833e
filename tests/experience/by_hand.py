"""Fact logs written by hand, for testing the experience pass without simulating a day.

A test lists the facts of a journey (:mod:`peakend.engine.facts`) as the engine would
report them; :func:`experience` files them with the engine's own
:class:`~peakend.engine.recorder.Recorder` (which builds the contact and customer
records) and runs the moment-utility pass (:func:`~peakend.experience.moments.experience_of`)
on them, with each customer's reference points given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from peakend.config.schema import ExperienceConfig
from peakend.engine.recorder import Customers, Recorder
from peakend.engine.records import ContactTable, CustomerTable
from peakend.experience.memory import memory_model_from_spec
from peakend.experience.moments import Experience, References, experience_of
from peakend.experience.trace import Traces

EXPECTED_WAIT, PERCEPTION, EXPECTED_QUALITY, SEVERITY = 2.0, 1.33, 0.6, 4.0
"""Every customer's reference points (the shipped defaults' sizes)."""
LAMBDA, EXP = 2.25, 0.88
"""The value function of the default ExperienceConfig."""


def v(x: float) -> float:
    """The default value function: gains ``x^0.88``, losses ``-2.25 (-x)^0.88``."""
    return x**EXP if x >= 0 else -LAMBDA * (-x) ** EXP


@dataclass(frozen=True)
class Lived:
    """What the hand-written facts add up to."""

    contacts: ContactTable
    customers: CustomerTable
    experience: Experience
    remembered: np.ndarray
    """Each customer's remembered utility under the config's memory model."""

    @property
    def traces(self) -> Traces:
        return self.experience.traces

    def pieces(self, customer: int = 0) -> list[tuple[int, float, float, float]]:
        """``(kind, start, duration, u_start)`` of each piece of ``customer``'s trace."""
        t = self.traces
        mine = np.flatnonzero(t.owner == customer)
        return [
            (int(t.kind[i]), float(t.start[i]), float(t.duration[i]), float(t.u_start[i]))
            for i in mine
        ]


def experience(
    facts: Sequence[tuple[object, ...]],
    arrivals: Sequence[float],
    *,
    horizon: float = 60.0,
    **settings: Any,
) -> Lived:
    """The records and the experience of customers arriving at ``arrivals`` whose journeys
    reported ``facts`` (in the order given) over a day of ``horizon`` minutes, with
    ``ExperienceConfig(**settings)``. Pools are labelled ``desk`` (0) and ``back`` (1)."""
    config = ExperienceConfig(**settings)
    recorder = Recorder()
    for fact in facts:
        recorder.report(fact)
    n = len(arrivals)
    zeros = np.zeros(n, dtype=np.int64)
    log, contacts, customers = recorder.close(
        Customers(np.asarray(arrivals, dtype=float), zeros, zeros),
        horizon,
        False,
        {},
        {"segment": ["all"], "channel": ["phone"], "pool": ["desk", "back"]},
    )
    references = References(
        np.full(n, EXPECTED_WAIT),
        np.full(n, PERCEPTION),
        np.full(n, EXPECTED_QUALITY),
        np.full(n, SEVERITY),
    )
    lived = experience_of(contacts, log, references, config)
    remembered = np.asarray(memory_model_from_spec(config.memory).remember(lived.traces))
    return Lived(contacts, customers, lived, remembered)

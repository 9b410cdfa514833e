"""A scripted world for story tests: a few customers, one-agent pools, given draws.

A story is the engine's real :class:`~peakend.engine.replication.Replication` on a
scenario made exact: arrivals replayed at given times, every pool one agent of
fixed warmth (``sd = 0``) and fixed service time, every duration ``fixed``, every
probability 0 or 1 where that says enough. Where the story needs a decision to go
one way on one contact and the other way on the next ("fails first, resolved on
the callback"), the customer's uniform draw for it is scripted with
:meth:`~peakend.engine.streams.CustomerDraws.fix`. :func:`tell` runs the story
and returns every fact the journeys reported, in the order they reported them;
:func:`told` puts them in time order, on both engines, to compare with a log
written by hand, as SimPy's own tests assert ``log == [...]``.

Arrivals come after time 0: the pools' rosters come on shift in a process that
starts at 0, after the first arrivals of time 0 have already looked for an agent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from peakend import scenario_from_dict
from peakend.engine.replication import Engine, Replication

INF = math.inf
WARMTH = 0.5
"""Every agent's warmth in a story (the ``warmth`` each ``Served`` carries)."""
HOUR = 60.0
"""The story's day: one interval of an hour, one agent per pool."""


def fixed(minutes: float) -> dict[str, Any]:
    return {"distribution": "fixed", "value": minutes}


def pool(service: float, **settings: Any) -> dict[str, Any]:
    """A pool of one agent who always takes ``service`` minutes, resolves with
    ``first_contact_resolution`` (default 1) whatever its skill, and has warmth 0.5."""
    return {
        "staffing": [1],
        "service_time": fixed(service),
        "warmth": {"mean": WARMTH, "sd": 0.0},
        "skill": {"mean": 0.7, "sd": 0.0},
        "skill_effect": 0.0,
        "first_contact_resolution": 1.0,
        **settings,
    }


def world(
    times: Sequence[float],
    pools: Mapping[str, dict[str, Any]],
    *,
    patience: float = INF,
    segment: Mapping[str, Any] | None = None,
    channel: Mapping[str, Any] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """Scenario data of a story: customers arriving at ``times`` (minutes, > 0) to the
    first of ``pools``, one segment (``patience`` fixed, retries and repeat contacts off
    unless ``segment`` says otherwise), one channel, and ``sections`` (``recovery``,
    ``service``) as given."""
    return {
        "name": "story",
        "run": {"seed": 1, "replications": 1, "warmup_minutes": 0.0},
        "arrivals": {"interval_minutes": HOUR, "rate_per_hour": [0.0], "times": list(times)},
        "segments": {
            "all": {
                "share": 1.0,
                "patience": fixed(patience),
                "retry_probability": 0.0,
                "recontact_probability": 0.0,
                **(segment or {}),
            }
        },
        "channels": {"phone": {"share": 1.0, **(channel or {})}},
        "pools": dict(pools),
        **sections,
    }


def tell(
    data: dict[str, Any],
    draws: Mapping[tuple[str, int], Sequence[float]] | None = None,
    engine: Engine = "fast",
) -> list[tuple[object, ...]]:
    """Every fact of the story, in the order reported.

    ``draws`` scripts uniform draws: ``{("resolution", 1): [0.1]}`` gives customer 0 a
    draw of 0.1 for the resolution of its second contact (one value per customer).
    """
    replication = Replication(scenario_from_dict(data), engine=engine)
    log: list[tuple[object, ...]] = []
    file = replication.recorder.report

    def report(fact: tuple[object, ...]) -> None:
        log.append(fact)
        file(fact)

    replication.recorder.report = report  # before the journeys' context is built
    context = replication.context()
    for (decision, contact), values in (draws or {}).items():
        context.decisions.draws.fix(decision, contact, values)
    replication.run()
    return log


def told(
    data: dict[str, Any], draws: Mapping[tuple[str, int], Sequence[float]] | None = None
) -> list[tuple[str, tuple[object, ...]]]:
    """The story on the fast engine, as ``(fact kind, fields)`` in time order, after
    checking that the plain-SimPy reference engine tells the very same story.

    Time order is each fact's ``at``, ties in the order reported. The order of
    reporting alone is not the story's: the fast engine abandons lazily
    (``docs/model/service-system.md``), so a customer who gave up while no agent
    looked is reported when the next agent looks, with the time it gave up.
    """
    fast = chronological(tell(data, draws, "fast"))
    assert chronological(tell(data, draws, "reference")) == fast, "the engines disagree"
    return fast


def chronological(facts: Sequence[tuple[object, ...]]) -> list[tuple[str, tuple[object, ...]]]:
    """:func:`named` facts sorted by their time ``at`` (stable: ties keep their order)."""
    return named(sorted(facts, key=lambda fact: fact.at))  # type: ignore[attr-defined]


def named(facts: Sequence[tuple[object, ...]]) -> list[tuple[str, tuple[object, ...]]]:
    """Facts with their kind: a NamedTuple compares equal to any tuple of its fields."""
    return [(type(fact).__name__, tuple(fact)) for fact in facts]

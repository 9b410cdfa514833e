"""A scripted world for story tests: a few customers, one-agent pools, given draws.

A story is the engine's real :class:`~peakend.simulation.replication.Replication` on a
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
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

from peakend import scenario_from_dict
from peakend.engine.acts.contact import first_contact
from peakend.simulation.replication import Engine, Replication

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


class Scene:
    """One act played on its own in a story's world: the act tests' stage.

    The world is the story's (:func:`world`), built as a real replication whose
    journeys are never started: the pools come on shift at time 0, and the test
    plays one act (a generator function of :mod:`peakend.engine.acts`) from a
    given time with :meth:`play`, which returns the act's value. Every fact the
    act reports is in :attr:`log`, in the order reported. :meth:`occupy` keeps a
    pool's agent busy for a while, so that a contact must wait.
    """

    def __init__(
        self,
        data: dict[str, Any],
        draws: Mapping[tuple[str, int], Sequence[float]] | None = None,
        engine: Engine = "fast",
    ) -> None:
        self.replication = replication = Replication(scenario_from_dict(data), engine=engine)
        self.log: list[tuple[object, ...]] = []
        replication.recorder.report = self.log.append  # before the context is built
        self.ctx = replication.context()
        for (decision, contact), values in (draws or {}).items():
            self.ctx.decisions.draws.fix(decision, contact, values)
        self.env = replication.env
        self.ended_at = math.nan
        self._occupied: list[int] = []
        """When the act played last ended, minutes."""
        for pool in replication.pools:
            self.env.process(pool.schedule(replication.scenario.intervals))

    def pool(self, name: str) -> Any:
        return self.ctx.routes.by_name[name]

    def contact(self, customer: int = 0, **fields: Any) -> Any:
        """Customer ``customer``'s first contact (its own patience and work at the entry
        pool), with ``fields`` of :class:`~peakend.engine.acts.contact.Contact` replaced."""
        decisions = self.ctx.decisions
        entry = self.ctx.routes.entry(0, 0)
        first = first_contact(
            self.ctx,
            customer,
            0,
            0,
            decisions.patience(customer, 0),
            decisions.work(entry, customer, 0),
        )
        return first._replace(**fields)

    def occupy(self, name: str, start: float, minutes: float) -> None:
        """The agent of pool ``name`` takes someone else's contact (reporting nothing) at
        ``start``, with ``minutes`` of work (on a chat pool, stretched like any chat)."""
        pool = self.pool(name)
        number = -2 - len(self._occupied)  # not a contact of the replication
        self._occupied.append(number)

        def busy() -> Generator[Any, Any, None]:
            yield self.env.timeout(start)
            agent = pool.take_idle() or (yield pool.queue_up(INF, False))
            yield pool.serve(agent, number, minutes)
            pool.release(agent, self.env.now, number)

        self.env.process(busy())

    def play(
        self, act: Callable[..., Generator[Any, Any, Any]], *args: Any, at: float = 1.0
    ) -> Any:
        """Play ``act(ctx, *args)`` from time ``at`` to its end (and the world to its end);
        returns the act's value."""
        value: list[Any] = []

        def scene() -> Generator[Any, Any, None]:
            yield self.env.timeout(at)
            value.append((yield from act(self.ctx, *args)))
            self.ended_at = self.env.now

        self.env.process(scene())
        self.env.run()
        assert value, "the act did not end"
        return value[0]

    def told(self) -> list[tuple[str, tuple[object, ...]]]:
        """The act's facts in the order reported, with their kinds (:func:`named`)."""
        return named(self.log)

"""What happened in a journey: typed facts, reported at the simulated time they happen.

A journey does not count, cost or feel anything. It reports facts to a
:class:`~peakend.engine.recorder.Recorder`: a customer queued, was answered,
gave up, was served with some result, noticed a failure, got an apology or a
coupon, was promised and given a callback, was transferred, heard a farewell,
was delighted, and finished. From these facts the recorder builds the contact
and customer records, and the experience package builds the moment utility.
Nothing in a fact depends on an experience setting.

Each fact is a small immutable :class:`~typing.NamedTuple` (cheaper to build on
the hot path than a frozen dataclass, and a tuple that numpy turns into a
structured array in one call). Times are minutes since the start of the run.
Contacts are numbered in the order they queue, across all customers of the
replication; ``contact`` fields refer to that number. Pools and agents are
indices into the scenario's pools and into the pool's roster.

A kind of fact is a unit: beside its fields it declares (:func:`fact`) what each fact
adds to its customer's record (a :class:`Tally`: counts, agent-minutes, money) and how
the customer feels it (a :class:`Felt`: its place in a contact's order of episodes and
its utility rule). The recorder and the moment-utility pass iterate over the declared
kinds (:func:`fact_kinds`) and name none of them, so a lever that adds a kind of fact
(``peakend.engine.follow_up``) declares it in its own module and touches neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple, TypeVar

from peakend.config.schema import ExperienceConfig

__all__ = [
    "AlternativeOffered",
    "Apologised",
    "Balked",
    "CallbackPromised",
    "CalledBack",
    "Compensated",
    "ContactKind",
    "Delighted",
    "FACT_TYPES",
    "TALLY_COLUMNS",
    "FailureNoticed",
    "Felt",
    "Kind",
    "Farewell",
    "Finished",
    "GaveUp",
    "HoldOffered",
    "InIvr",
    "IvrEnding",
    "Outcome",
    "Queued",
    "ServiceResult",
    "Served",
    "Tally",
    "Transferred",
    "fact",
    "fact_kinds",
    "fast",
    "kind_of",
    "price_keys",
    "queued",
    "served",
    "tallied_by",
]


class Outcome(IntEnum):
    """How a journey ended."""

    RESOLVED = 0
    UNRESOLVED = 1
    ABANDONED = 2
    IN_SYSTEM = 3
    """Still waiting, in service or due to come back when the run ended."""


class IvrEnding(IntEnum):
    """How a stay in the IVR (self-service menus before the queue) ended."""

    QUEUED = 0
    """On to the queue for an agent."""
    LEFT = 1
    """Hung up in the IVR."""
    SELF_SERVED = 2
    """Finished in self-service, with no agent."""


class ServiceResult(IntEnum):
    """What a service did to the problem, and whether anyone saw it."""

    RESOLVED = 0
    FAILED_SEEN = 1
    """Not resolved, and the agent (so the customer) sees it at once."""
    FAILED_UNSEEN = 2
    """Not resolved, but it looks fine: the customer finds out later."""
    CUT = 3
    """Still in progress when a run without drain ended."""
    TRANSFERRED = 4
    """The agent heard the problem and passed the contact on to another pool."""


class ContactKind(IntEnum):
    """Why a contact queues."""

    FIRST = 0
    RETRY = 1
    """Again after giving up in the queue."""
    RECONTACT = 2
    """Again because the problem was not resolved (or a hidden defect was found)."""
    CALLBACK = 3
    """The company calls the customer back (recovery policy)."""
    ESCALATION = 4
    """Transferred to a senior pool (recovery policy)."""
    STAGE = 5
    """The next stage of a journey of several stages (seat, order, food, bill)."""
    TRANSFER = 6
    """Passed on by an agent to another pool (the runaround)."""


@dataclass(frozen=True)
class Tally:
    """What each fact of a kind adds to its customer's record.

    Columns are those of :class:`~peakend.engine.records.CustomerRecord`. Agent time
    goes to a ``*_minutes`` column as agent-minutes (the roster is paid anyway, in staff
    cost); money paid out goes to a ``*_cost`` column, never both for the same thing.
    """

    count: tuple[str, ...] = ()
    """Columns that count one per fact."""
    count_contact: tuple[str, ...] = ()
    """Columns that count one per contact with a fact of any kind declaring the column
    (an apology and a coupon for the same failure are one recovery)."""
    minutes: str = ""
    """Column that sums the fact's ``minutes`` field (agent-minutes)."""
    money: str = ""
    """Column that sums the money paid out per fact, :attr:`price`."""
    price: str = ""
    """Where a fact's money comes from: a field of the fact (``amount``), or a dotted
    scenario key (``service.delight_cost``) priced once per fact."""
    what: str = ""
    """The facts as a column's description names them: ``coupons``."""

    def columns(self) -> tuple[str, ...]:
        """Every customer column this kind adds to."""
        named = (self.minutes, self.money)
        return (*self.count, *self.count_contact, *(name for name in named if name))


@dataclass(frozen=True)
class Felt:
    """How a customer feels a fact: its episodes' place in a contact's order, and the
    utility rule of their points (before the value function; see
    ``docs/model/moment-utility.md``).

    The simple rule is ``points = ±gain * times``: ``gain`` names a field of
    :class:`~peakend.config.schema.ExperienceConfig`, ``times`` a field of the fact
    (the agent's warmth). A rule that needs more (a coupon's worth against the loss, a
    callback's speed, a failure's size) is named by ``rule`` and written in
    :mod:`peakend.experience.moments`.
    """

    places: tuple[tuple[str, float], ...]
    """``(phase name, place)``: episodes of one contact are ordered by place (a number:
    a new kind goes between two others without renumbering them). The first is the
    kind's phase; a named rule may choose among several (a failure told first, at the
    end, or found later)."""
    trace: str
    """The trace kind of its episodes: a member of ``peakend.experience.trace.EpisodeKind``,
    by name in lower case."""
    gain: str = ""
    loss: bool = False
    """The gain is a loss (``points = -gain``)."""
    times: str = ""
    on_top: bool = False
    """Its points come on top of the moment it follows: the contact's service, or the
    latest on-top episode of the contact before it."""
    adapted: bool = False
    """The gain is reduced by the share of extras the customer has come to expect
    (hedonic adaptation)."""
    recovery: bool = False
    """A remedy of the contact's failure: it builds goodwill and fits the loss."""
    rule: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of fact and what it declares beside its fields."""

    type: type[tuple[object, ...]]
    tally: Tally
    felt: Felt | None
    """None: not felt as an episode of its own."""


_KINDS: dict[type, Kind] = {}

K = TypeVar("K", bound=type[tuple[object, ...]])


TALLY_COUNTS = ("transfers", "failures", "recoveries")
TALLY_COLUMNS = (
    *TALLY_COUNTS,
    "recovery_cost",
    "recovery_minutes",
    "extras_cost",
    "extras_minutes",
)
"""The customer columns a kind of fact may add to (:class:`Tally`); the counts are integers."""


def fact(tally: Tally | None = None, felt: Felt | None = None) -> Callable[[K], K]:
    """Class decorator: declare a kind of fact (see :class:`Tally` and :class:`Felt`).

    Raises ValueError, before anything is declared, if a kind of that name or a phase
    name is declared already, if the tally names a column not in :data:`TALLY_COLUMNS`,
    or if a simple utility rule's ``gain`` is not a setting of the ``experience`` section.
    """
    tally = tally or Tally()

    def declare(kind: K) -> K:
        name = kind.__name__
        if any(known.__name__ == name for known in _KINDS):
            raise ValueError(f"a kind of fact named {name} is declared already")
        unknown = sorted(set(tally.columns()) - set(TALLY_COLUMNS))
        if unknown:
            raise ValueError(
                f"{name} adds to {unknown}: a kind of fact adds to {', '.join(TALLY_COLUMNS)}"
            )
        if felt is not None:
            taken = {phase for known in _KINDS.values() for phase in _phases(known)}
            clash = taken & {phase for phase, _ in felt.places}
            if clash:
                raise ValueError(f"{name}: phase {sorted(clash)} is declared already")
            if felt.gain and felt.gain not in ExperienceConfig.model_fields:
                raise ValueError(f"{name}: gain {felt.gain!r} is no setting of [experience]")
        _KINDS[kind] = Kind(kind, tally, felt)
        return kind

    return declare


def _phases(kind: Kind) -> tuple[str, ...]:
    return tuple(name for name, _ in kind.felt.places) if kind.felt else ()


def fact_kinds() -> tuple[Kind, ...]:
    """Every declared kind of fact, in the order declared.

    A kind is declared when its module is imported. The journey imports every lever
    module (``peakend.engine.acts.after`` lists their steps), so a replication knows
    every kind it can report; a description that lists kinds imports the journey
    first (:func:`peakend.analysis.registry.record_columns`).
    """
    return tuple(_KINDS.values())


def kind_of(kind: type) -> Kind:
    """The declaration of one kind of fact."""
    return _KINDS[kind]


def price_keys() -> tuple[str, ...]:
    """The scenario keys that price a fact (``service.delight_cost``), in declared order:
    what the recorder's ``prices`` must hold."""
    keys = []
    for kind in fact_kinds():
        price = kind.tally.price
        if price and price not in kind.type._fields and price not in keys:  # type: ignore[attr-defined]
            keys.append(price)
    return tuple(keys)


def tallied_by(column: str) -> tuple[Kind, ...]:
    """The kinds of fact that add to a customer column, in declared order."""
    return tuple(kind for kind in fact_kinds() if column in kind.tally.columns())


@fact(felt=Felt((("wait", 0.0),), "wait", rule="wait"))
class Queued(NamedTuple):
    """A contact joins the queue of ``pool``."""

    contact: int
    customer: int
    pool: int
    kind: int
    """:class:`ContactKind`."""
    at: float
    deadline: float
    """When the customer's patience runs out (inf: unlimited)."""
    felt: bool
    """Whether the customer experiences the wait (False: waiting at home for a callback)."""


@fact(felt=Felt((("service", 3.0),), "service", rule="service"))
class Served(NamedTuple):
    """A service is over: ``agent`` took the contact at ``start``, the work ended at ``at``.

    Reported once, when its result is known (closing words and apologies come
    after it). A service still running when a run without drain ends is written
    by the recorder, from the pools' books, as cut at the end.
    """

    contact: int
    start: float
    at: float
    pool: int
    """The pool of the agent (another than the queue's when the contact overflowed)."""
    agent: int
    warmth: float
    """The agent's warmth as the customer met it, on [0, 1]."""
    result: int
    """:class:`ServiceResult`."""


@fact()
class GaveUp(NamedTuple):
    """The customer's patience ran out in the queue."""

    contact: int
    at: float


@fact(
    Tally(count=("failures",), what="failures noticed"),
    Felt(
        (("failure", 4.0), ("bad_news_first", 2.0), ("found_out", 10.0)),
        "failure",
        rule="failure",
    ),
)
class FailureNoticed(NamedTuple):
    """The customer learns that the problem of ``contact`` was not resolved."""

    customer: int
    contact: int
    at: float
    later: bool
    """True: a hidden defect found after the contact (the wrong ticket at the gate)."""
    first: bool
    """True: the agent tells the bad news before the rest of the service (bad news first)."""


@fact(
    Tally(count_contact=("recoveries",), minutes="recovery_minutes", what="apologies"),
    Felt((("apology", 5.0),), "recovery", gain="apology_gain", times="warmth", recovery=True),
)
class Apologised(NamedTuple):
    """The agent apologises for a failure it saw, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float
    """The warmth of the agent who apologises."""


@fact(
    Tally(
        count_contact=("recoveries",),
        minutes="recovery_minutes",
        what="offered alternatives (service.offer_alternative)",
    ),
    Felt(
        (("alternative", 7.0),), "recovery", gain="alternative_gain", times="warmth", recovery=True
    ),
)
class AlternativeOffered(NamedTuple):
    """An unresolved contact ends with an alternative offered, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float


@fact(
    Tally(count_contact=("recoveries",), money="recovery_cost", price="amount", what="coupons"),
    Felt((("coupon", 6.0),), "recovery", rule="compensation", recovery=True),
)
class Compensated(NamedTuple):
    """A coupon worth ``amount`` (money) after a failure."""

    customer: int
    contact: int
    at: float
    amount: float


@fact()
class CallbackPromised(NamedTuple):
    """After a failure the company promises to call back by ``due``."""

    customer: int
    contact: int
    at: float
    due: float


@fact(felt=Felt((("held_call", 1.0),), "other", rule="held_call"))
class HoldOffered(NamedTuple):
    """Told a long expected wait, the customer takes a virtual hold: a callback that keeps
    its place in the queue, promised by ``due``."""

    customer: int
    contact: int
    at: float
    due: float


@fact()  # felt as its wait: the announced wait's last moment (Queued's rule)
class Balked(NamedTuple):
    """Told the expected wait ``announced`` (minutes), the customer left at once."""

    customer: int
    contact: int
    at: float
    announced: float


@fact(
    Tally(count=("recoveries",), what="callbacks"),
    Felt((("callback", 11.0),), "recovery", rule="callback", recovery=True),
)
class CalledBack(NamedTuple):
    """The company calls back about ``contact`` (the callback contact then queues)."""

    customer: int
    contact: int
    at: float
    promised_at: float
    due: float


@fact(
    Tally(count=("transfers",), what="transfers"),
    Felt((("transfer", 12.0),), "transfer", gain="transfer_penalty", loss=True),
)
class Transferred(NamedTuple):
    """After ``contact`` the customer is passed from one pool to another."""

    customer: int
    contact: int
    at: float
    from_pool: int
    to_pool: int


@fact(
    Tally(minutes="extras_minutes", what="farewells"),
    Felt((("farewell", 8.0),), "farewell", gain="farewell_gain", times="warmth", on_top=True),
)
class Farewell(NamedTuple):
    """A closing ritual after a resolved service, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float


@fact(
    Tally(
        money="extras_cost",
        price="service.delight_cost",
        what="delight extras at service.delight_cost",
    ),
    Felt((("delight", 9.0),), "delight", gain="delight_gain", on_top=True, adapted=True),
)
class Delighted(NamedTuple):
    """An unexpected small extra at the end of a contact."""

    customer: int
    contact: int
    at: float


@fact()
class Finished(NamedTuple):
    """The journey is over, other than resolved.

    A journey that ends resolved reports no ``Finished``: its last service (resolved,
    with no contact after it) says so, and one fact less per customer matters on the
    hot path.
    """

    customer: int
    at: float
    outcome: int
    """:class:`Outcome`."""


@fact(
    felt=Felt(
        # First in place order: its episodes (in the phases of the wait and the service
        # of the contact that may follow) come before that contact's own.
        (("ivr", -1.0),),
        "wait",
        rule="ivr",
    )
)
class InIvr(NamedTuple):
    """The customer spent ``minutes`` in the IVR from ``at``, before contact ``number``."""

    customer: int
    number: int
    """The customer's contact (1, 2, ...) the IVR came before: the one that queues next,
    if it does (the IVR has no contact of its own in the replication's numbering)."""
    at: float
    minutes: float
    ending: int
    """:class:`IvrEnding`."""


FACT_TYPES: tuple[type[tuple[object, ...]], ...] = tuple(_KINDS)
"""The kinds of fact this module declares, in order (a lever module may declare more:
:func:`fact_kinds` lists them all)."""


F = TypeVar("F", bound=tuple[object, ...])


def fast(kind: type[F]) -> Callable[[tuple[object, ...]], F]:
    """A constructor of ``kind`` from a tuple of its fields in order.

    A NamedTuple's own constructor is a Python function; ``tuple.__new__`` bound to
    the class is C, about twice as fast, which matters for the facts that every
    customer reports (queued, served).
    """
    return functools.partial(tuple.__new__, kind)  # type: ignore[return-value]


queued = fast(Queued)
"""``queued((contact, customer, pool, kind, at, deadline, felt))``: a :class:`Queued`."""
served = fast(Served)
"""``served((contact, start, at, pool, agent, warmth, result))``: a :class:`Served`."""

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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple, TypeVar

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
    "FailureNoticed",
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
    "Transferred",
    "fast",
    "queued",
    "served",
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


class GaveUp(NamedTuple):
    """The customer's patience ran out in the queue."""

    contact: int
    at: float


class FailureNoticed(NamedTuple):
    """The customer learns that the problem of ``contact`` was not resolved."""

    customer: int
    contact: int
    at: float
    later: bool
    """True: a hidden defect found after the contact (the wrong ticket at the gate)."""
    first: bool
    """True: the agent tells the bad news before the rest of the service (bad news first)."""


class Apologised(NamedTuple):
    """The agent apologises for a failure it saw, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float
    """The warmth of the agent who apologises."""


class AlternativeOffered(NamedTuple):
    """An unresolved contact ends with an alternative offered, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float


class Compensated(NamedTuple):
    """A coupon worth ``amount`` (money) after a failure."""

    customer: int
    contact: int
    at: float
    amount: float


class CallbackPromised(NamedTuple):
    """After a failure the company promises to call back by ``due``."""

    customer: int
    contact: int
    at: float
    due: float


class HoldOffered(NamedTuple):
    """Told a long expected wait, the customer takes a virtual hold: a callback that keeps
    its place in the queue, promised by ``due``."""

    customer: int
    contact: int
    at: float
    due: float


class Balked(NamedTuple):
    """Told the expected wait ``announced`` (minutes), the customer left at once."""

    customer: int
    contact: int
    at: float
    announced: float


class CalledBack(NamedTuple):
    """The company calls back about ``contact`` (the callback contact then queues)."""

    customer: int
    contact: int
    at: float
    promised_at: float
    due: float


class Transferred(NamedTuple):
    """After ``contact`` the customer is passed from one pool to another."""

    customer: int
    contact: int
    at: float
    from_pool: int
    to_pool: int


class Farewell(NamedTuple):
    """A closing ritual after a resolved service, from ``at`` for ``minutes``."""

    customer: int
    contact: int
    at: float
    minutes: float
    warmth: float


class Delighted(NamedTuple):
    """An unexpected small extra at the end of a contact."""

    customer: int
    contact: int
    at: float


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


FACT_TYPES: tuple[type[tuple[object, ...]], ...] = (
    Queued,
    GaveUp,
    Served,
    FailureNoticed,
    Apologised,
    Compensated,
    AlternativeOffered,
    CallbackPromised,
    CalledBack,
    HoldOffered,
    Balked,
    Transferred,
    Farewell,
    Delighted,
    Finished,
    InIvr,
)
"""Every kind of fact, in a fixed order (the recorder keeps one list per kind)."""


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

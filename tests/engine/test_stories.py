"""The journey told as stories: exact fact logs of a scripted world.

Each test is a short story of one or two customers at one-agent pools
(:mod:`stories`), and the log it expects is written out by hand from the rules of
``docs/model/service-system.md`` and ``docs/model/journeys.md``: who queues when,
with which deadline, when the agent answers, what the service did, and what comes
after. Every story runs on the fast engine and on the plain-SimPy reference
engine, which must report the same facts in the same order.

Agents have warmth 0.5 (``W``); times are exact in binary, so the logs compare
with ``==``.
"""

from __future__ import annotations

from stories import INF, WARMTH, fixed, pool, told, world

from peakend.engine.facts import (
    AlternativeOffered,
    Apologised,
    Balked,
    CallbackPromised,
    CalledBack,
    ContactKind,
    FailureNoticed,
    Finished,
    GaveUp,
    HoldOffered,
    Outcome,
    Queued,
    ServiceResult,
    Served,
    Transferred,
)
from stories import named

W = WARMTH
FIRST, RETRY, RECONTACT = ContactKind.FIRST, ContactKind.RETRY, ContactKind.RECONTACT
RESOLVED, FAILED_SEEN, FAILED_UNSEEN = (
    ServiceResult.RESOLVED,
    ServiceResult.FAILED_SEEN,
    ServiceResult.FAILED_UNSEEN,
)

FAILS_THEN_RESOLVES = {("resolution", 0): [0.9], ("resolution", 1): [0.1]}
"""One customer at a desk that resolves half its problems: not the first time, the second."""
HALF = pool(4.0, first_contact_resolution=0.5)
"""A desk of one agent: 4 minutes a service, half the problems resolved (by the script)."""


def test_a_customer_who_gives_up_tries_again_after_the_retry_delay():
    # Ann is served 1-11. Bob (patience 3) queues at 2, gives up at 5, tries again
    # 4 minutes later (9, new deadline 12) and is answered when Ann's service ends.
    data = world(
        [1.0, 2.0],
        {"desk": pool(10.0)},
        patience=3.0,
        segment={"retry_probability": 1.0, "retry_delay": fixed(4.0)},
    )
    assert told(data) == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, 4.0, True),
            Queued(1, 1, 0, FIRST, 2.0, 5.0, True),
            GaveUp(1, 5.0),
            Queued(2, 1, 0, RETRY, 9.0, 12.0, True),
            Served(0, 1.0, 11.0, 0, 0, W, RESOLVED),
            Served(2, 11.0, 21.0, 0, 0, W, RESOLVED),
        ]
    )


def test_a_customer_who_gives_up_without_retrying_is_finished_abandoned():
    data = world([1.0, 2.0], {"desk": pool(10.0)}, patience=3.0)
    assert told(data) == named(
        [
            Queued(0, 0, 0, FIRST, 1.0, 4.0, True),
            Queued(1, 1, 0, FIRST, 2.0, 5.0, True),
            GaveUp(1, 5.0),
            Finished(1, 5.0, Outcome.ABANDONED),
            Served(0, 1.0, 11.0, 0, 0, W, RESOLVED),
        ]
    )

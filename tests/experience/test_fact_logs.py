"""The experience of journeys written by hand as fact logs: exact moments, no day simulated.

Each test lists the facts one customer's journey would report (the stories of
``tests/engine/test_stories.py``) and checks the moments the experience pass makes of
them, and the records, against the rules of ``docs/model/moment-utility.md``. They
replace tests that simulated a busy day to check the same arithmetic in aggregate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from by_hand import EXPECTED_WAIT, PERCEPTION, SEVERITY, experience, v

from peakend.config.schema import ExperienceConfig
from peakend.engine.facts import (
    Apologised,
    Balked,
    CallbackPromised,
    CalledBack,
    ContactKind,
    FailureNoticed,
    Farewell,
    Finished,
    GaveUp,
    Outcome,
    Queued,
    Served,
    ServiceResult,
    Transferred,
)
from peakend.experience.moments import urgency_points
from peakend.experience.trace import EpisodeKind

INF = math.inf
W = 0.5
FIRST = ContactKind.FIRST
DEFAULTS = ExperienceConfig()
WAIT, SERVICE, FAILURE, RECOVERY, FAREWELL, TRANSFER = (
    EpisodeKind.WAIT,
    EpisodeKind.SERVICE,
    EpisodeKind.FAILURE,
    EpisodeKind.RECOVERY,
    EpisodeKind.FAREWELL,
    EpisodeKind.TRANSFER,
)

ANSWERED = Queued(0, 0, 0, FIRST, 1.0, INF, True)
"""The customer arrives at 1 and an agent is free: no wait."""
RESOLVED = [ANSWERED, Served(0, 1.0, 5.0, 0, 0, W, ServiceResult.RESOLVED)]
FAILED = [
    ANSWERED,
    Served(0, 1.0, 5.0, 0, 0, W, ServiceResult.FAILED_SEEN),
    FailureNoticed(0, 0, 5.0, False, False),
]


def kinds(lived) -> list[int]:
    return [kind for kind, *_ in lived.pieces()]


def test_a_farewell_is_the_last_moment_and_agent_time_without_money():
    plain = experience(RESOLVED, [1.0])
    warm = experience([*RESOLVED, Farewell(0, 0, 5.0, 0.5, W)], [1.0])
    assert kinds(plain) == [SERVICE]
    assert kinds(warm) == [SERVICE, FAREWELL]
    assert warm.pieces()[0] == plain.pieces()[0]  # the service itself is unchanged
    _, start, minutes, u = warm.pieces()[-1]
    assert (start, minutes) == (5.0, 0.5) and u > 0
    assert warm.remembered[0] > plain.remembered[0]  # it finishes strong
    assert warm.customers["extras_minutes"].tolist() == [0.5]
    assert warm.customers["extras_cost"].tolist() == [0.0]
    assert plain.customers["extras_minutes"].tolist() == [0.0]


def test_an_apology_softens_the_failure_it_fits_and_costs_agent_time_only():
    blunt = experience([*FAILED, Finished(0, 5.0, Outcome.UNRESOLVED)], [1.0])
    sorry = experience(
        [*FAILED, Apologised(0, 0, 5.0, 0.5, W), Finished(0, 5.5, Outcome.UNRESOLVED)], [1.0]
    )
    assert kinds(blunt) == [SERVICE, FAILURE]
    assert kinds(sorry) == [SERVICE, FAILURE, RECOVERY]
    gain = DEFAULTS.apology_gain * W
    fit = min(1.0, gain / SEVERITY)
    assert blunt.pieces()[1][3] == pytest.approx(v(-SEVERITY))
    assert sorry.pieces()[1][3] == pytest.approx(
        v(-SEVERITY * (1 - DEFAULTS.recovery_reframing * fit))
    )
    assert sorry.pieces()[2] == pytest.approx((RECOVERY, 5.0, 0.5, v(gain)))
    assert sorry.remembered[0] > blunt.remembered[0]
    c = sorry.customers
    assert (c["failures"][0], c["recoveries"][0]) == (1, 1)
    assert c["recovery_minutes"].tolist() == [0.5]
    assert c["recovery_cost"].tolist() == [0.0]  # no coupon: no money paid out
    assert blunt.customers["recoveries"].tolist() == [0]


def test_a_second_failure_after_a_recovery_is_a_double_deviation():
    """Re-framing is off, so that the shocks show their size as it is."""
    facts = [
        *FAILED,
        Apologised(0, 0, 5.0, 0.5, W),
        Queued(1, 0, 0, ContactKind.RECONTACT, 20.0, INF, True),
        Served(1, 20.0, 24.0, 0, 0, W, ServiceResult.FAILED_SEEN),
        FailureNoticed(0, 1, 24.0, False, False),
        Apologised(0, 1, 24.0, 0.5, W),
        Finished(0, 24.5, Outcome.UNRESOLVED),
    ]
    lived = experience(facts, [1.0], recovery_reframing=0.0)
    shocks = [u for kind, _, _, u in lived.pieces() if kind == FAILURE]
    goodwill = DEFAULTS.apology_gain * W  # gained since the previous failure
    second = SEVERITY * (1 + DEFAULTS.double_deviation_penalty) + goodwill
    assert shocks == pytest.approx([v(-SEVERITY), v(-second)])
    assert lived.customers["effort"].tolist() == [1]  # the repeat contact


def test_a_hidden_defect_feels_fine_and_hits_when_found_out():
    hidden = [
        ANSWERED,
        Served(0, 1.0, 5.0, 0, 0, W, ServiceResult.FAILED_UNSEEN),
        FailureNoticed(0, 0, 25.0, True, False),
        Finished(0, 25.0, Outcome.UNRESOLVED),
    ]
    lived = experience(hidden, [1.0])
    fine = experience(RESOLVED, [1.0])
    assert lived.pieces()[0] == fine.pieces()[0]  # the service looks resolved
    assert lived.pieces()[1] == pytest.approx((FAILURE, 25.0, 0.0, v(-SEVERITY)))
    assert lived.customers["outcome"].tolist() == [Outcome.UNRESOLVED]
    assert fine.customers["outcome"].tolist() == [Outcome.RESOLVED]


def callback(due: float) -> list[tuple[object, ...]]:
    """The story of the callback: failed at 5, promised by ``due``, called at 10, resolved."""
    return [
        *FAILED,
        CallbackPromised(0, 0, 5.0, due),
        CalledBack(0, 0, 10.0, 5.0, due),
        Queued(1, 0, 0, ContactKind.CALLBACK, 10.0, INF, False),
        Served(1, 10.0, 14.0, 0, 0, W, ServiceResult.RESOLVED),
    ]


def test_a_callback_is_goodwill_by_its_speed_less_its_lateness():
    urgency = float(
        urgency_points(5.0, DEFAULTS.callback_urgency_gain, DEFAULTS.callback_urgency_minutes)
    )
    on_time = experience(callback(15.0), [1.0])
    late = experience(callback(7.0), [1.0])
    (recovery,) = [p for p in on_time.pieces() if p[0] == RECOVERY]
    assert recovery == pytest.approx((RECOVERY, 10.0, 0.0, v(urgency)))
    late_points = urgency - DEFAULTS.broken_promise_per_minute * 3.0  # called 3 minutes late
    (late_recovery,) = [p for p in late.pieces() if p[0] == RECOVERY]
    assert late_recovery == pytest.approx((RECOVERY, 10.0, 0.0, v(late_points)))
    # Waiting at home is no wait: no wait piece, and the call's service is not late.
    assert WAIT not in kinds(on_time)
    services = [p for p in on_time.pieces() if p[0] == SERVICE]
    resolved_at_once = experience(RESOLVED, [1.0]).pieces()[0]
    assert services[1][3] == pytest.approx(resolved_at_once[3])
    c = on_time.customers
    # The company's effort, not the customer's: agent time for the call, no money.
    assert c["effort"].tolist() == [0]
    assert c["recoveries"].tolist() == [1]
    assert c["recovery_minutes"].tolist() == [4.0]
    assert c["recovery_cost"].tolist() == [0.0]
    assert c["outcome"].tolist() == [Outcome.RESOLVED]


def test_a_wait_over_expectation_is_flat_discomfort_then_a_growing_loss():
    # Queued at 1, answered at 9: 8 minutes, felt as 8 x 1.33, against an expected 2.
    facts = [
        Queued(0, 0, 0, FIRST, 1.0, INF, True),
        Served(0, 9.0, 13.0, 0, 0, W, ServiceResult.RESOLVED),
    ]
    lived = experience(facts, [1.0])
    waits = [p for p in lived.pieces() if p[0] == WAIT]
    knee = 2.0 / 1.33
    assert waits[0] == pytest.approx((WAIT, 1.0, knee, -DEFAULTS.wait_discomfort))
    assert len(waits) == 1 + DEFAULTS.wait_curve_pieces
    last_u_end = float(lived.traces.u_end[np.flatnonzero(lived.traces.kind == WAIT)[-1]])
    excess = 1.33 * 8.0 - 2.0
    assert last_u_end == pytest.approx(
        -DEFAULTS.wait_discomfort + v(-DEFAULTS.wait_loss_per_minute * excess)
    )
    assert sum(d for _, _, d, _ in waits) == pytest.approx(8.0)


def test_an_escalation_is_a_transfer_moment_and_the_seniors_time_is_recovery():
    facts = [
        *FAILED,
        Transferred(0, 0, 5.0, 0, 1),
        Queued(1, 0, 1, ContactKind.ESCALATION, 5.0, INF, True),
        Served(1, 5.0, 11.0, 1, 0, W, ServiceResult.RESOLVED),
    ]
    lived = experience(facts, [1.0])
    assert kinds(lived) == [SERVICE, FAILURE, TRANSFER, SERVICE]
    assert lived.pieces()[2] == pytest.approx((TRANSFER, 5.0, 0.0, v(-DEFAULTS.transfer_penalty)))
    c = lived.customers
    assert (c["transfers"][0], c["effort"][0]) == (1, 1)  # explained again: one more effort
    assert c["recovery_minutes"].tolist() == [6.0]  # the seniors' service, paid roster time
    assert c["recovery_cost"].tolist() == [0.0]
    assert c["outcome"].tolist() == [Outcome.RESOLVED]


def test_a_balk_is_one_moment_of_the_announced_wait_and_the_problem_left():
    facts = [
        Balked(0, 0, 1.0, 10.0),
        Queued(0, 0, 0, FIRST, 1.0, 1.0, True),
        GaveUp(0, 1.0),
        Finished(0, 1.0, Outcome.ABANDONED),
    ]
    lived = experience(facts, [1.0])
    over = PERCEPTION * 10.0 - EXPECTED_WAIT  # the told wait, felt, over expectation
    value = -DEFAULTS.wait_discomfort + v(
        -DEFAULTS.wait_loss_per_minute * over - DEFAULTS.balk_unresolved_share * SEVERITY
    )
    (moment,) = lived.pieces()
    assert moment == pytest.approx((WAIT, 1.0, 0.0, value))
    assert lived.remembered.tolist() == pytest.approx([value])
    assert lived.customers["outcome"].tolist() == [Outcome.ABANDONED]

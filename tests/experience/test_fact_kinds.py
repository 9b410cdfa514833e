"""A kind of fact declares, beside its fields, what it adds and how it is felt.

The recorder and the moment-utility pass name no kind: they iterate over the declarations
(``peakend.engine.facts``). These tests check the declarations themselves: their order
gives the phases without renumbering, a declaration that cannot work is refused before
anything is declared, and the recorder's sums are the declared ones.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest
from by_hand import experience

from peakend.engine import facts
from peakend.engine.facts import (
    TALLY_COLUMNS,
    AlternativeOffered,
    Apologised,
    Compensated,
    ContactKind,
    Delighted,
    FailureNoticed,
    Farewell,
    Felt,
    Queued,
    ServiceResult,
    Tally,
    fact,
    fact_kinds,
    price_keys,
    tallied_by,
)
from peakend.experience.moments import phase_codes

INF = math.inf


def test_phases_are_the_ranks_of_the_declared_places():
    """The order of a contact's episodes as the model describes it
    (``docs/model/moment-utility.md``); the follow-up, declared in its own module at 9.5,
    slots in after the delight without moving anything by hand; the IVR, before the wait,
    ranks first."""
    codes = phase_codes()
    order = sorted(codes, key=codes.__getitem__)
    assert order == [
        "ivr",
        "wait",
        "held_call",
        "bad_news_first",
        "service",
        "failure",
        "apology",
        "coupon",
        "alternative",
        "farewell",
        "delight",
        "follow_up",
        "found_out",
        "callback",
        "transfer",
    ]
    assert sorted(codes.values()) == list(range(len(codes)))


def test_every_tally_names_known_columns_and_prices():
    for kind in fact_kinds():
        assert set(kind.tally.columns()) <= set(TALLY_COLUMNS), kind.type.__name__
    assert price_keys() == ("service.delight_cost", "service.follow_up_cost")
    assert [k.type for k in tallied_by("recovery_minutes")] == [Apologised, AlternativeOffered]


class _Probe(NamedTuple):
    customer: int
    contact: int
    at: float


@pytest.mark.parametrize(
    ("tally", "felt", "message"),
    [
        (Tally(money="profit"), None, r"adds to \['profit'\]"),
        (None, Felt((("apology", 99.0),), "recovery", gain="apology_gain"), "phase"),
        (None, Felt((("probe", 99.0),), "other", gain="no_such_gain"), "no setting"),
    ],
)
def test_a_declaration_that_cannot_work_is_refused_before_it_counts(tally, felt, message):
    before = fact_kinds()
    with pytest.raises(ValueError, match=message):
        fact(tally, felt)(_Probe)
    assert fact_kinds() == before


def test_a_kind_is_declared_once():
    class Served(NamedTuple):  # the name of a kind declared already
        at: float

    before = fact_kinds()
    with pytest.raises(ValueError, match="Served is declared already"):
        fact()(Served)
    assert fact_kinds() == before


def test_the_recorder_sums_what_the_kinds_declare():
    """One customer: a failed service met with an apology (0.5 agent-minutes) and a coupon
    of 7, then a resolved contact with a farewell (0.75) and a delight; the second customer
    nothing but a resolved service. Recoveries count once per contact (apology and coupon
    of one failure are one recovery), money is the coupon's amount, minutes the facts'."""
    lived = experience(
        [
            Queued(0, 0, 0, ContactKind.FIRST, 1.0, INF, True),
            facts.Served(0, 1.0, 5.0, 0, 0, 0.5, ServiceResult.FAILED_SEEN),
            FailureNoticed(0, 0, 5.0, False, False),
            Apologised(0, 0, 5.0, 0.5, 0.5),
            Compensated(0, 0, 5.5, 7.0),
            Queued(1, 1, 0, ContactKind.FIRST, 2.0, INF, True),
            facts.Served(1, 2.0, 4.0, 0, 1, 0.5, ServiceResult.RESOLVED),
            Queued(2, 0, 0, ContactKind.RECONTACT, 20.0, INF, True),
            facts.Served(2, 20.0, 24.0, 0, 0, 0.5, ServiceResult.RESOLVED),
            Farewell(0, 2, 24.0, 0.75, 0.5),
            Delighted(0, 2, 24.75),
        ],
        [1.0, 2.0],
    )
    people = lived.customers
    assert people["failures"].tolist() == [1, 0]
    assert people["recoveries"].tolist() == [1, 0]
    assert people["recovery_cost"].tolist() == [7.0, 0.0]
    assert people["recovery_minutes"].tolist() == [0.5, 0.0]
    assert people["extras_minutes"].tolist() == [0.75, 0.0]
    assert np.array_equal(people["extras_cost"], [0.0, 0.0])  # a hand log prices nothing

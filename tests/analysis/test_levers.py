"""The levers of docs/levers.md, pulled in the engine on the shipped scenarios.

Each lever runs 20 paired replications (common random numbers: both arms see the
same customers and draws), as in ``peakend validate``, and each check uses a 99 % paired
Student-t interval
(peakend.checks.levers.LEVEL), so a correct model fails a given check by chance
with probability about 0.5 %; the seeds are fixed, so a pass is reproducible.
"""

from __future__ import annotations

import numpy as np
import pytest

from peakend import ConfigError, load_scenario, simulate
from peakend.checks.levers import LEVERS, SUITES, Check, Lever, failed_customers_memory, run_levers
from peakend.checks.validate import LEVERS_REPLICATIONS
from peakend.retention.returns import LogisticReturn

from conftest import ROOT

CONTACT_CENTRE = ROOT / "configs" / "contact_centre.toml"
REPLICATIONS = 20


@pytest.mark.slow  # every lever of the model, 20 paired replications on four shipped days
@pytest.mark.parametrize("config", list(SUITES), ids=[c.removesuffix(".toml") for c in SUITES])
def test_each_lever_moves_its_shipped_scenario_in_the_documented_direction(config):
    """Every lever of the suite on the shipped scenario that uses it (the contact centre:
    the model's levers; the others: priorities, overflow, virtual hold, chat concurrency,
    balking, stages, breaks and transfers), pulled together so that an arm two levers
    share is simulated once (``run_levers``); each row is the one that lever gets alone,
    and exactly the rows of ``peakend validate``'s levers section."""
    report = run_levers(ROOT / "configs" / config, REPLICATIONS, levers=SUITES[config])
    assert {row["lever"] for row in report.rows()} == {lever.name for lever in SUITES[config]}
    failures = [row for row in report.rows() if not row["ok"]]
    assert not failures, failures


def test_the_suite_checks_what_validate_reports():
    assert REPLICATIONS == LEVERS_REPLICATIONS
    assert set(LEVERS) <= set(SUITES["contact_centre.toml"])


def test_pulling_levers_together_gives_the_rows_each_gets_alone():
    """Shared arms are simulated once: the rows of levers pulled together (two of which
    share their arm without the lever) are those of each lever pulled on its own."""
    levers = [lever for lever in LEVERS if not lever.setting and not lever.baseline][:2]
    levers.append(next(lever for lever in LEVERS if lever.setting or lever.baseline))
    together = run_levers(CONTACT_CENTRE, 2, levers=levers).rows()
    alone = [row for lever in levers for row in run_levers(CONTACT_CENTRE, 2, [lever]).rows()]
    assert together == alone


def test_every_shipped_config_has_its_levers_suite():
    shipped = {path.name for path in (ROOT / "configs").glob("*.toml")}
    assert set(SUITES) <= shipped
    assert shipped - set(SUITES) == {"contact_centre_12_weeks.toml"}  # the contact centre, longer


SAME_KEYS = {"a farewell at the bill": "farewell at no agent time"}
"""A lever that pulls no key another one does not: ``service.farewell``, pulled on every
scenario as the farewell at no agent time (the bill's farewell adds the cashier's minute)."""


def _pullable(config: str, lever: Lever) -> bool:
    """Whether both arms of ``lever`` load on ``config``: every key it sets exists there."""
    shared = list(lever.setting)
    try:
        load_scenario(ROOT / "configs" / config, [*shared, *lever.baseline])
        load_scenario(ROOT / "configs" / config, [*shared, *lever.change])
    except ConfigError:
        return False
    return True


def test_every_lever_is_pulled_on_every_shipped_scenario_whose_keys_it_uses():
    """The issue's rule: a lever is checked wherever a user can pull it. A lever of any
    suite whose arms load on another shipped scenario must be in that scenario's suite
    too (by name: a recovery lever there judges the customers who failed anywhere)."""
    every = {lever.name: lever for levers in SUITES.values() for lever in levers}
    missing = [
        (config, name)
        for config, levers in SUITES.items()
        for name, lever in every.items()
        if name not in {pulled.name for pulled in levers}
        and SAME_KEYS.get(name) not in {pulled.name for pulled in levers}
        and _pullable(config, lever)
    ]
    assert not missing, missing
    # ... and the check sees a gap: a lever of the contact centre that the restaurant
    # could pull but whose suite lacked it would be reported.
    delight = every["delight"]
    assert _pullable("restaurant.toml", delight)
    assert not _pullable("restaurant.toml", every["more agents over lunch"])  # no agents pool


def test_a_lever_in_the_wrong_direction_fails_its_check():
    """The suite can fail: farewells claimed to lower the end are caught."""
    wrong = Lever(
        "farewell, claimed wrong",
        "",
        ("service.farewell=true",),
        (Check("end utility", "down", LEVERS[1].checks[0].measure),),
        baseline=("service.farewell=false",),
    )
    report = run_levers(CONTACT_CENTRE, 4, levers=[wrong])
    assert not report.passed


def test_a_farewell_at_no_agent_time_never_lowers_anyones_end():
    """Same customers, same queue (no agent time): every end is at least as good."""
    without = load_scenario(CONTACT_CENTRE, ["service.farewell=false"])
    with_farewell = load_scenario(
        CONTACT_CENTRE, ["service.farewell=true", "service.farewell_minutes=0"]
    )
    for replication in range(3):
        a, b = simulate(without, replication), simulate(with_farewell, replication)
        assert np.array_equal(a.contacts["wait_minutes"], b.contacts["wait_minutes"])
        gain = b.customers["end_utility"] - a.customers["end_utility"]
        assert gain.min() >= -1e-12
        assert (gain > 0).mean() > 0.5  # most customers end resolved with a farewell


def test_the_coupon_helps_up_to_the_loss_then_flattens():
    """Memory of failed customers per euro: 5 -> 20 euros (up to the loss of 4 points at
    0.2 points per euro) gains far more per euro than 20 -> 80."""

    def memory(amount: float) -> float:
        scenario = load_scenario(
            CONTACT_CENTRE, ['recovery.policy="compensation"', f"recovery.compensation={amount}"]
        )
        other = load_scenario(CONTACT_CENTRE, ['recovery.policy="none"'])
        values = []
        for replication in range(6):
            out, ref = simulate(scenario, replication), simulate(other, replication)
            values.append(failed_customers_memory(scenario, out, ref))
        return float(np.mean(values))

    small, loss, large = memory(5), memory(20), memory(80)
    below = (loss - small) / 15
    beyond = (large - loss) / 60
    assert below > 0 and beyond >= 0
    assert beyond < 0.25 * below


def test_more_effort_lowers_return_at_equal_remembered_utility():
    model = LogisticReturn()
    remembered = np.zeros(3)
    loyalty = np.zeros(3, dtype=np.int8)
    low, high = (model.probability(remembered, np.full(3, e), loyalty) for e in (0.0, 2.0))
    assert np.all(high < low)

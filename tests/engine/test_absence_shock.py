"""The day-level absence shock: pools.X.absence_correlation and absence_group.

The lever: with a shock, the same mean absence comes in bad and good days, so a plan
that meets its service level on average misses it more often on a bad day. Shown with
common random numbers: the same seeds, replications and agents, only the shock differs.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from peakend import scenario_from_dict
from peakend.engine.staffing import AgentStreams, day_absence_rate
from peakend.engine.streams import RandomStreams
from peakend.runs.runner import replicate
from peakend.simulation.replication import Replication


@pytest.mark.parametrize(("mean", "rho"), [(0.05, 0.1), (0.1, 0.3), (0.2, 0.05)])
def test_day_rate_has_the_pool_mean_and_the_correlation(mean: float, rho: float) -> None:
    # Integrate over the quantile: E[p] = mean; Var[p] = mean (1 - mean) rho (beta-binomial ICC).
    first = integrate.quad(lambda u: day_absence_rate(u, mean, rho), 0, 1, limit=200)[0]
    second = integrate.quad(lambda u: day_absence_rate(u, mean, rho) ** 2, 0, 1, limit=200)[0]
    assert first == pytest.approx(mean, rel=1e-6)
    assert second - first**2 == pytest.approx(mean * (1 - mean) * rho, rel=1e-4)


def test_no_correlation_draws_exactly_the_independent_absences() -> None:
    day = RandomStreams(9, 4)
    streams = AgentStreams(RandomStreams(9, 4), day)
    independent = day.generator("agents:agents:absence").random(50) < 0.1
    assert np.array_equal(streams.absent("agents", 50, 0.1), independent)
    assert np.array_equal(streams.absent("agents", 50, 0.1, 0.0, "site"), independent)


def _day(correlation: float, group: str | None = None, agents: int = 12) -> dict[str, object]:
    pool = {
        "staffing": [agents, agents],
        "absenteeism": 0.1,
        "absence_correlation": correlation,
        "service_time": {"distribution": "exponential", "mean": 3.0},
    }
    if group is not None:
        pool["absence_group"] = group
    return {
        "name": "absence",
        "run": {"seed": 21, "service_level_threshold_minutes": 0.5},
        "arrivals": {"interval_minutes": 60, "rate_per_hour": [180.0, 180.0]},
        "segments": {
            "all": {"share": 1.0, "patience": {"distribution": "exponential", "mean": 3.0}}
        },
        "pools": {"agents": pool, "backoffice": {**pool, "staffing": [10, 10]}},
        "channels": {"phone": {"share": 1.0, "entry_pool": "agents"}},
    }


def _absent(scenario_data: dict[str, object], replication: int) -> dict[str, int]:
    replication_ = Replication(scenario_from_dict(scenario_data), replication)
    return {pool.name: int(pool.absent.sum()) for pool in replication_.pools}


def test_a_shock_spreads_daily_absence_at_the_same_mean() -> None:
    days = range(300)
    plain = np.array([_absent(_day(0.0), r)["agents"] for r in days])
    shocked = np.array([_absent(_day(0.3), r)["agents"] for r in days])
    # 12 agents at 10 %: binomial variance 1.08; with correlation 0.3 it is 1.08 (1 + 11 x 0.3)
    # = 4.64. Tolerance: the sample variances of 300 days are within ~20 % of these.
    assert plain.var() == pytest.approx(1.08, rel=0.25)
    assert shocked.var() == pytest.approx(4.64, rel=0.25)
    assert shocked.mean() == pytest.approx(1.2, abs=0.25)  # the mean is kept (SE ~0.12)


def test_a_group_shares_the_bad_day() -> None:
    days = range(200)
    own = np.array([list(_absent(_day(0.3), r).values()) for r in days])
    shared = np.array([list(_absent(_day(0.3, "site"), r).values()) for r in days])
    # Pools with their own shock are independent; one site's pools are absent together.
    assert abs(np.corrcoef(own.T)[0, 1]) < 0.2
    assert np.corrcoef(shared.T)[0, 1] > 0.4


@pytest.mark.slow
def test_lever_bad_days_miss_the_service_level_more_often() -> None:
    # A plan that meets 80 % on an average day (14 agents for 9 Erlangs, 10 % absent), paired
    # over the same 50 days (common random numbers): the worst days get worse and more days
    # miss 80 %.
    plain, shocked = [], []
    for r in range(50):
        plain.append(
            replicate(scenario_from_dict(_day(0.0, agents=14)), r).metrics["service_level"]
        )
        shocked.append(
            replicate(scenario_from_dict(_day(0.4, agents=14)), r).metrics["service_level"]
        )
    plain_a, shocked_a = np.array(plain), np.array(shocked)
    assert np.quantile(shocked_a, 0.1) < np.quantile(plain_a, 0.1)
    assert plain_a.mean() > 0.8
    assert (shocked_a < 0.8).mean() > (plain_a < 0.8).mean()
    assert shocked_a.std() > plain_a.std()

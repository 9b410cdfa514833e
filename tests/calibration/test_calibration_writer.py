"""The scenario writer: every fitted family is a distribution the engine loads, shares
sum to one, and a Kaplan-Meier curve is written where no family fits."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from peakend.base.distributions import Distribution
from peakend.calibration.calibrate import TypeFit
from peakend.calibration.fitting import fit_best, fit_family
from peakend.calibration.scenario_writer import (
    _shares_summing_to_one,
    distribution_spec,
    engine_has,
    patience_spec,
)
from peakend.calibration.survival import kaplan_meier

ADAPTER = TypeAdapter(Distribution)


def _inline(spec: str) -> object:
    import tomllib

    return tomllib.loads(f"x = {spec}")["x"]


@pytest.mark.parametrize("family", ["exponential", "lognormal", "gamma", "weibull", "mixture"])
def test_every_family_is_written_as_a_distribution_of_the_same_mean(family: str) -> None:
    rng = np.random.default_rng(7)
    fit = fit_family(family, rng.lognormal(0.5, 0.8, 800))
    loaded = ADAPTER.validate_python(_inline(distribution_spec(fit)))
    assert loaded.mean == pytest.approx(fit.mean, rel=1e-3)


def test_shares_sum_to_one_within_the_schema_tolerance() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        raw = rng.random(int(rng.integers(2, 12)))
        shares = _shares_summing_to_one({str(i): v / raw.sum() for i, v in enumerate(raw)})
        assert abs(sum(shares.values()) - 1.0) <= 1e-9
        assert all(share > 0 for share in shares.values())


def test_a_curve_no_family_follows_is_written_as_the_kaplan_meier_curve() -> None:
    """Half the callers leave at once, the others after about 10 minutes: no
    single-family fit stays within three standard errors of the curve."""
    rng = np.random.default_rng(5)
    patience = np.where(rng.random(4_000) < 0.5, rng.uniform(0, 0.05, 4_000), 10.0)
    wait = rng.exponential(8.0, 4_000)
    events, censored = patience[patience < wait], wait[patience >= wait]
    kind = TypeFit("x", 4_000, 0, events.size, 0)
    kind.patience_km = kaplan_meier(np.round(events * 60) / 60, np.round(censored * 60) / 60)
    kind.patience, kind.patience_fits = fit_best(
        ("exponential", "lognormal", "weibull"), events, censored
    )
    spec, why = patience_spec(kind, 1 / 60)
    assert "Kaplan-Meier" in why
    loaded = ADAPTER.validate_python(_inline(spec))
    assert loaded.distribution == "survival"


def test_the_writer_sees_the_engine_keys() -> None:
    assert engine_has("pool", "staffing")
    assert not engine_has("pool", "no_such_key")

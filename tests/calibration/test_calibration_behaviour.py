"""The round trip of what customers feel and do: a log simulated by peakend with survey
scores from known memory weights and returns from a known return model is calibrated,
and every weight and coefficient is recovered inside its interval.

The log (``synthetic_log(behaviour=True)``) scores each answering journey with its
remembered utility under known :class:`~peakend.experience.memory.Blend` weights,
computed by the engine from its own records (plus the IVR stay the log shows), plus
normal noise of sd 0.5; a customer comes back within 7 days with a logistic chance in
that utility and the journey's extra contacts. Calibration sees only the log: it
rebuilds each journey's trace from the log's times (``memory_fit``) and fits.

Tolerances. Nine intervals are checked at once, each at the Bonferroni level
``1 - 0.05 / 9`` (t intervals for the least-squares weights, Wald for the logistic
coefficients), so that a correct calibration fails with a chance of at most 5 % (the
seed is fixed: the test is deterministic). The residual sd of the score regression
estimates the noise's sd (0.5) when the rebuilt traces equal the engine's: its standard
error is ``0.5 / sqrt(2 n)``, and the test allows 4 of them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy import stats

from peakend.calibration.calibrate import Settings, calibrate
from peakend.calibration.logformat import PRESETS
from peakend.calibration.logs import read_log
from peakend.calibration.synthetic import synthetic_log

pytestmark = pytest.mark.slow

DAYS = 12


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    folder: Path = tmp_path_factory.mktemp("behaviour")
    frame, truth = synthetic_log(DAYS, seed=23, scale=0.6, behaviour=True)
    frame.to_csv(folder / "log.csv", index=False)
    preset = PRESETS["anonymous_bank"]
    fmt = preset.model_copy(update={"columns": {**preset.columns, "score": "survey"}})
    log = read_log(folder / "log.csv", fmt)
    return calibrate(log, Settings(return_days=truth.return_days)), truth


def test_memory_weights_and_return_coefficients_are_recovered(
    calibrated: tuple[object, object],
) -> None:
    calibration, truth = calibrated
    memory, returns = calibration.memory, calibration.returns  # type: ignore[attr-defined]
    assert memory is not None and returns is not None, calibration.assumptions  # type: ignore[attr-defined]
    checks = 9
    level = 1 - 0.05 / checks
    t = stats.t.ppf(1 - (1 - level) / 2, memory.scores - 5)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    outside = []
    for term, true in truth.memory.items():  # type: ignore[attr-defined]
        estimate, se = getattr(memory.model, term), memory.standard_errors[term]
        if not abs(estimate - true) <= t * se:
            outside.append(f"memory {term}: truth {true}, estimate {estimate:.4f} +- {t * se:.4f}")
    p0 = truth.returns["baseline_retention"]  # type: ignore[attr-defined]
    expected = {
        "intercept": math.log(p0 / (1 - p0)),
        "utility_slope": truth.returns["utility_slope"],  # type: ignore[attr-defined]
        "effort_slope": truth.returns["effort_slope"],  # type: ignore[attr-defined]
    }
    for name, true in expected.items():
        estimate, se = getattr(returns, name), returns.se(name)
        if not abs(estimate - true) <= z * se:
            outside.append(
                f"returns {name}: truth {true:.4f}, estimate {estimate:.4f} +- {z * se:.4f}"
            )
    assert not outside, outside


def test_rebuilt_traces_match_the_engine(calibrated: tuple[object, object]) -> None:
    """The score regression's residual sd is the survey noise's (0.5), within 4 of its
    standard errors: the traces rebuilt from the log are the engine's."""
    calibration, truth = calibrated
    memory = calibration.memory  # type: ignore[attr-defined]
    sd = truth.score_sd  # type: ignore[attr-defined]
    assert abs(memory.residual_sd - sd) <= 4 * sd / math.sqrt(2 * memory.scores)


def test_the_scenario_carries_the_fits_with_their_intervals(
    calibrated: tuple[object, object],
) -> None:
    from peakend.calibration.scenario_writer import scenario_dict, scenario_toml

    calibration, _ = calibrated
    text = scenario_toml(calibration)  # type: ignore[arg-type]
    data = scenario_dict(text)
    assert data["experience"]["memory"]["model"] == "blend"
    returns = data["retention"]["returns"]
    assert returns["utility_slope"] == pytest.approx(calibration.returns.utility_slope, rel=1e-5)  # type: ignore[attr-defined]
    assert "# 95 % CI" in text.split("[retention.returns]")[1]
    assert "#   worst" in text

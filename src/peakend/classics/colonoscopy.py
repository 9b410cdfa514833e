"""The colonoscopy trial: a milder, longer end makes the procedure remembered as better.

References: Redelmeier, Katz & Kahneman (2003), Memories of colonoscopy: a
randomized trial. Pain 104, 187-194. Redelmeier & Kahneman (1996), Patients'
memories of painful medical treatments. Pain 66, 3-8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from peakend.analysis.stats import Estimate
from peakend.experience.memory import End, MemoryModel, summarize
from peakend.experience.trace import FloatArray

from ._common import (
    DEFAULT_MEMORY,
    BoolArray,
    Seed,
    check_count,
    draw_returns,
    generator_from,
    minute_pain_traces,
    remembered_pain,
    require,
    require_non_negative,
    require_positive,
    require_probability,
)
from .result import Row

__all__ = ["ColonoscopyAssumptions", "ColonoscopyResult", "colonoscopy_trial"]


@dataclass(frozen=True)
class ColonoscopyAssumptions:
    """Pain profiles, memory ratings and return rule of the colonoscopy model (assumptions).

    Pain is on 0-10, sampled every minute. A procedure's profile is the patient's
    baseline discomfort plus one bump to the patient's peak at a random moment,
    plus minute-to-minute noise, clipped to [0, 10].

    Attributes
    ----------
    duration_median_minutes, duration_sigma : float
        Lognormal procedure duration (median, log-sd), rounded to whole minutes
        and clipped to [duration_min_minutes, duration_max_minutes]; Redelmeier &
        Kahneman (1996) saw 4 to 69 minutes.
    baseline_pain_low, baseline_pain_high : float
        Uniform baseline discomfort. With the tail of the bump and the noise, the
        control arm's final-moment pain comes out near the 2.5 of the 2003 trial.
    peak_pain_mean, peak_pain_sd : float
        Normal peak intensity (clipped to [baseline, 10]).
    peak_width_fraction : float
        Width (sd) of the Gaussian pain bump around the peak moment, as a fraction
        of the procedure's duration; the peak falls uniformly within 10-95% of the
        procedure. Scaling with duration keeps the profile's shape independent of
        its length, so that duration itself does not drive the peak or the end.
    pain_noise_sd : float
        Minute-to-minute noise of the ratings.
    extension_pain_fraction_low, extension_pain_fraction_high : float
        While the scope rests in place, pain is the baseline times a uniform
        fraction from this range: milder, as reported (1.7 vs 2.5).
    rating_noise_sd : float
        Normal noise of the retrospective rating around the memory model's value
        (pain points on 0-10 for peak-end-type models).
    return_anchor_pain, return_anchor_probability, return_slope : float
        Return rule: a patient remembering ``return_anchor_pain`` returns for the
        follow-up with ``return_anchor_probability`` (about 50% returned in the
        2003 trial); the log-odds fall by ``return_slope`` per remembered pain point.
    """

    duration_median_minutes: float = 20.0
    duration_sigma: float = 0.45
    duration_min_minutes: int = 4
    duration_max_minutes: int = 69
    baseline_pain_low: float = 0.8
    baseline_pain_high: float = 3.5
    peak_pain_mean: float = 7.0
    peak_pain_sd: float = 1.5
    peak_width_fraction: float = 0.1
    pain_noise_sd: float = 0.5
    extension_pain_fraction_low: float = 0.5
    extension_pain_fraction_high: float = 1.0
    rating_noise_sd: float = 1.0
    return_anchor_pain: float = 4.8
    return_anchor_probability: float = 0.5
    return_slope: float = 0.5

    def __post_init__(self) -> None:
        require_positive(
            self, "duration_median_minutes", "duration_sigma", "peak_pain_sd", "peak_width_fraction"
        )
        require_non_negative(self, "pain_noise_sd", "rating_noise_sd", "return_slope")
        require(
            1 <= self.duration_min_minutes <= self.duration_max_minutes,
            "ColonoscopyAssumptions needs 1 <= duration_min_minutes <= duration_max_minutes",
        )
        require(
            0 <= self.baseline_pain_low <= self.baseline_pain_high <= 10,
            "ColonoscopyAssumptions needs 0 <= baseline_pain_low <= baseline_pain_high <= 10",
        )
        require(
            0 <= self.extension_pain_fraction_low <= self.extension_pain_fraction_high,
            "ColonoscopyAssumptions needs 0 <= extension fraction low <= high",
        )
        require_probability(self, "return_anchor_probability")


@dataclass(frozen=True)
class ColonoscopyResult:
    """Per-arm memories, pain and return rates of the simulated colonoscopy trial."""

    title: ClassVar[str] = "Colonoscopy randomised trial"
    published: ClassVar[str] = (
        "Redelmeier, Katz & Kahneman (2003): the extended arm had milder final moments "
        "(1.7 vs 2.5), remembered the procedure as less unpleasant (4.4 vs 4.9) despite more "
        "total pain, and returned more often (odds ratio 1.41). Redelmeier & Kahneman (1996): "
        "remembered pain tracks the peak and the last 3 minutes, not duration"
    )

    memory: str
    n_per_arm: int
    extension_minutes: int
    final_pain_control: Estimate
    final_pain_extended: Estimate
    remembered_pain_control: Estimate
    remembered_pain_extended: Estimate
    remembered_pain_difference: Estimate
    total_pain_control: Estimate
    total_pain_extended: Estimate
    total_pain_difference: Estimate
    return_rate_control: Estimate
    return_rate_extended: Estimate
    return_rate_difference: Estimate
    correlation_peak: Estimate
    correlation_end: Estimate
    correlation_duration: Estimate
    assumptions: ColonoscopyAssumptions

    @property
    def return_odds_ratio(self) -> float:
        """Odds of returning in the extended arm over the control arm.

        NaN when it is undefined (nobody or everybody returned in both arms), inf when
        only the control arm's odds are zero.
        """
        extended = _odds(self.return_rate_extended.mean)
        control = _odds(self.return_rate_control.mean)
        if control == 0:
            return math.nan if extended == 0 else math.inf
        if math.isinf(control):
            return math.nan if math.isinf(extended) else 0.0
        return extended / control

    @property
    def reproduced(self) -> bool:
        """Extended arm remembers less, returns more despite more pain; memory tracks peak, end."""
        arms = (
            self.remembered_pain_difference.ci_high < 0
            and self.total_pain_difference.ci_low > 0
            and self.return_rate_difference.mean > 0
        )
        duration = abs(self.correlation_duration.mean)
        memory = (
            self.correlation_peak.ci_low > 0
            and self.correlation_end.ci_low > 0
            and min(self.correlation_peak.mean, self.correlation_end.mean) > duration
            and duration < 0.1
        )
        return arms and memory

    def rows(self) -> list[Row]:
        return [
            ("memory model", self.memory, "peak and last 3 min"),
            ("patients per arm", str(self.n_per_arm), "341 (682 in all)"),
            ("final-moment pain, control", f"{self.final_pain_control:.2f}", "2.5"),
            ("final-moment pain, extended", f"{self.final_pain_extended:.2f}", "1.7"),
            ("remembered pain, control (0-10)", f"{self.remembered_pain_control:.2f}", "4.9 (VAS)"),
            (
                "remembered pain, extended (0-10)",
                f"{self.remembered_pain_extended:.2f}",
                "4.4 (VAS)",
            ),
            (
                "remembered pain, extended - control",
                f"{self.remembered_pain_difference:.2f}",
                "< 0",
            ),
            ("total pain, control (pain-min)", f"{self.total_pain_control:.2f}", "less"),
            ("total pain, extended (pain-min)", f"{self.total_pain_extended:.2f}", "more"),
            ("returned for follow-up, control", self.return_rate_control.percent(), "~50% overall"),
            ("returned for follow-up, extended", self.return_rate_extended.percent(), "higher"),
            ("odds ratio of returning, extended/control", f"{self.return_odds_ratio:.2f}", "1.41"),
            ("corr(remembered, peak pain), control", f"{self.correlation_peak:.2f}", "strong, > 0"),
            ("corr(remembered, last 3 min), control", f"{self.correlation_end:.2f}", "strong, > 0"),
            ("corr(remembered, duration), control", f"{self.correlation_duration:.2f}", "about 0"),
        ]


def _odds(p: float) -> float:
    return p / (1 - p) if p < 1 else math.inf


def colonoscopy_trial(
    n_per_arm: int = 5_000,
    *,
    extension_minutes: int = 3,
    memory: MemoryModel = DEFAULT_MEMORY,
    assumptions: ColonoscopyAssumptions | None = None,
    seed: Seed = None,
    rng: np.random.Generator | None = None,
) -> ColonoscopyResult:
    """The randomised colonoscopy trial of Redelmeier, Katz & Kahneman (2003).

    Two arms of different simulated patients with the same distribution of
    procedures (see :class:`ColonoscopyAssumptions`); in the extended arm the
    scope stays in place for ``extension_minutes`` more minutes of milder pain.
    Each patient's remembered pain is the memory model's value plus rating noise
    (on 0-10 for peak-end-type models), and the patient returns for the follow-up
    with a probability that falls with remembered pain. Correlations of remembered
    pain with peak pain, mean pain over the last 3 minutes and duration are
    computed in the control arm, as in Redelmeier & Kahneman (1996).

    Parameters
    ----------
    n_per_arm : int
        Simulated patients per arm (the trial had 682 in all).
    extension_minutes : int
        Extra minutes with the scope left in place, >= 1.
    memory : MemoryModel
        Memory model applied to the pain traces (utility = -pain).
    assumptions : ColonoscopyAssumptions, optional
        Profile, rating and return parameters; defaults documented there.
    seed, rng
        Seed for ``numpy.random.default_rng`` or a generator; not both.

    Raises
    ------
    ValueError
        If ``n_per_arm`` < 4, ``extension_minutes`` < 1 or both ``seed`` and ``rng`` are given.
    """
    check_count("n_per_arm", n_per_arm, 4)
    check_count("extension_minutes", extension_minutes, 1)
    a = assumptions or ColonoscopyAssumptions()
    generator = generator_from(seed, rng)
    control = _colonoscopy_arm(generator, n_per_arm, a, memory, extension_minutes=0)
    extended = _colonoscopy_arm(generator, n_per_arm, a, memory, extension_minutes)
    return ColonoscopyResult(
        memory=repr(memory),
        n_per_arm=n_per_arm,
        extension_minutes=extension_minutes,
        final_pain_control=Estimate.mean_of(control.final),
        final_pain_extended=Estimate.mean_of(extended.final),
        remembered_pain_control=Estimate.mean_of(control.remembered),
        remembered_pain_extended=Estimate.mean_of(extended.remembered),
        remembered_pain_difference=Estimate.difference_of_means(
            extended.remembered, control.remembered
        ),
        total_pain_control=Estimate.mean_of(control.total),
        total_pain_extended=Estimate.mean_of(extended.total),
        total_pain_difference=Estimate.difference_of_means(extended.total, control.total),
        return_rate_control=Estimate.share_of(control.returned),
        return_rate_extended=Estimate.share_of(extended.returned),
        return_rate_difference=Estimate.difference_of_shares(extended.returned, control.returned),
        correlation_peak=Estimate.correlation_of(control.remembered, control.peak),
        correlation_end=Estimate.correlation_of(control.remembered, control.last_minutes),
        correlation_duration=Estimate.correlation_of(control.remembered, control.duration),
        assumptions=a,
    )


@dataclass(frozen=True)
class _Arm:
    """Per-patient outcomes of one trial arm (pain on 0-10, minutes)."""

    remembered: FloatArray
    returned: BoolArray
    peak: FloatArray
    last_minutes: FloatArray
    final: FloatArray
    total: FloatArray
    duration: FloatArray


def _colonoscopy_arm(
    generator: np.random.Generator,
    n: int,
    a: ColonoscopyAssumptions,
    memory: MemoryModel,
    extension_minutes: int,
) -> _Arm:
    traces = minute_pain_traces(_procedure_profiles(generator, n, a, extension_minutes))
    rating_noise = generator.normal(0.0, a.rating_noise_sd, n)
    # not clipped to 0-10: the memory model's scale may differ (Total gives pain-minutes)
    remembered = remembered_pain(traces, memory) + rating_noise
    returned = draw_returns(
        generator,
        -remembered,
        anchor_utility=-a.return_anchor_pain,
        anchor_probability=a.return_anchor_probability,
        slope=a.return_slope,
    )
    experience = summarize(traces)
    return _Arm(
        remembered=remembered,
        returned=returned,
        peak=-experience["worst"],
        last_minutes=remembered_pain(traces, End(window_minutes=3.0)),
        final=-experience["end"],
        total=-experience["total"],
        duration=experience["duration"],
    )


def _procedure_profiles(
    generator: np.random.Generator, n: int, a: ColonoscopyAssumptions, extension_minutes: int
) -> list[FloatArray]:
    """Minute-by-minute pain of ``n`` procedures, each followed by its extension (if any)."""
    median = math.log(a.duration_median_minutes)
    duration = np.rint(generator.lognormal(median, a.duration_sigma, n))
    duration = np.clip(duration, a.duration_min_minutes, a.duration_max_minutes).astype(np.int64)
    minute = np.arange(duration.max() + 1)
    baseline = generator.uniform(a.baseline_pain_low, a.baseline_pain_high, n)
    peak = np.clip(generator.normal(a.peak_pain_mean, a.peak_pain_sd, n), baseline, 10.0)
    peak_at = generator.uniform(0.10, 0.95, n) * duration
    width = a.peak_width_fraction * duration
    bump = np.exp(-0.5 * ((minute[None, :] - peak_at[:, None]) / width[:, None]) ** 2)
    noise = generator.normal(0.0, a.pain_noise_sd, (n, minute.size))
    pain = np.clip(baseline[:, None] + (peak - baseline)[:, None] * bump + noise, 0.0, 10.0)
    fraction = generator.uniform(a.extension_pain_fraction_low, a.extension_pain_fraction_high, n)
    resting = np.clip(baseline * fraction, 0.0, 10.0)
    return [
        np.concatenate([pain[i, : duration[i] + 1], np.full(extension_minutes, resting[i])])
        for i in range(n)
    ]

"""The classic peak-end experiments, rerun on peakend's memory models.

Each experiment is a function returning a small frozen result with the model's
numbers, the published finding, ``reproduced`` (whether the model shows the
published direction) and ``rows()``: ``(quantity, model value, published)``
string triples for a table. Random experiments take ``seed`` or ``rng`` (not
both); every draw goes through that generator.

Parameters without a published value (noise levels, profile shapes, return
rules) are collected in frozen ``*Assumptions`` dataclasses with documented
defaults, so that they can be varied and reported.

References
----------
Kahneman, Fredrickson, Schreiber & Redelmeier (1993), When more pain is preferred
to less: adding a better end. Psychological Science 4, 401-405.
Redelmeier & Kahneman (1996), Patients' memories of painful medical treatments.
Pain 66, 3-8.
Redelmeier, Katz & Kahneman (2003), Memories of colonoscopy: a randomized trial.
Pain 104, 187-194.
Maxham & Netemeyer (2002), A longitudinal study of complaining customers'
evaluations of multiple service failures and recovery efforts. J. Marketing 66.
de Matos, Henrique & Rossi (2007), Service recovery paradox: a meta-analysis.
Journal of Service Research 10, 60-77.
Kahneman (2011), Thinking, Fast and Slow, ch. 35.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from peakend.memory import End as _End
from peakend.memory import MemoryModel, PeakEnd, Total, summarize
from peakend.trace import EpisodeKind, FloatArray, TraceBuilder, Traces

__all__ = [
    "ClassicResult",
    "ColdPressorAssumptions",
    "ColdPressorResult",
    "ColonoscopyAssumptions",
    "ColonoscopyResult",
    "Estimate",
    "PATIENT_A_PAIN",
    "PATIENT_B_PAIN",
    "PatientsResult",
    "RecoveryAssumptions",
    "RecoveryParadoxResult",
    "cold_pressor",
    "colonoscopy_trial",
    "patients_a_and_b",
    "recovery_paradox",
    "run_all",
]

Row = tuple[str, str, str]
Seed = int | np.random.SeedSequence | None

_Z95 = float(stats.norm.ppf(0.975))
_PEAK_END = PeakEnd()


class ClassicResult(Protocol):
    """What every classic experiment returns."""

    title: ClassVar[str]
    published: ClassVar[str]

    @property
    def reproduced(self) -> bool:
        """Whether the model shows the published direction(s)."""
        ...

    def rows(self) -> list[Row]:
        """``(quantity, model value, published value or finding)`` for a table."""
        ...


# ---------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% confidence interval ``[low, high]``."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"

    def percent(self) -> str:
        """The estimate of a share as percentages, e.g. ``68.9% [68.0, 69.8]``."""
        return f"{100 * self.value:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval."""
        return self.low <= x <= self.high

    @classmethod
    def mean_of(cls, values: npt.ArrayLike) -> Estimate:
        """Sample mean with a Student-t interval."""
        sample = np.asarray(values, dtype=np.float64)
        mean = float(sample.mean())
        half = float(stats.t.ppf(0.975, sample.size - 1)) * _standard_error(sample)
        return cls(mean, mean - half, mean + half)

    @classmethod
    def share_of(cls, outcomes: npt.ArrayLike) -> Estimate:
        """Share of true outcomes with a Wilson score interval (good near 0 and 1)."""
        sample = np.asarray(outcomes, dtype=bool)
        n, share = sample.size, float(sample.mean())
        centre = (share + _Z95**2 / (2 * n)) / (1 + _Z95**2 / n)
        half = _Z95 * math.sqrt(share * (1 - share) / n + _Z95**2 / (4 * n**2)) / (1 + _Z95**2 / n)
        return cls(share, centre - half, centre + half)

    @classmethod
    def difference_of_means(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """mean(a) - mean(b) with a large-sample (Welch, normal) interval."""
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        difference = float(x.mean() - y.mean())
        half = _Z95 * math.hypot(_standard_error(x), _standard_error(y))
        return cls(difference, difference - half, difference + half)

    @classmethod
    def difference_of_shares(cls, a: npt.ArrayLike, b: npt.ArrayLike) -> Estimate:
        """share(a) - share(b) of two independent samples with a Wald interval."""
        return cls.difference_of_means(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))

    @classmethod
    def correlation_of(cls, x: npt.ArrayLike, y: npt.ArrayLike) -> Estimate:
        """Pearson correlation with a Fisher-z interval (NaN if a sample is constant)."""
        first, second = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if first.std() == 0 or second.std() == 0:
            return cls(math.nan, math.nan, math.nan)
        r = float(np.corrcoef(first, second)[0, 1])
        half = _Z95 / math.sqrt(first.size - 3)
        centre = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
        return cls(r, math.tanh(centre - half), math.tanh(centre + half))


def _standard_error(sample: FloatArray) -> float:
    return float(sample.std(ddof=1) / math.sqrt(sample.size))


# ---------------------------------------------------------------------- shared helpers


def _generator(seed: Seed, rng: np.random.Generator | None) -> np.random.Generator:
    if seed is not None and rng is not None:
        raise ValueError("pass seed or rng, not both")
    return rng if rng is not None else np.random.default_rng(seed)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_count(name: str, value: int, minimum: int) -> None:
    _require(
        isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= minimum,
        f"{name} must be an integer >= {minimum}, got {value!r}",
    )


def _return_probability(
    remembered: FloatArray,
    *,
    anchor_utility: float,
    anchor_probability: float,
    slope: float,
    effort: FloatArray | float = 0.0,
    effort_penalty: float = 0.0,
) -> FloatArray:
    """Probability of coming back: logistic in remembered utility and effort.

    P = expit(logit(anchor_probability) + slope * (R - anchor_utility)
    - effort_penalty * effort): a customer who remembers ``anchor_utility`` and
    spent no extra effort returns with ``anchor_probability``. A local, minimal
    rule for the classics; the engine's retention module has the general one.
    """
    logit = special.logit(anchor_probability) + slope * (remembered - anchor_utility)
    return np.asarray(special.expit(logit - effort_penalty * np.asarray(effort)), dtype=np.float64)


def _pain(traces: Traces, memory: MemoryModel) -> FloatArray:
    """Remembered pain: minus the remembered utility (pain is negative utility)."""
    return -np.asarray(memory.remember(traces), dtype=np.float64)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ---------------------------------------------------------------------- patients A and B

#: Pain (0-10) each minute of patient A's colonoscopy, minutes 0..8 (after Kahneman 2011, fig. 15).
PATIENT_A_PAIN: tuple[float, ...] = (2, 4, 5, 5, 6, 8, 7, 6, 7)
_PATIENT_B_TAIL: tuple[float, ...] = (6, 5, 6, 7, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 1)
#: Patient B: A's first 8 minutes, then 16 more minutes tapering to 1 (minutes 0..24).
PATIENT_B_PAIN: tuple[float, ...] = PATIENT_A_PAIN + _PATIENT_B_TAIL


@dataclass(frozen=True)
class PatientsResult:
    """Remembered and total pain of patients A and B (pain = -utility)."""

    title: ClassVar[str] = "Patients A and B"
    published: ClassVar[str] = (
        "Kahneman (2011): peak-end gives 7.5 for A and 4.5 for B; A is remembered as "
        "worse although B suffered more in total"
    )

    memory: str
    remembered_pain_a: float
    remembered_pain_b: float
    total_pain_a: float
    total_pain_b: float
    traces: Traces = field(repr=False, compare=False)

    @property
    def reproduced(self) -> bool:
        """A remembered as worse and B with more total pain."""
        return (
            self.remembered_pain_a > self.remembered_pain_b
            and self.total_pain_b > self.total_pain_a
        )

    def rows(self) -> list[Row]:
        return [
            ("memory model", self.memory, "peak-end"),
            ("remembered pain A (0-10)", f"{self.remembered_pain_a:.2f}", "7.5"),
            ("remembered pain B (0-10)", f"{self.remembered_pain_b:.2f}", "4.5"),
            ("total pain A (pain-minutes)", f"{self.total_pain_a:.1f}", "less than B"),
            ("total pain B (pain-minutes)", f"{self.total_pain_b:.1f}", "more than A"),
            ("A remembered as worse, B suffered more", _yes(self.reproduced), "yes"),
        ]


def patients_a_and_b(memory: MemoryModel = _PEAK_END) -> PatientsResult:
    """Patients A and B of Kahneman (2011): remembered versus total pain.

    Pain is rated every minute on 0-10 (:data:`PATIENT_A_PAIN`,
    :data:`PATIENT_B_PAIN`); both peak at 8, A ends at 7 after 8 minutes, B at 1
    after 24 minutes. Under the default peak-end model A remembers 7.5 and B 4.5.
    Not random.

    Parameters
    ----------
    memory : MemoryModel
        Memory model applied to the traces (utility = -pain).
    """
    traces = Traces.from_samples(
        [[-p for p in PATIENT_A_PAIN], [-p for p in PATIENT_B_PAIN]], step_minutes=1.0
    )
    remembered = _pain(traces, memory)
    total = _pain(traces, Total())
    return PatientsResult(
        memory=repr(memory),
        remembered_pain_a=float(remembered[0]),
        remembered_pain_b=float(remembered[1]),
        total_pain_a=float(total[0]),
        total_pain_b=float(total[1]),
        traces=traces,
    )


# ---------------------------------------------------------------------- cold pressor


@dataclass(frozen=True)
class ColdPressorAssumptions:
    """Between-person noise of the cold-pressor model (assumptions, pain on 0-10).

    Attributes
    ----------
    cold_pain_mean, cold_pain_sd : float
        Normal distribution of a person's pain at the end of 60 s at 14 °C
        (clipped to [0.5, 10]). The water was "painfully cold, but not intolerable".
    onset_fraction : float
        Pain on immersion as a fraction of the 60-s pain; pain rises linearly
        in between (discomfort grew during the minute).
    relief_mean, relief_sd : float
        Normal distribution of the drop in pain from 60 s to 90 s as the water
        warms to 15 °C. Positive on average but not for everybody: with the
        defaults about 80% feel relief ("just enough for most subjects to detect
        a slight decrease", Kahneman 2011).
    choice_noise : float
        Logit scale (pain points) of the choice: P(repeat long) =
        expit((R_long - R_short) / choice_noise). Larger means noisier choices.
    """

    cold_pain_mean: float = 6.0
    cold_pain_sd: float = 1.5
    onset_fraction: float = 0.5
    relief_mean: float = 1.0
    relief_sd: float = 1.2
    choice_noise: float = 0.5

    def __post_init__(self) -> None:
        for name in ("cold_pain_sd", "relief_sd", "choice_noise"):
            _require(getattr(self, name) > 0, f"ColdPressorAssumptions.{name} must be > 0")
        _require(
            0 <= self.onset_fraction <= 1, "ColdPressorAssumptions.onset_fraction must be in [0, 1]"
        )


@dataclass(frozen=True)
class ColdPressorResult:
    """Share of simulated subjects choosing to repeat the long trial."""

    title: ClassVar[str] = "Cold-pressor experiment"
    published: ClassVar[str] = (
        "Kahneman et al. (1993): 22 of 32 subjects (69%) chose to repeat the long trial; "
        "80% of those whose pain diminished at the end did (Kahneman 2011)"
    )

    memory: str
    n_subjects: int
    share_long: Estimate
    share_long_given_relief: Estimate
    share_with_relief: float
    remembered_pain_short: Estimate
    remembered_pain_long: Estimate
    total_pain_short: Estimate
    total_pain_long: Estimate
    assumptions: ColdPressorAssumptions

    @property
    def reproduced(self) -> bool:
        """A clear majority, but not everybody, chooses the long trial."""
        return 0.5 < self.share_long.value < 0.95 and self.share_long.low > 0.5

    def rows(self) -> list[Row]:
        return [
            ("memory model", self.memory, "peak-end"),
            ("subjects", str(self.n_subjects), "32"),
            ("chose to repeat the long trial", self.share_long.percent(), "69% (22 of 32)"),
            (
                "... among subjects whose pain diminished",
                self.share_long_given_relief.percent(),
                "80%",
            ),
            (
                "subjects whose pain diminished at the end",
                f"{100 * self.share_with_relief:.1f}%",
                "most",
            ),
            ("remembered pain, short trial", str(self.remembered_pain_short), "worse memory"),
            ("remembered pain, long trial", str(self.remembered_pain_long), "better memory"),
            ("total pain, short trial (pain-min)", str(self.total_pain_short), "less"),
            ("total pain, long trial (pain-min)", str(self.total_pain_long), "more"),
        ]


def cold_pressor(
    n_subjects: int = 10_000,
    *,
    memory: MemoryModel = _PEAK_END,
    assumptions: ColdPressorAssumptions | None = None,
    seed: Seed = None,
    rng: np.random.Generator | None = None,
) -> ColdPressorResult:
    """The cold-pressor experiment of Kahneman et al. (1993) with between-person noise.

    Short trial: 60 s at 14 °C, pain rising to the person's cold pain. Long trial:
    the same 60 s, then 30 s while the water warms to 15 °C and pain moves
    linearly to the cold pain minus the person's relief. Each subject remembers
    both trials with ``memory`` and chooses which to repeat by a logit rule; a
    noiseless peak-end rule with relief for everybody would give 100%.

    Parameters
    ----------
    n_subjects : int
        Simulated subjects (the study had 32; many more give a tight estimate).
    memory : MemoryModel
        Memory model applied to both trials (utility = -pain).
    assumptions : ColdPressorAssumptions, optional
        Noise parameters; defaults documented there.
    seed, rng
        Seed for ``numpy.random.default_rng`` or a generator; not both.

    Raises
    ------
    ValueError
        If ``n_subjects`` < 2 or both ``seed`` and ``rng`` are given.
    """
    _check_count("n_subjects", n_subjects, 2)
    a = assumptions or ColdPressorAssumptions()
    generator = _generator(seed, rng)
    cold = np.clip(generator.normal(a.cold_pain_mean, a.cold_pain_sd, n_subjects), 0.5, 10.0)
    warming = np.clip(cold - generator.normal(a.relief_mean, a.relief_sd, n_subjects), 0.0, 10.0)
    short, long = _cold_pressor_traces(cold, warming, a.onset_fraction)
    pain_short, pain_long = _pain(short, memory), _pain(long, memory)
    p_long = special.expit((pain_short - pain_long) / a.choice_noise)
    chose_long = generator.random(n_subjects) < p_long
    relief = warming < cold
    return ColdPressorResult(
        memory=repr(memory),
        n_subjects=n_subjects,
        share_long=Estimate.share_of(chose_long),
        share_long_given_relief=Estimate.share_of(chose_long[relief]),
        share_with_relief=float(relief.mean()),
        remembered_pain_short=Estimate.mean_of(pain_short),
        remembered_pain_long=Estimate.mean_of(pain_long),
        total_pain_short=Estimate.mean_of(_pain(short, Total())),
        total_pain_long=Estimate.mean_of(_pain(long, Total())),
        assumptions=a,
    )


def _cold_pressor_traces(
    cold: FloatArray, warming: FloatArray, onset_fraction: float
) -> tuple[Traces, Traces]:
    """Short (60 s) and long (60 + 30 s) trial traces, utility = -pain, one customer each."""
    n = cold.size
    people = np.arange(n)
    kind = np.full(n, EpisodeKind.OTHER)
    short = Traces(people, np.zeros(n), np.ones(n), -onset_fraction * cold, -cold, kind, n)
    long = Traces(
        owner=np.repeat(people, 2),
        start=_pairs(np.zeros(n), np.ones(n)),
        duration=_pairs(np.ones(n), np.full(n, 0.5)),
        u_start=_pairs(-onset_fraction * cold, -cold),
        u_end=_pairs(-cold, -warming),
        kind=np.repeat(kind, 2),
        n=n,
    )
    return short, long


def _pairs(first: FloatArray, second: FloatArray) -> FloatArray:
    """Interleave two per-person columns into per-piece rows: first[0], second[0], first[1], ..."""
    return np.column_stack([first, second]).reshape(-1)


# ---------------------------------------------------------------------- colonoscopy


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
        positive = (
            "duration_median_minutes",
            "duration_sigma",
            "peak_pain_sd",
            "peak_width_fraction",
        )
        for name in positive:
            _require(getattr(self, name) > 0, f"ColonoscopyAssumptions.{name} must be > 0")
        for name in ("pain_noise_sd", "rating_noise_sd", "return_slope"):
            _require(getattr(self, name) >= 0, f"ColonoscopyAssumptions.{name} must be >= 0")
        _require(
            1 <= self.duration_min_minutes <= self.duration_max_minutes,
            "ColonoscopyAssumptions needs 1 <= duration_min_minutes <= duration_max_minutes",
        )
        _require(
            0 <= self.baseline_pain_low <= self.baseline_pain_high <= 10,
            "ColonoscopyAssumptions needs 0 <= baseline_pain_low <= baseline_pain_high <= 10",
        )
        _require(
            0 <= self.extension_pain_fraction_low <= self.extension_pain_fraction_high,
            "ColonoscopyAssumptions needs 0 <= extension fraction low <= high",
        )
        _require(
            0 < self.return_anchor_probability < 1,
            "ColonoscopyAssumptions.return_anchor_probability must be in (0, 1)",
        )


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
        """Odds of returning in the extended arm over the control arm."""
        return _odds(self.return_rate_extended.value) / _odds(self.return_rate_control.value)

    @property
    def reproduced(self) -> bool:
        """Extended arm remembers less, returns more despite more pain; memory tracks peak, end."""
        arms = (
            self.remembered_pain_difference.high < 0
            and self.total_pain_difference.low > 0
            and self.return_rate_difference.value > 0
        )
        duration = abs(self.correlation_duration.value)
        memory = (
            self.correlation_peak.low > 0
            and self.correlation_end.low > 0
            and min(self.correlation_peak.value, self.correlation_end.value) > duration
            and duration < 0.1
        )
        return arms and memory

    def rows(self) -> list[Row]:
        return [
            ("memory model", self.memory, "peak and last 3 min"),
            ("patients per arm", str(self.n_per_arm), "341 (682 in all)"),
            ("final-moment pain, control", str(self.final_pain_control), "2.5"),
            ("final-moment pain, extended", str(self.final_pain_extended), "1.7"),
            ("remembered pain, control (0-10)", str(self.remembered_pain_control), "4.9 (VAS)"),
            ("remembered pain, extended (0-10)", str(self.remembered_pain_extended), "4.4 (VAS)"),
            ("remembered pain, extended - control", str(self.remembered_pain_difference), "< 0"),
            ("total pain, control (pain-min)", str(self.total_pain_control), "less"),
            ("total pain, extended (pain-min)", str(self.total_pain_extended), "more"),
            ("returned for follow-up, control", self.return_rate_control.percent(), "~50% overall"),
            ("returned for follow-up, extended", self.return_rate_extended.percent(), "higher"),
            ("odds ratio of returning, extended/control", f"{self.return_odds_ratio:.2f}", "1.41"),
            ("corr(remembered, peak pain), control", str(self.correlation_peak), "strong, > 0"),
            ("corr(remembered, last 3 min), control", str(self.correlation_end), "strong, > 0"),
            ("corr(remembered, duration), control", str(self.correlation_duration), "about 0"),
        ]


def _odds(p: float) -> float:
    return p / (1 - p) if p < 1 else math.inf


def colonoscopy_trial(
    n_per_arm: int = 5_000,
    *,
    extension_minutes: int = 3,
    memory: MemoryModel = _PEAK_END,
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
    _check_count("n_per_arm", n_per_arm, 4)
    _check_count("extension_minutes", extension_minutes, 1)
    a = assumptions or ColonoscopyAssumptions()
    generator = _generator(seed, rng)
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
    returned: npt.NDArray[np.bool_]
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
    profiles = _procedure_profiles(generator, n, a, extension_minutes)
    traces = Traces.from_samples([-profile for profile in profiles], step_minutes=1.0)
    rating_noise = generator.normal(0.0, a.rating_noise_sd, n)
    # not clipped to 0-10: the memory model's scale may differ (Total gives pain-minutes)
    remembered = _pain(traces, memory) + rating_noise
    p_return = _return_probability(
        -remembered,
        anchor_utility=-a.return_anchor_pain,
        anchor_probability=a.return_anchor_probability,
        slope=a.return_slope,
    )
    experience = summarize(traces)
    return _Arm(
        remembered=remembered,
        returned=generator.random(n) < p_return,
        peak=-experience["worst"],
        last_minutes=_pain(traces, _End(window_minutes=3.0)),
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


# ---------------------------------------------------------------------- service recovery paradox

#: Arms of the recovery experiment and the extra contacts (effort) each one costs.
_EXTRA_CONTACTS = {"no failure": 0, "recovered failure": 1, "double deviation": 2}
_ARMS = tuple(_EXTRA_CONTACTS)


@dataclass(frozen=True)
class RecoveryAssumptions:
    """Stylised service journeys and return rule of the recovery-paradox model (assumptions).

    Utility is on a bipolar scale of roughly -10..10. Each journey: a wait whose
    utility falls from ``-wait_pain_start`` to minus the person's wait pain (the
    worst moment of a wait is its last), then a service at the person's service
    utility. Then, by arm:

    * no failure: a farewell at the person's farewell utility;
    * recovered failure: a failure shock (instant, minus the person's severity),
      ``failure_minutes`` of the problem easing to half the shock, a recovery
      (apology + fair compensation) at the person's recovery value, the farewell;
    * double deviation: as recovered, but after the recovery a second failure of
      ``second_failure_factor`` times the severity (Maxham & Netemeyer 2002), and
      the journey ends unresolved at that level for ``unresolved_minutes``.

    Person-level values are normal draws with the given means and sds. A good
    recovery (apology plus fair compensation) is assumed to be felt more intensely
    than the failure it repairs (recovery 5.5 vs severity 3.0 on average): under
    peak-end the recovery then becomes the peak and the failure is forgotten.
    With a weak recovery there is no paradox.

    Return rule: a customer who remembers ``retention_anchor_utility`` with no
    extra contact returns with ``retention_anchor_probability``; log-odds rise by
    ``retention_slope`` per remembered utility point and fall by
    ``effort_penalty`` per extra contact (1 after a recovered failure, 2 after a
    double deviation): effort lowers loyalty (customer-effort research).

    Whether the satisfaction gain of a good recovery carries over to retention
    depends on the balance of ``retention_slope`` and ``effort_penalty``: with
    the defaults they roughly cancel, so retention barely moves.
    """

    wait_minutes: float = 3.0
    wait_pain_start: float = 0.5
    wait_pain_mean: float = 1.5
    wait_pain_sd: float = 0.5
    service_minutes: float = 6.0
    service_utility_mean: float = 2.0
    service_utility_sd: float = 1.0
    failure_severity_mean: float = 3.0
    failure_severity_sd: float = 1.0
    failure_minutes: float = 2.0
    recovery_minutes: float = 3.0
    recovery_value_mean: float = 5.5
    recovery_value_sd: float = 1.5
    farewell_minutes: float = 0.5
    farewell_utility_mean: float = 2.5
    farewell_utility_sd: float = 1.0
    second_failure_factor: float = 1.5
    unresolved_minutes: float = 2.0
    retention_anchor_utility: float = 2.5
    retention_anchor_probability: float = 0.8
    retention_slope: float = 0.4
    effort_penalty: float = 0.5

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            _require(math.isfinite(value), f"RecoveryAssumptions.{name} must be finite")
            if name.endswith(("_minutes", "_sd", "_factor")) or name in ("effort_penalty",):
                _require(value >= 0, f"RecoveryAssumptions.{name} must be >= 0, got {value}")
        _require(
            0 < self.retention_anchor_probability < 1,
            "RecoveryAssumptions.retention_anchor_probability must be in (0, 1)",
        )


@dataclass(frozen=True)
class RecoveryParadoxResult:
    """Remembered satisfaction and retention of the three arms, and their differences."""

    title: ClassVar[str] = "Service recovery paradox"
    published: ClassVar[str] = (
        "de Matos, Henrique & Rossi (2007): a recovered failure raises satisfaction above "
        "the no-failure level (significant), but not repurchase intention (not significant); "
        "after a second failure the paradox vanishes (Maxham & Netemeyer 2002)"
    )

    memory: str
    n_per_arm: int
    satisfaction: dict[str, Estimate]
    retention: dict[str, Estimate]
    satisfaction_gain_recovered: Estimate
    retention_gain_recovered: Estimate
    satisfaction_gain_double: Estimate
    retention_gain_double: Estimate
    assumptions: RecoveryAssumptions

    @property
    def reproduced(self) -> bool:
        """Satisfaction paradox, no clear retention gain, both lost after a double deviation."""
        retention_flat = (
            self.retention_gain_recovered.contains(0.0)
            or abs(self.retention_gain_recovered.value) < 0.05
        )
        return (
            self.satisfaction_gain_recovered.low > 0
            and retention_flat
            and self.satisfaction_gain_double.high < 0
            and self.retention_gain_double.high < 0
        )

    def rows(self) -> list[Row]:
        rows = [("memory model", self.memory, ""), ("customers per arm", str(self.n_per_arm), "")]
        for arm in _ARMS:
            rows.append(
                (f"satisfaction (remembered utility), {arm}", str(self.satisfaction[arm]), "")
            )
            rows.append((f"retention, {arm}", self.retention[arm].percent(), ""))
        return rows + [
            (
                "satisfaction, recovered - no failure",
                str(self.satisfaction_gain_recovered),
                "> 0 (significant)",
            ),
            (
                "retention, recovered - no failure",
                self.retention_gain_recovered.percent(),
                "not significant",
            ),
            (
                "satisfaction, double deviation - no failure",
                str(self.satisfaction_gain_double),
                "< 0 (paradox vanishes)",
            ),
            (
                "retention, double deviation - no failure",
                self.retention_gain_double.percent(),
                "< 0",
            ),
        ]


def recovery_paradox(
    n_per_arm: int = 2_000,
    *,
    memory: MemoryModel = _PEAK_END,
    assumptions: RecoveryAssumptions | None = None,
    seed: Seed = None,
    rng: np.random.Generator | None = None,
) -> RecoveryParadoxResult:
    """The service recovery paradox on stylised journeys (see :class:`RecoveryAssumptions`).

    Three arms of different simulated customers: no failure; a failure with a
    good recovery (apology + fair compensation) and a warm end; a failure,
    recovery and second failure (double deviation). Satisfaction is the
    remembered utility; each customer returns or not by a logistic rule in
    remembered utility and extra contacts.

    Parameters
    ----------
    n_per_arm : int
        Simulated customers per arm.
    memory : MemoryModel
        Memory model applied to the journeys.
    assumptions : RecoveryAssumptions, optional
        Journey and return parameters; defaults documented there.
    seed, rng
        Seed for ``numpy.random.default_rng`` or a generator; not both.

    Raises
    ------
    ValueError
        If ``n_per_arm`` < 2 or both ``seed`` and ``rng`` are given.
    """
    _check_count("n_per_arm", n_per_arm, 2)
    a = assumptions or RecoveryAssumptions()
    generator = _generator(seed, rng)
    satisfied: dict[str, FloatArray] = {}
    returned: dict[str, npt.NDArray[np.bool_]] = {}
    for arm, extra_contacts in _EXTRA_CONTACTS.items():
        traces = _service_journeys(_Customers.draw(generator, n_per_arm, a), arm, a)
        satisfied[arm] = np.asarray(memory.remember(traces), dtype=np.float64)
        p_return = _return_probability(
            satisfied[arm],
            anchor_utility=a.retention_anchor_utility,
            anchor_probability=a.retention_anchor_probability,
            slope=a.retention_slope,
            effort=float(extra_contacts),
            effort_penalty=a.effort_penalty,
        )
        returned[arm] = generator.random(n_per_arm) < p_return
    base, recovered, double = _ARMS
    return RecoveryParadoxResult(
        memory=repr(memory),
        n_per_arm=n_per_arm,
        satisfaction={arm: Estimate.mean_of(satisfied[arm]) for arm in _ARMS},
        retention={arm: Estimate.share_of(returned[arm]) for arm in _ARMS},
        satisfaction_gain_recovered=Estimate.difference_of_means(
            satisfied[recovered], satisfied[base]
        ),
        retention_gain_recovered=Estimate.difference_of_shares(returned[recovered], returned[base]),
        satisfaction_gain_double=Estimate.difference_of_means(satisfied[double], satisfied[base]),
        retention_gain_double=Estimate.difference_of_shares(returned[double], returned[base]),
        assumptions=a,
    )


@dataclass(frozen=True)
class _Customers:
    """Person-level experience values of one arm's customers (utility points)."""

    wait_pain: FloatArray
    service: FloatArray
    severity: FloatArray
    recovery: FloatArray
    farewell: FloatArray

    @classmethod
    def draw(cls, generator: np.random.Generator, n: int, a: RecoveryAssumptions) -> _Customers:
        return cls(
            wait_pain=np.maximum(generator.normal(a.wait_pain_mean, a.wait_pain_sd, n), 0.0),
            service=generator.normal(a.service_utility_mean, a.service_utility_sd, n),
            severity=np.maximum(
                generator.normal(a.failure_severity_mean, a.failure_severity_sd, n), 0.0
            ),
            recovery=generator.normal(a.recovery_value_mean, a.recovery_value_sd, n),
            farewell=generator.normal(a.farewell_utility_mean, a.farewell_utility_sd, n),
        )


def _service_journeys(people: _Customers, arm: str, a: RecoveryAssumptions) -> Traces:
    builder = TraceBuilder()
    for i in range(people.service.size):
        _one_journey(builder, i, people, arm, a)
    return builder.build(people.service.size)


def _one_journey(
    builder: TraceBuilder, i: int, people: _Customers, arm: str, a: RecoveryAssumptions
) -> None:
    clock = 0.0

    def episode(minutes: float, u_start: float, u_end: float, kind: EpisodeKind) -> None:
        nonlocal clock
        builder.add(i, clock, minutes, u_start, u_end, kind)
        clock += minutes

    def steady(minutes: float, utility: float, kind: EpisodeKind) -> None:
        episode(minutes, utility, utility, kind)

    severity = float(people.severity[i])
    episode(a.wait_minutes, -a.wait_pain_start, -float(people.wait_pain[i]), EpisodeKind.WAIT)
    steady(a.service_minutes, float(people.service[i]), EpisodeKind.SERVICE)
    if arm != "no failure":
        steady(0.0, -severity, EpisodeKind.FAILURE)  # the shock: an instant
        episode(a.failure_minutes, -severity, -severity / 2, EpisodeKind.FAILURE)
        steady(a.recovery_minutes, float(people.recovery[i]), EpisodeKind.RECOVERY)
    if arm == "double deviation":
        second = -a.second_failure_factor * severity
        steady(0.0, second, EpisodeKind.FAILURE)
        steady(a.unresolved_minutes, second, EpisodeKind.FAILURE)  # leaves unresolved
        return
    steady(a.farewell_minutes, float(people.farewell[i]), EpisodeKind.FAREWELL)


# ---------------------------------------------------------------------- all of them


def run_all(seed: Seed = 0, *, memory: MemoryModel | None = None) -> list[ClassicResult]:
    """Run every classic experiment with independent streams spawned from ``seed``.

    Parameters
    ----------
    seed : int or SeedSequence or None
        Root seed; the random experiments get spawned child streams.
    memory : MemoryModel, optional
        Memory model for every experiment (default: each experiment's default,
        peak-end), e.g. to see which classics another model reproduces.
    """
    chosen = memory or _PEAK_END
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    streams = [np.random.default_rng(child) for child in root.spawn(3)]
    return [
        patients_a_and_b(memory=chosen),
        cold_pressor(memory=chosen, rng=streams[0]),
        colonoscopy_trial(memory=chosen, rng=streams[1]),
        recovery_paradox(memory=chosen, rng=streams[2]),
    ]

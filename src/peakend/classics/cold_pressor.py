"""The cold-pressor experiment: a longer immersion, ending milder, is chosen again.

Reference: Kahneman, Fredrickson, Schreiber & Redelmeier (1993), When more pain
is preferred to less: adding a better end. Psychological Science 4, 401-405.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import special

from peakend.analysis.stats import Estimate
from peakend.experience.memory import MemoryModel, Total
from peakend.experience.trace import EpisodeKind, FloatArray, Traces

from ._common import (
    DEFAULT_MEMORY,
    Seed,
    check_count,
    generator_from,
    remembered_pain,
    require,
    require_positive,
)
from .result import Row

__all__ = ["ColdPressorAssumptions", "ColdPressorResult", "cold_pressor"]


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
        require_positive(self, "cold_pain_sd", "relief_sd", "choice_noise")
        require(
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
        return 0.5 < self.share_long.mean < 0.95 and self.share_long.ci_low > 0.5

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
            ("remembered pain, short trial", f"{self.remembered_pain_short:.2f}", "worse memory"),
            ("remembered pain, long trial", f"{self.remembered_pain_long:.2f}", "better memory"),
            ("total pain, short trial (pain-min)", f"{self.total_pain_short:.2f}", "less"),
            ("total pain, long trial (pain-min)", f"{self.total_pain_long:.2f}", "more"),
        ]


def cold_pressor(
    n_subjects: int = 10_000,
    *,
    memory: MemoryModel = DEFAULT_MEMORY,
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
    check_count("n_subjects", n_subjects, 2)
    a = assumptions or ColdPressorAssumptions()
    generator = generator_from(seed, rng)
    cold = np.clip(generator.normal(a.cold_pain_mean, a.cold_pain_sd, n_subjects), 0.5, 10.0)
    warming = np.clip(cold - generator.normal(a.relief_mean, a.relief_sd, n_subjects), 0.0, 10.0)
    short, long = _cold_pressor_traces(cold, warming, a.onset_fraction)
    pain_short, pain_long = remembered_pain(short, memory), remembered_pain(long, memory)
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
        total_pain_short=Estimate.mean_of(remembered_pain(short, Total())),
        total_pain_long=Estimate.mean_of(remembered_pain(long, Total())),
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

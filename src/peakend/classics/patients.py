"""Patients A and B: a short, harsh colonoscopy remembered as worse than a long one.

Reference: Kahneman (2011), Thinking, Fast and Slow, ch. 35; after Redelmeier &
Kahneman (1996), Patients' memories of painful medical treatments. Pain 66, 3-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from peakend.experience.memory import MemoryModel, Total
from peakend.experience.trace import Traces

from ._common import DEFAULT_MEMORY, minute_pain_traces, remembered_pain
from .result import Row

__all__ = ["PATIENT_A_PAIN", "PATIENT_B_PAIN", "PatientsResult", "patients_a_and_b"]

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


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def patients_a_and_b(memory: MemoryModel = DEFAULT_MEMORY) -> PatientsResult:
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
    traces = minute_pain_traces([PATIENT_A_PAIN, PATIENT_B_PAIN])
    remembered = remembered_pain(traces, memory)
    total = remembered_pain(traces, Total())
    return PatientsResult(
        memory=repr(memory),
        remembered_pain_a=float(remembered[0]),
        remembered_pain_b=float(remembered[1]),
        total_pain_a=float(total[0]),
        total_pain_b=float(total[1]),
        traces=traces,
    )

"""The classic peak-end experiments, rerun on peakend's memory models.

Each experiment is a function returning a small frozen result with the model's
numbers, the published finding, ``reproduced`` (whether the model shows the
published direction) and ``rows()``: ``(quantity, model value, published)``
string triples for a table. Random experiments take ``seed`` or ``rng`` (not
both); every draw goes through that generator.

Parameters without a published value (noise levels, profile shapes, return
rules) are collected in frozen ``*Assumptions`` dataclasses with documented
defaults, so that they can be varied and reported.

One module per experiment: :mod:`.patients` (patients A and B),
:mod:`.cold_pressor`, :mod:`.colonoscopy` (the randomised trial) and
:mod:`.recovery_paradox`; :class:`peakend.analysis.stats.Estimate` holds the intervals,
:mod:`.result` the protocol every result follows and :mod:`.suite` runs them all.

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

# The functions cold_pressor and recovery_paradox share their modules' names; these
# imports bind the package attributes to the functions, which is what callers use.
from peakend.analysis.stats import Estimate

from .cold_pressor import ColdPressorAssumptions, ColdPressorResult, cold_pressor
from .colonoscopy import ColonoscopyAssumptions, ColonoscopyResult, colonoscopy_trial
from .patients import PATIENT_A_PAIN, PATIENT_B_PAIN, PatientsResult, patients_a_and_b
from .recovery_paradox import RecoveryAssumptions, RecoveryParadoxResult, recovery_paradox
from .result import ClassicResult
from .suite import run_all

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

"""All the classics at once, on independent random streams from one seed."""

from __future__ import annotations

import numpy as np

from peakend.experience.memory import MemoryModel

from ._common import DEFAULT_MEMORY, Seed
from .cold_pressor import cold_pressor
from .colonoscopy import colonoscopy_trial
from .patients import patients_a_and_b
from .recovery_paradox import recovery_paradox
from .result import ClassicResult

__all__ = ["run_all"]


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
    chosen = memory or DEFAULT_MEMORY
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    streams = [np.random.default_rng(child) for child in root.spawn(3)]
    return [
        patients_a_and_b(memory=chosen),
        cold_pressor(memory=chosen, rng=streams[0]),
        colonoscopy_trial(memory=chosen, rng=streams[1]),
        recovery_paradox(memory=chosen, rng=streams[2]),
    ]

"""The package version (one place), and the versions that every manifest records."""

from __future__ import annotations

import platform

__version__ = "0.1.0"


def software_versions() -> dict[str, str]:
    """peakend, Python, NumPy and SimPy versions: what a result depends on, for manifests.

    NumPy's generators and SimPy's event order decide every draw and every
    simultaneous event, so a result is reproducible only with the same versions.
    """
    import numpy
    import simpy

    return {
        "peakend_version": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "simpy": simpy.__version__,
    }

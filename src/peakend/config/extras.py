"""Optional features and the pip extras that install them.

peakend's core install runs scenarios, comparisons and sweeps on one machine.
Features only some users need come as extras (``pip install 'peakend[dask]'``);
asking for one that is not installed raises :class:`MissingExtraError`, which
names the extra, rather than an ``ImportError`` from deep inside a run.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

__all__ = ["EXTRAS", "MissingExtraError", "require"]

EXTRAS = {
    "dask": "Dask executors (local clusters and remote schedulers)",
    "excel": "Excel workbooks from peakend export --to xlsx (openpyxl)",
    "notebooks": "running the tutorial notebooks outside Jupyter (nbclient, ipykernel)",
}
"""Each optional extra of the ``peakend`` distribution and what it adds."""


class MissingExtraError(ImportError):
    """A feature whose optional packages are not installed.

    ``feature`` says what was asked for, ``extra`` names the pip extra that installs
    it and ``parameter`` the argument that asked for it (for the CLI to name its option).
    """

    def __init__(self, feature: str, extra: str, module: str, parameter: str = "") -> None:
        super().__init__(
            f"{feature} needs the optional package {module!r}, which is not installed; "
            f"install it with: pip install 'peakend[{extra}]'",
            name=module,
        )
        self.feature, self.extra, self.parameter = feature, extra, parameter


def require(module: str, feature: str, extra: str, parameter: str = "") -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming ``extra``."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    try:
        return import_module(module)
    except ImportError:
        raise MissingExtraError(feature, extra, module, parameter) from None

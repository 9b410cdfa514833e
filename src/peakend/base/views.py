"""Views: how results show themselves (``repr``, Jupyter's HTML), drawn by a layer above.

A :class:`~peakend.runs.runner.RunResult` or an
:class:`~peakend.experiments.results.ExperimentResult` shows itself with the tables and
plots of the presentation layer (:mod:`peakend.output.notebook`), which sits above
them. So that no package imports upward, a result asks this module for a view by
name (:func:`show`), and the presentation module hands its views over with
:func:`provide` when it is imported. As with the plug-in slots
(:mod:`peakend.base.plugins`), the package root declares the providing module
(:func:`declare`) and :func:`show` imports it on first use, so a view is never
missing because nothing happened to import it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["declare", "provide", "show"]

_providers: list[str] = []
_views: dict[str, Callable[[Any], str]] = {}


def declare(module: str) -> None:
    """Record that importing ``module`` provides views."""
    if module not in _providers:
        _providers.append(module)


def provide(name: str, view: Callable[[Any], str]) -> None:
    """Hand over the view ``name`` (called by its module when it is imported)."""
    _views[name] = view


def show(name: str, value: Any) -> str:
    """``value`` through the view ``name``, importing the declared providers on first use.

    Raises
    ------
    LookupError
        If no provider gives the view: a packaging error, never a user's.
    """
    view = _views.get(name)
    if view is None:
        for module in _providers:
            import_module(module)
        view = _views.get(name)
    if view is None:
        raise LookupError(f"no module provides the view {name!r}")
    return view(value)

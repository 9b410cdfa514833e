"""Plug-in slots: how the schema checks models that packages above it define.

A scenario names its memory model and its return model; the schema
(:mod:`peakend.config.schema`) must check those names and parameters when a file
loads, yet the models live in :mod:`peakend.experience.memory` and
:mod:`peakend.retention.returns`, above the configuration. The schema therefore
asks this module for the :class:`~peakend.base.registry.Registry` of a *kind*
(:data:`MEMORY_MODELS`, :data:`RETURN_MODELS`), and the module that defines the
models hands its registry over with :func:`provide` when it is imported.

Registration is never missed: the package root (``peakend/__init__.py``, the top
of the layers, run before any ``peakend.*`` module) declares with
:func:`declare` which module provides each kind, and :func:`registry` imports that
module on the first lookup if it has not been imported yet. So ``from
peakend.config.schema import Scenario`` alone checks ``model = "end"`` against the
built-in models, and a model registered at run time (``peakend.register_memory_model``)
is in the same registry the schema reads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peakend.base.registry import Registry

__all__ = ["KINDS", "MEMORY_MODELS", "RETURN_MODELS", "declare", "provide", "registry"]

MEMORY_MODELS = "memory_models"
"""Memory models: a trace in, one remembered utility per customer out."""
RETURN_MODELS = "return_models"
"""Return models: remembered utility, effort and loyalty in, a return probability out."""
KINDS = (MEMORY_MODELS, RETURN_MODELS)
"""Every plug-in kind the schema checks."""

_providers: dict[str, str] = {}
_registries: dict[str, Registry[Any]] = {}


def declare(kind: str, module: str) -> None:
    """Record that importing ``module`` provides the registry of ``kind``.

    Raises
    ------
    ValueError
        For a kind not in :data:`KINDS`, or one already declared by another module.
    """
    _check_kind(kind)
    if _providers.get(kind, module) != module:
        raise ValueError(f"plug-in kind {kind!r} is already provided by {_providers[kind]}")
    _providers[kind] = module


def provide(kind: str, models: Registry[Any]) -> None:
    """Hand over the registry of ``kind`` (called by its module when it is imported).

    Raises
    ------
    ValueError
        For a kind not in :data:`KINDS`, or one another registry already provides.
    """
    _check_kind(kind)
    if _registries.get(kind, models) is not models:
        raise ValueError(f"plug-in kind {kind!r} is already provided by another registry")
    _registries[kind] = models


def registry(kind: str) -> Registry[Any]:
    """The registry of ``kind``, importing its declared provider on first use.

    Raises
    ------
    LookupError
        If no module provides ``kind`` (none declared, or the declared one did not
        call :func:`provide`): a packaging error, never a user's.
    """
    _check_kind(kind)
    found = _registries.get(kind)
    if found is None and kind in _providers:
        import_module(_providers[kind])
        found = _registries.get(kind)
    if found is None:
        raise LookupError(f"no registry provides plug-in kind {kind!r}")
    return found


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown plug-in kind {kind!r}; kinds: {', '.join(KINDS)}")

"""Registries of pluggable models: a config names a model, it never names a module.

A config is data. The parts of a scenario that are code (memory models, return
models) are chosen by a registered *name*; what a name resolves to comes from,
in this order:

1. the built-in models and those registered in the running program with
   :meth:`Registry.register` (``register_memory_model``, ``register_return_model``);
2. an entry point of that name in the registry's group (``peakend.memory_models``,
   ``peakend.return_models``) declared by an *installed* package, loaded only when
   the name is not found in 1.

A name that is not ``snake_case`` (``os:system``, ``pkg.mod.Class``) is refused
before anything is looked up, so no config can make peakend import a module.
What a name resolves to must be a dataclass subclassing the registry's base
class; the dataclass's fields are the parameters a config may set.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, Generic, TypeVar

from peakend.base.errors import listing

__all__ = ["NAME_PATTERN", "Registry"]

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""Registered names: snake_case, at most 64 characters."""

T = TypeVar("T")
C = TypeVar("C", bound=type)


class Registry(Generic[T]):
    """Named model classes of one kind, with lazy entry-point loading.

    Parameters
    ----------
    kind
        What the models are, for messages (``"memory model"``).
    base
        The class every registered model must subclass.
    group
        The entry-point group searched for names that are not registered.
    """

    def __init__(self, kind: str, base: type, group: str) -> None:
        # ``base`` is typed ``type``, not ``type[T]``: model base classes are abstract.
        self.kind = kind
        self.base = base
        self.group = group
        self._classes: dict[str, type[T]] = {}

    def register(self, name: str, *, replace: bool = False) -> Callable[[C], C]:
        """Class decorator registering a model under a snake_case ``name``.

        Raises
        ------
        ValueError
            If ``name`` is not snake_case, or is taken by another class and
            ``replace`` is false.
        TypeError
            If the class is not a dataclass subclassing the base class.
        """
        self._check_name_format(name)

        def decorate(cls: C) -> C:
            problem = self._class_problem(cls)
            if problem:
                raise TypeError(f"{getattr(cls, '__qualname__', cls)!r} {problem}")
            self._add(name, cls, replace)
            return cls

        return decorate

    def available(self) -> dict[str, type[T]]:
        """Registered models by name, sorted (a copy; entry points not yet loaded are absent)."""
        return dict(sorted(self._classes.items()))

    def names_of(self, cls: type) -> list[str]:
        """The names under which ``cls`` is registered."""
        return [name for name, registered in self._classes.items() if registered is cls]

    def get(self, name: object) -> type[T]:
        """The class registered as ``name``, loading an installed entry point if needed.

        Raises
        ------
        ValueError
            One line: a name that is not snake_case (an import path, say), an
            unknown name (listing the known ones), or an entry point that cannot
            be loaded or is not a subclass of the base class.
        """
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                f"{self.kind} must be a registered name ([a-z][a-z0-9_]*), got {name!r}; "
                f"a config never names a module to import; registered: {self._listing()}"
            )
        found = self._classes.get(name)
        if found is not None:
            return found
        return self._load_entry_point(name)

    def build(self, name: object, params: Mapping[str, Any]) -> T:
        """An instance of the model ``name`` with ``params``, checked against its fields.

        Raises
        ------
        ValueError
            For an unknown name or parameter (listing the allowed ones), or a
            value the model rejects.
        """
        cls = self.get(name)
        allowed = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        unknown = sorted(str(key) for key in params if key not in allowed)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {listing(unknown)} for {self.kind} {name!r}; "
                f"allowed: {', '.join(allowed) or 'none'}"
            )
        try:
            return cls(**params)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"invalid parameters for {self.kind} {name!r}: {_one_line(error)}"
            ) from error

    def from_spec(self, spec: Mapping[str, Any] | str) -> T:
        """An instance from a config mapping ``{"model": name, **params}`` (or a bare name).

        Raises
        ------
        ValueError
            For a spec that is not a mapping or a name, one without ``"model"``
            (listing the registered names), and as :meth:`build`.
        """
        if not isinstance(spec, (str, Mapping)):
            raise ValueError(f"a {self.kind} spec is a table with a 'model' name, got {spec!r}")
        params = {"model": spec} if isinstance(spec, str) else dict(spec)
        if "model" not in params:
            raise ValueError(
                f"a {self.kind} spec needs a 'model' name, got {spec!r}; "
                f"registered models: {', '.join(self.available())}"
            )
        return self.build(params.pop("model"), params)

    # ------------------------------------------------------------------ internals

    def _check_name_format(self, name: object) -> None:
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                f"{self.kind} name must be snake_case ([a-z][a-z0-9_]*, at most 64 "
                f"characters), got {name!r}"
            )

    def _class_problem(self, cls: object) -> str:
        if not isinstance(cls, type) or not issubclass(cls, self.base):
            return f"cannot be a {self.kind}: it is not a subclass of {self.base.__name__}"
        if not dataclasses.is_dataclass(cls):
            return (
                f"cannot be a {self.kind}: it must be a dataclass (its fields are its parameters)"
            )
        return ""

    def _add(self, name: str, cls: type[T], replace: bool) -> None:
        taken = self._classes.get(name)
        if taken is not None and taken is not cls and not replace:
            raise ValueError(
                f"{self.kind} name {name!r} is already registered to {taken.__qualname__}; "
                "pass replace=True to override it"
            )
        self._classes[name] = cls

    def _load_entry_point(self, name: str) -> type[T]:
        points = list(metadata.entry_points(group=self.group, name=name))
        if not points:
            raise ValueError(f"unknown {self.kind} {name!r}; registered: {self._listing()}")
        if len({point.value for point in points}) > 1:
            values = ", ".join(sorted({point.value for point in points}))
            raise ValueError(
                f"{self.kind} {name!r} is declared by several installed packages ({values}) "
                f"in entry-point group {self.group}"
            )
        point = points[0]
        try:
            # Installed third-party code, declared by its package: not named by a config.
            loaded = point.load()
        except Exception as error:  # noqa: BLE001 - any failure of foreign code is reported
            raise ValueError(
                f"cannot load {self.kind} {name!r} from entry point {point.value!r}: "
                f"{type(error).__name__}: {_one_line(error)}"
            ) from error
        problem = self._class_problem(loaded)
        if problem:
            raise ValueError(f"entry point {name} = {point.value!r} {problem}")
        self._add(name, loaded, replace=True)
        return loaded  # type: ignore[no-any-return]

    def _listing(self) -> str:
        names = set(self._classes)
        try:
            names |= {point.name for point in metadata.entry_points(group=self.group)}
        except Exception:  # noqa: BLE001 - a broken installed package must not hide the error
            pass
        return listing(sorted(names)) or "none"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())

"""What every classic experiment returns: a titled result with table rows."""

from __future__ import annotations

from typing import ClassVar, Protocol

__all__ = ["ClassicResult", "Row"]

Row = tuple[str, str, str]
"""``(quantity, model value, published value or finding)``, all formatted."""


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

"""The error a user's input can cause: :class:`ConfigError`.

Its own module so that every configuration module can raise it without importing
another (``peakend.config.loading`` re-exports it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from peakend.base.names import printable

__all__ = ["ConfigError", "closest", "did_you_mean", "listing"]


class ConfigError(ValueError):
    """A scenario or experiment file that cannot be used, with a user-facing message.

    Each argument is one problem, naming the file (or other source) and the key
    path; the message has one line per problem, so that the CLI can print it and
    exit with status 2. A problem is made one line here, whatever names it quotes:
    its control characters and line breaks are escaped
    (:func:`peakend.base.names.printable`), so a name in a file cannot forge a line.
    """

    def __init__(self, *problems: object) -> None:
        self.problems = tuple(printable(str(problem)) for problem in problems)
        super().__init__(*self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def listing(names: Iterable[object], limit: int = 20) -> str:
    """``a, b, c``: names for a one-line message, the first ``limit`` and how many more."""
    items = [str(name) for name in names]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"


def closest(name: object, allowed: Iterable[object]) -> str | None:
    """The allowed name nearest to a misspelt ``name`` (``difflib``), or None if none is near."""
    matches = difflib.get_close_matches(str(name), [str(item) for item in allowed], n=1)
    return matches[0] if matches else None


def did_you_mean(name: object, allowed: Iterable[object]) -> str:
    """``"did you mean 'staffing'? "`` for the allowed name nearest to ``name``, or ``""``."""
    match = closest(name, allowed)
    return f"did you mean {match!r}? " if match is not None else ""

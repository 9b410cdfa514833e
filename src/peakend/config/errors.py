"""The error a user's input can cause: :class:`ConfigError`.

Its own module so that every configuration module can raise it without importing
another (``peakend.config.loading`` re-exports it).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ConfigError", "listing"]


class ConfigError(ValueError):
    """A scenario or experiment file that cannot be used, with a user-facing message.

    The message has one line per problem, each naming the file (or other source)
    and the key path, so that the CLI can print it and exit with status 2.
    """


def listing(names: Iterable[object], limit: int = 20) -> str:
    """``a, b, c``: names for a one-line message, the first ``limit`` and how many more."""
    items = [str(name) for name in names]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"

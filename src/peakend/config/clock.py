"""Clock time of day: a scenario's opening time and minutes since opening as ``HH:MM``.

Inside the model every time is in minutes since opening (``run.opens_at``); only
tables and plots show clock times. A day that runs past midnight wraps around
(``clock(30, "23:45")`` is ``"00:15"``).
"""

from __future__ import annotations

import math
import re

__all__ = ["MINUTES_PER_DAY", "clock", "parse_clock"]

MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"(\d{2}):(\d{2})")


def parse_clock(text: str) -> int:
    """Minutes after midnight of a ``"HH:MM"`` time (00:00 to 23:59).

    Raises
    ------
    ValueError
        Unless ``text`` is two digits of hour (00-23), a colon and two digits of
        minute (00-59).
    """
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a clock time 'HH:MM' such as '08:00', got {text!r}")
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise ValueError(f"expected a clock time from '00:00' to '23:59', got {text!r}")
    return hours * 60 + minutes


def clock(minutes: float, opens_at: str = "00:00") -> str:
    """The clock time ``"HH:MM"`` reached ``minutes`` after opening at ``opens_at``.

    Seconds are rounded to the nearest minute; the clock wraps at midnight.

    Raises
    ------
    ValueError
        For a non-finite ``minutes`` or a malformed ``opens_at``.
    """
    if not math.isfinite(minutes):
        raise ValueError(f"minutes must be finite, got {minutes!r}")
    total = (parse_clock(opens_at) + round(minutes)) % MINUTES_PER_DAY
    return f"{total // 60:02d}:{total % 60:02d}"

"""Calendar days of a scenario: ``run.start_date`` and rosters by weekday or date.

Day ``i`` of a run (0 for a single-day run; ``period * days_per_period + day`` in
the retention loop, negative in its warm-up) is the date ``run.start_date + i``
days. A pool's ``staffing_by_day`` maps a weekday (``mon`` ... ``sun``) or an ISO
date (``"2026-03-02"``) to that day's roster; a date beats a weekday, and a day
with neither has the pool's ``staffing``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

__all__ = ["WEEKDAYS", "check_date", "check_day_key", "date_of_day", "roster_of_day"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of ``staffing_by_day``, Monday first (``date.weekday()`` order)."""

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def check_date(text: str) -> dt.date:
    """The date of an ISO ``"YYYY-MM-DD"`` string.

    Raises
    ------
    ValueError
        Naming the expected form, for anything else (or a date that does not exist).
    """
    if not _ISO_DATE.match(text):
        raise ValueError(f'expected a date "YYYY-MM-DD", e.g. "2026-03-02", got {text!r}')
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"no such date: {text!r}") from None


def check_day_key(key: str) -> str:
    """A key of ``staffing_by_day``: a weekday or an ISO date (raises ValueError otherwise)."""
    if key in WEEKDAYS:
        return key
    if _ISO_DATE.match(key):
        check_date(key)
        return key
    raise ValueError(
        f'a day is a weekday ({", ".join(WEEKDAYS)}) or a date "YYYY-MM-DD", got {key!r}'
    )


def date_of_day(start_date: str, day: int) -> dt.date:
    """The date of day ``day`` of a run that starts on ``start_date``."""
    return check_date(start_date) + dt.timedelta(days=day)


def roster_of_day(
    staffing: tuple[int, ...],
    by_day: Mapping[str, tuple[int, ...]],
    start_date: str | None,
    day: int,
) -> tuple[int, ...]:
    """The roster of day ``day``: its date's, else its weekday's, else ``staffing``."""
    if not by_day or start_date is None:
        return staffing
    date = date_of_day(start_date, day)
    for key in (date.isoformat(), WEEKDAYS[date.weekday()]):
        roster = by_day.get(key)
        if roster is not None:
            return roster
    return staffing

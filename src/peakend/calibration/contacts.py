"""Redials and repeat contacts: what the same customer does next.

Both are read from the customer id (rows without one are left out and counted):

- a *redial* is a contact that reached the queue within ``redial_window`` minutes of
  the same customer's abandonment from the queue. The share of abandoned contacts
  followed by a redial estimates the retry probability, the delays (from giving up
  to the next arrival) the retry delay. An abandonment later than
  ``redial_window`` before the day's last arrival cannot show its redial: it is
  left out of the share (censored), not counted as "no redial".
- a *repeat contact* follows a served contact within ``repeat_window`` minutes:
  the share of served contacts followed by one is a resolution proxy (a customer
  whose problem was solved does not call again). Served contacts less than
  ``repeat_window`` before the log's last arrival are left out likewise.

The next contact is the customer's next contact that reached the queue (served or
abandoned); contacts that ended in the IVR are not counted as a retry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from peakend.calibration.logs import DAY

__all__ = ["FollowUps", "follow_ups", "absolute_minutes"]


def absolute_minutes(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` (minutes since the row's date) as minutes since the log's epoch."""
    days = (frame["date"] - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=np.float64)
    return days * DAY + frame[column].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class FollowUps:
    """The follow-up contacts of one group of contacts (a type, or all)."""

    abandoned_seen: int
    """Abandoned contacts with a customer id and time left to see a redial."""
    redialled: int
    redial_delays: np.ndarray
    served_seen: int
    repeated: int
    repeat_delays: np.ndarray
    without_customer: int

    @property
    def redial_share(self) -> float:
        return self.redialled / self.abandoned_seen if self.abandoned_seen else float("nan")

    @property
    def repeat_share(self) -> float:
        return self.repeated / self.served_seen if self.served_seen else float("nan")


def mark_follow_ups(
    queued: pd.DataFrame, redial_window: float, repeat_window: float
) -> pd.DataFrame:
    """``queued`` (contacts that reached the queue) with the columns ``next_gap`` (minutes
    from this contact's end of waiting or of service to the customer's next queued
    contact; NaN if none or no customer id), ``is_redial`` (this contact follows the
    same customer's abandonment within ``redial_window``) and ``is_repeat`` (it follows
    a served contact within ``repeat_window``)."""
    frame = queued.copy()
    arrival = absolute_minutes(frame, "queue_entry")
    served = (frame["outcome"] == "served").to_numpy()
    service_end = (
        arrival + frame["wait"].to_numpy() + np.nan_to_num(frame["service_minutes"].to_numpy())
    )
    frame["_arrival"] = arrival
    frame["_end"] = np.where(served, service_end, arrival + frame["wait"].to_numpy())
    frame = frame.sort_values(["customer", "_arrival"], kind="stable")
    known = (frame["customer"] != "").to_numpy()
    same_next = (
        np.append(frame["customer"].to_numpy()[1:] == frame["customer"].to_numpy()[:-1], False)
        & known
    )
    next_arrival = np.append(frame["_arrival"].to_numpy()[1:], np.nan)
    gap = np.where(same_next, next_arrival - frame["_end"].to_numpy(), np.nan)
    frame["next_gap"] = gap
    previous_gap = np.insert(gap[:-1], 0, np.nan)
    previous_outcome = np.insert(frame["outcome"].to_numpy()[:-1], 0, "")
    same_previous = np.insert(same_next[:-1], 0, False)
    frame["is_redial"] = (
        same_previous & (previous_outcome == "abandoned") & (previous_gap <= redial_window)
    )
    frame["is_repeat"] = (
        same_previous & (previous_outcome == "served") & (previous_gap <= repeat_window)
    )
    return frame.sort_index()


def follow_ups(marked: pd.DataFrame, redial_window: float, repeat_window: float) -> FollowUps:
    """The redials and repeats of the contacts in ``marked`` (from :func:`mark_follow_ups`)."""
    known = marked["customer"] != ""
    last_arrival_of_day = marked.groupby("date")["_arrival"].transform("max")
    log_end = float(marked["_arrival"].max()) if len(marked) else 0.0
    abandoned = marked[
        known
        & (marked["outcome"] == "abandoned")
        & (marked["_end"] + redial_window <= last_arrival_of_day)
    ]
    redial = abandoned["next_gap"] <= redial_window
    served = marked[
        known & (marked["outcome"] == "served") & (marked["_end"] + repeat_window <= log_end)
    ]
    repeat = served["next_gap"] <= repeat_window
    return FollowUps(
        abandoned_seen=len(abandoned),
        redialled=int(redial.sum()),
        redial_delays=abandoned.loc[redial, "next_gap"].to_numpy(dtype=float),
        served_seen=len(served),
        repeated=int(repeat.sum()),
        repeat_delays=served.loc[repeat, "next_gap"].to_numpy(dtype=float),
        without_customer=int((~known).sum()),
    )

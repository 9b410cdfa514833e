"""How a contact log's columns map onto what calibration reads: :class:`LogFormat`.

A contact log has one row per contact. Calibration needs, per row: the contact
type, the customer, when the contact arrived, when it joined and left the queue,
how it ended (served, abandoned, left in the IVR, or to be ignored), when its
service started and ended, and the agent. :class:`LogFormat` names the file's
column for each of these *fields* and how its times are written:

- ``times = "clock"``: a ``date`` column and times of day (``H:MM:SS``), as in
  the Anonymous Bank log; a time earlier than the stage before it lies on the
  next day (a call that crosses midnight).
- ``times = "timestamp"``: each time is an ISO 8601 date and time
  (``2024-03-05 14:02:11``); no ``date`` column.

Two formats are built in (:data:`PRESETS`): ``anonymous_bank``, the call-by-call
format of the Anonymous Bank data (Brown et al. 2005), and ``peakend``, a plain
format with timestamps. Any other export is read through a TOML file with the
same keys (``peakend calibrate LOG --format my_acd.toml``), for example::

    times = "timestamp"
    [columns]
    type = "queue_name"
    customer = "caller"
    arrival = "offered_at"
    queue_entry = "queued_at"
    queue_exit = "dequeued_at"
    outcome = "result"
    service_start = "answered_at"
    service_end = "released_at"
    agent = "agent_login"
    [outcomes]
    ANSWERED = "served"
    ABANDONED = "abandoned"
    SELF_SERVICE = "ivr_only"
    TEST = "ignore"
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FIELDS", "OUTCOMES", "PRESETS", "LogFormat", "load_format"]

OUTCOMES = ("served", "abandoned", "ivr_only", "ignore")
"""What a row's outcome means: served by an agent; abandoned from the queue; left
in the IVR (self-service) before reaching the queue; a row the log marks to be
ignored (the Anonymous Bank's PHANTOM calls)."""

FIELDS = (
    "type",
    "customer",
    "date",
    "arrival",
    "queue_entry",
    "queue_exit",
    "outcome",
    "service_start",
    "service_end",
    "agent",
    "score",
)
"""The fields a format may map to columns (``date`` with clock times only; ``score``,
an optional survey score, and ``customer`` may be left out)."""

_REQUIRED = ("type", "arrival", "queue_entry", "queue_exit", "outcome", "service_start")


class LogFormat(BaseModel):
    """A contact log's layout: which column holds each field, and how times are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("custom", max_length=64, description="a label for messages")
    times: Literal["clock", "timestamp"] = Field(
        "timestamp", description="clock: a date column and H:MM:SS times; timestamp: ISO 8601"
    )
    date_format: str = Field(
        "%Y-%m-%d", max_length=32, description="strptime format of the date column (clock times)"
    )
    columns: dict[str, str] = Field(description="field -> the file's column name")
    outcomes: dict[str, Literal["served", "abandoned", "ivr_only", "ignore"]] = Field(
        description="the file's outcome value -> what it means"
    )
    no_agent: tuple[str, ...] = Field(
        ("",), description="agent values meaning no agent served the contact"
    )
    no_customer: tuple[str, ...] = Field(
        ("", "0"), description="customer values meaning the caller was not identified"
    )
    no_queue_time: str | None = Field(
        None,
        description="a queue-entry value meaning the contact never reached the queue "
        "(the Anonymous Bank writes 0:00:00)",
    )
    time_resolution_seconds: float = Field(
        1.0, gt=0, le=3600, description="the log's time step: waits are rounded to it"
    )

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}; fields: {', '.join(FIELDS)}")
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise ValueError(f"no column for the field {missing[0]!r}")
        return columns

    def column(self, field: str) -> str | None:
        """The file's column of ``field``, or None if the format leaves it out."""
        return self.columns.get(field)


ANONYMOUS_BANK = LogFormat(
    name="anonymous_bank",
    times="clock",
    date_format="%y%m%d",
    columns={
        "type": "type",
        "customer": "customer_id",
        "date": "date",
        "arrival": "vru_entry",
        "queue_entry": "q_start",
        "queue_exit": "q_exit",
        "outcome": "outcome",
        "service_start": "ser_start",
        "service_end": "ser_exit",
        "agent": "server",
    },
    outcomes={"AGENT": "served", "HANG": "abandoned", "PHANTOM": "ignore"},
    no_agent=("", "NO_SERVER"),
    no_customer=("", "0"),
    no_queue_time="0:00:00",
)
"""The Anonymous Bank call-by-call format: ``vru+line, call_id, customer_id, priority,
type, date, vru_entry, vru_exit, vru_time, q_start, q_exit, q_time, outcome, ser_start,
ser_exit, ser_time, server``; dates ``YYMMDD``, times ``H:MM:SS``. A HANG that never
reached the queue (``q_start`` 0:00:00) left in the IVR."""

PEAKEND = LogFormat(
    name="peakend",
    times="timestamp",
    columns={
        "type": "type",
        "customer": "customer_id",
        "arrival": "arrival",
        "queue_entry": "queue_entry",
        "queue_exit": "queue_exit",
        "outcome": "outcome",
        "service_start": "service_start",
        "service_end": "service_end",
        "agent": "agent",
        "score": "score",
    },
    outcomes={
        "served": "served",
        "abandoned": "abandoned",
        "ivr_only": "ivr_only",
        "ignore": "ignore",
    },
)
"""A plain format: ISO 8601 timestamps, outcomes spelt as in :data:`OUTCOMES`, an
empty ``queue_entry`` for a contact that never queued."""

PRESETS = {"anonymous_bank": ANONYMOUS_BANK, "peakend": PEAKEND}


def load_format(name_or_path: str | Path) -> LogFormat:
    """A preset by name, or a format read from a TOML file (keys as :class:`LogFormat`).

    Raises
    ------
    ConfigError
        For a file that cannot be read, or a key, column or outcome that is not allowed.
    """
    from peakend.config.loading import load_toml, validate_model

    if str(name_or_path) in PRESETS:
        return PRESETS[str(name_or_path)]
    path = Path(name_or_path)
    return validate_model(LogFormat, load_toml(path), str(path))

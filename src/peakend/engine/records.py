"""Flat result records: one row per contact and one row per customer.

Each table's columns are defined once, by a row type (a ``NamedTuple``, as
Ciw's ``DataRecord``): :class:`ContactRecord` and :class:`CustomerRecord`. A
:class:`Table` holds one numpy column per field of its row type, in that order
and with the dtype the field's annotation gives, so the record and its columns
cannot drift apart. Codes are :class:`~enum.IntEnum` values inside the package
and labelled pandas categoricals in every frame that leaves it
(:meth:`Table.to_frame`).

Units: minutes for times and durations, the scenario's currency for costs.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from peakend.engine.facts import ContactKind, Outcome, ServiceResult

__all__ = [
    "ContactRecord",
    "ContactTable",
    "CustomerRecord",
    "CustomerTable",
    "Table",
    "row_dtype",
]

T = TypeVar("T", bound="Table")


class ContactRecord(NamedTuple):
    """One contact: a first call, a retry, a repeat contact, a callback, an escalation."""

    customer: int
    segment: int
    pool: int
    contact: int
    """1 for the customer's first contact, 2 for the next, ..."""
    kind: ContactKind
    arrival_minutes: float
    """When the contact joined the queue."""
    wait_minutes: float
    """Time in queue: until answered, until giving up, or until the run ended."""
    abandoned: bool
    answered: bool
    at_home: bool
    """The customer waited at home (a callback), not on the line."""
    service_start_minutes: float
    service_end_minutes: float
    """End of the service's work (closing words and apologies come after it)."""
    agent: int
    """Index of the agent in its pool's roster (-1: not answered)."""
    served_pool: int
    """Pool of that agent: the queue's, or its overflow pool (-1: not answered)."""
    agent_warmth: float
    service_result: ServiceResult
    resolved: bool


class CustomerRecord(NamedTuple):
    """One customer's journey; the utility columns are NaN with the experience model off."""

    customer: int
    segment: int
    channel: int
    arrival_minutes: float
    wait_minutes: float
    """Total time in queues over all contacts."""
    contacts: int
    retries: int
    effort: int
    """Retries plus repeat contacts plus transfers."""
    transfers: int
    failures: int
    recoveries: int
    """Failures met with a remedy: an apology, a coupon or an offered alternative, or a
    callback."""
    recovery_cost: float
    """Money paid out for recovery: coupons (agent time is in ``recovery_minutes``)."""
    recovery_minutes: float
    """Agent-minutes of recovery: apologies, offered alternatives, callback and escalated
    services (time of the paid roster, not money)."""
    extras_cost: float
    """Money paid out for extras: delight extras at ``service.delight_cost``."""
    extras_minutes: float
    """Agent-minutes of extras: farewells (time of the paid roster, not money)."""
    outcome: Outcome
    first_contact_resolved: bool
    pool: int
    """Pool of the last contact."""
    agent: int
    """Agent of the last answered contact (-1: never answered)."""
    service_start_minutes: float
    """Start of the last answered service (NaN: never answered); the same service as
    ``agent`` and ``service_end_minutes``."""
    service_end_minutes: float
    """End of the last answered service's work."""
    remembered_utility: float
    experienced_utility: float
    worst_utility: float
    best_utility: float
    end_utility: float
    total_utility: float
    experienced_minutes: float
    service_quality: float


_DTYPES = {int: np.dtype(np.int64), float: np.dtype(np.float64), bool: np.dtype(np.bool_)}


def _fields(row: type) -> tuple[str, ...]:
    """The field names of a NamedTuple row type."""
    fields: tuple[str, ...] = row._fields  # type: ignore[attr-defined]
    return fields


def row_dtype(row: type) -> list[tuple[str, np.dtype[Any]]]:
    """The structured dtype of a row type: int64, float64, bool, int8 for IntEnums."""
    hints = typing.get_type_hints(row)
    dtype: list[tuple[str, np.dtype[Any]]] = []
    for name in _fields(row):
        hint = hints[name]
        if isinstance(hint, type) and issubclass(hint, IntEnum):
            dtype.append((name, np.dtype(np.int8)))
        else:
            dtype.append((name, _DTYPES[hint]))
    return dtype


def enum_columns(row: type) -> dict[str, type[IntEnum]]:
    """Columns of a row type that hold IntEnum codes."""
    hints = typing.get_type_hints(row)
    return {
        name: hint
        for name, hint in hints.items()
        if isinstance(hint, type) and issubclass(hint, IntEnum)
    }


@dataclass(frozen=True)
class Table:
    """Equally long numpy columns, exactly the fields of :attr:`ROW`, in order.

    ``labels`` names the codes of columns that index into the scenario (segment,
    channel, pool); IntEnum columns are labelled by their enum.
    """

    columns: dict[str, np.ndarray]
    labels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    ROW: ClassVar[type]

    def __post_init__(self) -> None:
        expected = list(_fields(self.ROW))
        if list(self.columns) != expected:
            raise ValueError(
                f"{type(self).__name__} columns must be {expected}, got {list(self.columns)}"
            )
        lengths = {len(values) for values in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{type(self).__name__} columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @classmethod
    def from_columns(
        cls: type[T], labels: Mapping[str, Sequence[str]] | None = None, **columns: Any
    ) -> T:
        """A table from columns given by name, cast to the row type's dtypes."""
        missing = set(_fields(cls.ROW)) - set(columns)
        extra = set(columns) - set(_fields(cls.ROW))
        if missing or extra:
            raise ValueError(
                f"{cls.__name__}: missing columns {sorted(missing)}, unknown {sorted(extra)}"
            )
        cast = {
            name: np.ascontiguousarray(columns[name], dtype=dtype)
            for name, dtype in row_dtype(cls.ROW)
        }
        return cls(cast, dict(labels or {}))

    def row(self, index: int) -> Any:
        """Row ``index`` as an instance of the row type (codes as their enums)."""
        enums = enum_columns(self.ROW)
        values = []
        for name in _fields(self.ROW):
            value = self.columns[name][index].item()
            values.append(enums[name](value) if name in enums else value)
        return self.ROW(*values)

    def to_frame(self, **extra: Any) -> pd.DataFrame:
        """A DataFrame with codes as labelled categoricals and ``extra`` constant columns
        in front."""
        frame = pd.DataFrame(self.columns)
        for name, enum in enum_columns(self.ROW).items():
            frame[name] = _categorical(frame[name].to_numpy(), [e.name.lower() for e in enum])
        for name, names in self.labels.items():
            frame[name] = _categorical(frame[name].to_numpy(), list(names))
        for position, (name, value) in enumerate(extra.items()):
            frame.insert(position, name, value)
        return frame

    def with_columns(self: T, **columns: np.ndarray) -> T:
        """A copy with some columns replaced (all columns stay those of the row type)."""
        merged = dict(self.columns)
        for name, values in columns.items():
            if name not in merged:
                raise ValueError(f"{type(self).__name__} has no column {name!r}")
            merged[name] = np.asarray(values, dtype=merged[name].dtype)
        return type(self)(merged, self.labels)

    def select(self: T, mask: np.ndarray) -> T:
        """Rows where ``mask`` is true."""
        return type(self)(
            {name: values[mask] for name, values in self.columns.items()}, self.labels
        )


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """Codes (-1: missing) as a categorical with ``names`` as its categories."""
    return pd.Categorical.from_codes(codes.astype(np.int64), names)


@dataclass(frozen=True)
class ContactTable(Table):
    """One row per contact, ordered by customer and contact number."""

    ROW: ClassVar[type] = ContactRecord


@dataclass(frozen=True)
class CustomerTable(Table):
    """One row per customer, in arrival order."""

    ROW: ClassVar[type] = CustomerRecord


NO_SERVICE = -1
"""Code of ``service_result`` (and ``agent``) for a contact that was never answered."""

"""Flat result records: one row per contact and one row per customer.

Each table's columns are defined once, by a row type (a ``NamedTuple``, as
Ciw's ``DataRecord``): :class:`ContactRecord` and :class:`CustomerRecord`, each field
with its unit and meaning beside it (a :class:`Column`), which the data dictionary
(``peakend.store.dictionary``) and the metric registry read. A
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
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, NamedTuple, TypeVar

import numpy as np

from peakend.engine.facts import ContactKind, Outcome, ServiceResult, tallied_by

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Column",
    "ContactRecord",
    "ContactTable",
    "CustomerRecord",
    "CustomerTable",
    "Table",
    "column",
    "columns_of",
    "row_dtype",
    "tallied_phrase",
]

T = TypeVar("T", bound="Table")


@dataclass(frozen=True)
class Column:
    """A column's unit and meaning, beside its field of a row type (``Annotated``).

    The description may name ``{tallied}``: the kinds of fact that add to the column
    (:class:`~peakend.engine.facts.Tally`), listed when the column is described
    (:func:`columns_of`), so a lever that adds to the column is named without an edit here.
    """

    unit: str
    description: str


_SEGMENT = "customer segment (a [segments] name of the scenario)"


class ContactRecord(NamedTuple):
    """One contact: a first call, a retry, a repeat contact, a callback, an escalation."""

    customer: Annotated[int, Column("", "customer number within the day, in arrival order")]
    segment: Annotated[int, Column("label", _SEGMENT)]
    pool: Annotated[int, Column("label", "pool whose queue the contact joined")]
    contact: Annotated[int, Column("", "1 for the customer's first contact, 2 for the next, ...")]
    kind: Annotated[
        ContactKind,
        Column("label", "first, retry, recontact, callback, escalation, stage or transfer"),
    ]
    arrival_minutes: Annotated[
        float, Column("minutes", "when the contact joined the queue, since opening")
    ]
    wait_minutes: Annotated[
        float,
        Column("minutes", "time in queue: until answered, until giving up, or until the run ended"),
    ]
    abandoned: Annotated[bool, Column("true/false", "the customer gave up waiting")]
    answered: Annotated[bool, Column("true/false", "an agent answered")]
    at_home: Annotated[
        bool,
        Column(
            "true/false",
            "the customer waited at home (a callback or a virtual hold), not on the line",
        ),
    ]
    service_start_minutes: Annotated[
        float, Column("minutes", "when service began (empty: not answered)")
    ]
    service_end_minutes: Annotated[
        float,
        Column("minutes", "end of the service's work (closing words and apologies come after it)"),
    ]
    agent: Annotated[int, Column("", "agent's index in its pool's roster (-1: not answered)")]
    served_pool: Annotated[
        int,
        Column("label", "pool of the agent who answered: the queue's, or its overflow pool"),
    ]
    agent_warmth: Annotated[float, Column("0-1", "warmth of the agent who answered")]
    service_result: Annotated[
        ServiceResult,
        Column("label", "resolved, failed_seen, failed_unseen, cut or transferred (empty: none)"),
    ]
    resolved: Annotated[bool, Column("true/false", "the contact resolved the problem")]


class CustomerRecord(NamedTuple):
    """One customer's journey; the utility columns are NaN with the experience model off."""

    customer: Annotated[int, Column("", "customer number within the day, in arrival order")]
    segment: Annotated[int, Column("label", _SEGMENT)]
    channel: Annotated[int, Column("label", "channel of the first contact (a [channels] name)")]
    arrival_minutes: Annotated[float, Column("minutes", "first contact's arrival, since opening")]
    wait_minutes: Annotated[float, Column("minutes", "total time in queues over all contacts")]
    contacts: Annotated[int, Column("count", "contacts the customer made")]
    retries: Annotated[int, Column("count", "contacts again after abandoning")]
    effort: Annotated[int, Column("count", "retries plus repeat contacts plus transfers")]
    transfers: Annotated[int, Column("count", "transfers to another pool")]
    failures: Annotated[int, Column("count", "services that did not resolve the problem")]
    recoveries: Annotated[int, Column("count", "failures met with a remedy: {tallied}")]
    recovery_cost: Annotated[
        float,
        Column(
            "currency",
            "money paid out for recovery: {tallied} (agent time is in recovery_minutes)",
        ),
    ]
    recovery_minutes: Annotated[
        float,
        Column(
            "agent-minutes",
            "agent time of {tallied}, and of callback and escalated services (paid in staff "
            "cost, not money again)",
        ),
    ]
    extras_cost: Annotated[
        float,
        Column(
            "currency",
            "money paid out for extras: {tallied} (agent time is in extras_minutes)",
        ),
    ]
    extras_minutes: Annotated[
        float, Column("agent-minutes", "agent time of {tallied} (paid in staff cost)")
    ]
    outcome: Annotated[
        Outcome,
        Column("label", "resolved, unresolved, abandoned or in_system (when the run ended)"),
    ]
    first_contact_resolved: Annotated[
        bool, Column("true/false", "the first answered contact resolved the problem")
    ]
    pool: Annotated[int, Column("label", "pool of the last contact")]
    agent: Annotated[int, Column("", "agent of the last answered contact (-1: never answered)")]
    service_start_minutes: Annotated[
        float,
        Column(
            "minutes",
            "start of the last answered service (empty: never answered); the service of agent",
        ),
    ]
    service_end_minutes: Annotated[
        float, Column("minutes", "end of the last answered service's work")
    ]
    remembered_utility: Annotated[
        float, Column("utility points", "the journey as remembered (memory model)")
    ]
    experienced_utility: Annotated[
        float, Column("utility points", "duration-weighted mean moment utility")
    ]
    worst_utility: Annotated[float, Column("utility points", "worst moment")]
    best_utility: Annotated[float, Column("utility points", "best moment")]
    end_utility: Annotated[float, Column("utility points", "final moment")]
    total_utility: Annotated[
        float,
        Column("utility points × minutes", "integral of moment utility over the journey"),
    ]
    experienced_minutes: Annotated[float, Column("minutes", "length of the experience trace")]
    service_quality: Annotated[float, Column("0-1", "perceived service quality of the journey")]


def columns_of(row: type) -> tuple[tuple[str, str, str], ...]:
    """``(name, unit, description)`` of each field of a row type, from its
    :class:`Column`; ``{tallied}`` lists the kinds of fact that add to the column."""
    hints = typing.get_type_hints(row, include_extras=True)
    found = []
    for name in _fields(row):
        column = next(m for m in hints[name].__metadata__ if isinstance(m, Column))
        text = column.description
        if "{tallied}" in text:
            text = text.replace("{tallied}", tallied_phrase(name))
        found.append((name, column.unit, text))
    return tuple(found)


def column(row: type, name: str) -> tuple[str, str]:
    """``(unit, description)`` of one column of a row type (:func:`columns_of`)."""
    for field_name, unit, description in columns_of(row):
        if field_name == name:
            return unit, description
    raise KeyError(name)


def tallied_phrase(name: str) -> str:
    """The kinds of fact that add to customer column ``name``, in words: ``apologies,
    coupons and callbacks``."""
    words = [kind.tally.what for kind in tallied_by(name) if kind.tally.what]
    if len(words) < 2:
        return "".join(words) or "nothing yet"
    return ", ".join(words[:-1]) + " and " + words[-1]


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

    def to_frame(self, *, share: bool = False, **extra: Any) -> pd.DataFrame:
        """A DataFrame with codes as labelled categoricals and ``extra`` constant columns
        in front.

        ``share``: the frame's numeric columns are the table's arrays, not copies (a
        caller that drops the table right after, as a replication does, holds its
        records once; a change made to the table's arrays later would show in the
        frame).

        pandas is imported here, not with the module: the engine makes its tables
        without it (a replication process forked by :mod:`peakend.runs.forked` never
        imports it)."""
        import pandas as pd

        frame = pd.DataFrame(self.columns, copy=not share)
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
    import pandas as pd

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

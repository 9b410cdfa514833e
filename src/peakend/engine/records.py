"""Flat result records: one row per contact and one row per customer.

During a run, rows are appended as plain tuples (cheap on the hot path); at the
end they become column arrays that go straight into a pandas DataFrame and from
there to Parquet or CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd

__all__ = ["ContactTable", "CustomerTable", "Table", "TableBuilder"]

T = TypeVar("T", bound="Table")


@dataclass(frozen=True)
class Table:
    """Named, equally long numpy columns."""

    columns: dict[str, np.ndarray]
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    SORT_BY: ClassVar[tuple[int, ...]] = (0,)
    """Column positions that order the rows (journeys finish out of arrival order)."""

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def to_frame(self, **extra: Any) -> pd.DataFrame:
        """A DataFrame of the columns, with constant ``extra`` columns in front."""
        frame = pd.DataFrame(self.columns)
        for position, (name, value) in enumerate(extra.items()):
            frame.insert(position, name, value)
        return frame

    @classmethod
    def builder(cls: type[T]) -> TableBuilder[T]:
        return TableBuilder(cls)

    @classmethod
    def from_rows(cls: type[T], rows: list[tuple[Any, ...]]) -> T:
        """Columns from rows given as tuples in :attr:`COLUMNS` order, sorted by :attr:`SORT_BY`."""
        # A structured array converts a list of tuples fastest; then sort and split it.
        array = np.array(rows, dtype=list(cls.COLUMNS))
        keys = [array[cls.COLUMNS[i][0]] for i in reversed(cls.SORT_BY)]
        array = array[np.lexsort(keys)] if len(array) else array
        return cls({name: np.ascontiguousarray(array[name]) for name, _ in cls.COLUMNS})

    def with_columns(self: T, **columns: np.ndarray) -> T:
        """A copy with columns added or replaced."""
        merged = dict(self.columns)
        merged.update(columns)
        return type(self)(merged)

    def select(self: T, mask: np.ndarray) -> T:
        """Rows where ``mask`` is true."""
        return type(self)({name: values[mask] for name, values in self.columns.items()})


@dataclass
class TableBuilder(Generic[T]):
    """Collects rows as tuples in column order; ``build`` converts once."""

    table: type[T]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.append = self.rows.append

    def build(self) -> T:
        return self.table.from_rows(self.rows)


@dataclass(frozen=True)
class ContactTable(Table):
    """One row per contact (a first call, a retry after abandoning, a repeat contact)."""

    SORT_BY: ClassVar[tuple[int, ...]] = (0, 3)

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("customer", "int64"),
        ("segment", "int16"),
        ("pool", "int16"),
        ("contact", "int16"),
        ("arrival_minutes", "float64"),
        ("wait_minutes", "float64"),
        ("abandoned", "bool"),
        ("answered", "bool"),
        ("service_start_minutes", "float64"),
        ("service_end_minutes", "float64"),
        ("agent", "int32"),
        ("resolved", "bool"),
    )


@dataclass(frozen=True)
class CustomerTable(Table):
    """One row per customer journey."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("customer", "int64"),
        ("segment", "int16"),
        ("channel", "int16"),
        ("arrival_minutes", "float64"),
        ("wait_minutes", "float64"),
        ("contacts", "int16"),
        ("retries", "int16"),
        ("effort", "int16"),
        ("transfers", "int16"),
        ("failures", "int16"),
        ("recoveries", "int16"),
        ("recovery_cost", "float64"),
        ("extras_cost", "float64"),
        ("outcome", "int8"),
        ("first_contact_resolved", "bool"),
        ("pool", "int16"),
        ("agent", "int32"),
        ("service_start_minutes", "float64"),
        ("service_end_minutes", "float64"),
    )

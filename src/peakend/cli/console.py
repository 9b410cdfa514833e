"""The terminal the command line prints to: tables sized to it, numbers never cut.

Rich fits a table to the console's width by wrapping its text columns and, when
that is not enough, cutting cells (``144,8…``). A planner must never read a cut
number, so :class:`FittingConsole` prints a table that cannot fit without cutting
at the width it needs (the terminal then wraps its lines, every digit intact);
labels and descriptions wrap first. In a terminal the console takes the
terminal's width, whatever it is; written to a pipe or a file it uses
:data:`PIPE_WIDTH` columns (or ``COLUMNS``, when wider).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["PIPE_WIDTH", "FittingConsole", "make_console"]

PIPE_WIDTH = 120
"""Columns of the text written to a pipe or a file (no terminal to fit)."""


class FittingConsole(Console):
    """A console that never prints a table narrower than its cells' content."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if self.quiet:  # prints nothing: not worth measuring tables (twice each) for it
            return
        tables = [item for item in objects if isinstance(item, Table)]
        cut = [table for table in tables if self.cuts(table)]
        needed = max((self.needed_width(table) for table in cut), default=0)
        if needed <= self.width:
            super().print(*objects, **kwargs)
            return
        width = self.width
        self.width = needed
        try:
            super().print(*objects, **kwargs)
        finally:
            self.width = width

    def cuts(self, table: Table) -> bool:
        """Whether ``table`` printed at this width would lose characters (an ``…``).

        Wrapping a text column keeps every character; cutting a cell drops some and adds
        an ellipsis. So the table is drawn at this width and at its full width, and the
        characters compared (leaving out spaces and the box's lines).
        """
        return _glyphs(self._drawn(table, self.width)) != _glyphs(
            self._drawn(table, max(self.needed_width(table), self.width))
        )

    def needed_width(self, table: Table) -> int:
        """A width that shows every cell of ``table`` whole: a ``no_wrap`` column (numbers,
        names) at its widest cell, the others at their longest word."""
        options = self.options.update_width(100_000)
        try:  # rich's own column measure (private, pinned in constraints.txt)
            widths = [
                (table._measure_column(self, options, column), column.no_wrap)
                for column in table.columns
            ]
            extra = table._extra_width
        except AttributeError:  # another rich: rich's own fitting, which may cut cells
            return 0
        return extra + sum(m.maximum if no_wrap else m.minimum for m, no_wrap in widths)

    def _drawn(self, table: Table, width: int) -> str:
        lines = self.render_lines(table, self.options.update_width(width), pad=False)
        return "\n".join("".join(segment.text for segment in line) for line in lines)


def _glyphs(text: str) -> Counter[str]:
    """The characters of ``text`` but spaces and box-drawing lines (U+2500 to U+257F)."""
    return Counter(char for char in text if not char.isspace() and not "─" <= char <= "╿")


def make_console(quiet: bool = False) -> FittingConsole:
    """The console of a command: the terminal's width, or :data:`PIPE_WIDTH` in a pipe."""
    # emoji=False: a name such as "a:smile:b" is printed as typed.
    console = FittingConsole(quiet=quiet, emoji=False)
    if not console.is_terminal:
        console.width = max(PIPE_WIDTH, console.width)
    return console

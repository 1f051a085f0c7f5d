"""Disclosure control (秘匿処理) for the statistics the platform publishes.

A published table of counts is a grid of cells with its row totals, column totals and grand
total. Two rules keep a small group of people from being singled out:

1. **Primary suppression.** A count of 1 to 4 (cells and totals alike) is shown as 「秘匿」.
   A count of 0 is shown as 0: it describes nobody, and Japanese official statistics publish
   zeros as such (「－」) while hiding small non-zero counts; hiding every zero would also hide
   most of a small city's tables without protecting anyone. A zero is hidden only when rule 2
   needs it.
2. **Secondary suppression.** A row or column is an equation: its cells add up to its total. If
   exactly one of its entries (cells or total) is hidden, a reader recovers it by subtraction. So
   while some row or column has exactly one hidden entry, one more of its entries is hidden: the
   smallest non-zero published cell (hiding the least information), else a published zero cell,
   else its total. Each round only hides more, so it ends; at the end every row and column has
   none or at least two hidden entries.

The guarantee is per row and per column (what a reader can do with one subtraction). Hidden
cells that together form a chain across several rows and columns can in rare patterns still be
bounded by combining equations; the tables published here are small (procedures × three
channels), and docs/statistics.md says so.

Values derived from a hidden count (a share, an average) are hidden with it: see
``derived_hidden``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

SUPPRESSED = "秘匿"
SMALLEST_SHOWN = 5  # counts from 1 to SMALLEST_SHOWN - 1 are hidden

Position = tuple[int, int]


def is_small(value: int) -> bool:
    return 0 < value < SMALLEST_SHOWN


@dataclass
class Protected:
    """A table after suppression. ``values[(r, c)]`` holds every entry: cells for ``r < rows`` and
    ``c < columns``; row totals at ``(r, columns)``; column totals at ``(rows, c)``; the grand
    total at ``(rows, columns)``. ``hidden`` is the set of positions shown as 「秘匿」."""

    rows: int
    columns: int
    values: dict[Position, int]
    hidden: set[Position] = field(default_factory=set)
    row_totals: bool = True
    column_totals: bool = True

    def cell(self, row: int, column: int) -> int | str:
        """The value to print: the count, or 「秘匿」."""
        position = (row, column)
        return SUPPRESSED if position in self.hidden else self.values[position]

    def row_total(self, row: int) -> int | str:
        return self.cell(row, self.columns)

    def column_total(self, column: int) -> int | str:
        return self.cell(self.rows, column)

    def grand_total(self) -> int | str:
        return self.cell(self.rows, self.columns)

    def is_hidden(self, row: int, column: int) -> bool:
        return (row, column) in self.hidden

    def lines(self) -> list[tuple[list[Position], Position]]:
        """Every published equation: (the positions that add up, the position of their total)."""
        return table_lines(self.rows, self.columns, self.row_totals, self.column_totals)


def table_lines(
    rows: int, columns: int, row_totals: bool, column_totals: bool
) -> list[tuple[list[Position], Position]]:
    lines: list[tuple[list[Position], Position]] = []
    if row_totals:
        lines += [([(r, c) for c in range(columns)], (r, columns)) for r in range(rows)]
    if column_totals:
        lines += [([(r, c) for r in range(rows)], (rows, c)) for c in range(columns)]
    if row_totals and column_totals:
        lines.append(([(rows, c) for c in range(columns)], (rows, columns)))
        lines.append(([(r, columns) for r in range(rows)], (rows, columns)))
    return lines


def protect(
    cells: Sequence[Sequence[int]], *, row_totals: bool = True, column_totals: bool = True
) -> Protected:
    """Suppress a table of counts (a list of rows); the totals are computed from the true counts."""
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("every row needs the same number of cells")
    if any(value < 0 for row in cells for value in row):
        raise ValueError("counts are never negative")
    values: dict[Position, int] = {}
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            values[(r, c)] = int(value)
    if row_totals:
        for r in range(rows):
            values[(r, columns)] = sum(values[(r, c)] for c in range(columns))
    if column_totals:
        for c in range(columns):
            values[(rows, c)] = sum(values[(r, c)] for r in range(rows))
    if row_totals and column_totals:
        values[(rows, columns)] = sum(values[(r, c)] for r in range(rows) for c in range(columns))
    table = Protected(rows, columns, values, row_totals=row_totals, column_totals=column_totals)
    table.hidden = {position for position, value in values.items() if is_small(value)}
    lines = table.lines()
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            hidden = sum(1 for position in (*members, total) if position in table.hidden)
            if hidden != 1:
                continue
            table.hidden.add(_complement(table, members, total))
            changed = True
    return table


def _complement(table: Protected, members: list[Position], total: Position) -> Position:
    """The entry to hide beside a line's only hidden one: the smallest non-zero published cell,
    else a published zero, else the total."""
    shown = [position for position in members if position not in table.hidden]
    nonzero = [position for position in shown if table.values[position] > 0]
    if nonzero:
        return min(nonzero, key=lambda position: (table.values[position], position))
    if shown:
        return shown[0]
    return total


def derived_hidden(table: Protected, *positions: Position) -> bool:
    """Whether a value computed from these entries (a share, an average) must be hidden too."""
    return any(position in table.hidden for position in positions)


def recoverable(table: Protected) -> list[Position]:
    """Hidden entries a reader can compute from one row or column (the published cells and total
    of that line): empty for every table ``protect`` returns."""
    found: list[Position] = []
    for members, total in table.lines():
        hidden = [position for position in (*members, total) if position in table.hidden]
        if len(hidden) == 1:
            found.append(hidden[0])
    return found

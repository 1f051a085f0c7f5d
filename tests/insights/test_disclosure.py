"""Disclosure control: small counts hidden, and no hidden count recoverable from a row or column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idx.insights.disclosure import SUPPRESSED, Protected, derived_hidden, protect, recoverable


def solve_per_line(table: Protected) -> dict[tuple[int, int], int]:
    """What a reader can compute: for each row and column with exactly one unknown entry, the
    unknown from the published entries of that line (total minus cells, or cells summed)."""
    found: dict[tuple[int, int], int] = {}
    for members, total in table.lines():
        unknown = [p for p in (*members, total) if p in table.hidden]
        if len(unknown) != 1:
            continue
        (position,) = unknown
        if position == total:
            found[position] = sum(table.values[p] for p in members)
        else:
            found[position] = table.values[total] - sum(table.values[p] for p in members if p != position)
    return found


tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda columns: st.lists(
        st.lists(
            st.one_of(
                st.just(0), st.integers(min_value=1, max_value=4), st.integers(min_value=5, max_value=60)
            ),
            min_size=columns,
            max_size=columns,
        ),
        min_size=1,
        max_size=8,
    )
)


@settings(max_examples=400, deadline=None)
@given(cells=tables, row_totals=st.booleans(), column_totals=st.booleans())
def test_no_hidden_entry_can_be_derived_from_a_row_or_column(cells, row_totals, column_totals):
    table = protect(cells, row_totals=row_totals, column_totals=column_totals)
    assert solve_per_line(table) == {}
    assert recoverable(table) == []
    # Every count from 1 to 4 is hidden, cells and totals alike; what is shown is the true count.
    for position, value in table.values.items():
        if 0 < value < 5:
            assert position in table.hidden
        shown = table.cell(*position)
        assert shown == SUPPRESSED if position in table.hidden else shown == value


def test_a_single_small_cell_takes_the_smallest_neighbours_with_it():
    #            online counter paper
    table = protect(
        [
            [30, 3, 12],  # 3 is small: 12 (smallest other non-zero of the row) goes too
            [40, 20, 25],  # the columns of 3 and 12 then have one hidden each: 20 and 25 go too
        ]
    )
    assert table.hidden == {(0, 1), (0, 2), (1, 1), (1, 2)}
    assert [table.cell(0, c) for c in range(3)] == [30, SUPPRESSED, SUPPRESSED]
    assert table.row_total(0) == 45
    assert table.column_total(1) == 23
    assert solve_per_line(table) == {}


def test_zero_is_shown_unless_it_must_cover_a_small_count():
    table = protect([[0, 7, 9], [6, 0, 8]])
    assert table.hidden == set()
    assert table.cell(0, 0) == 0
    # 3 takes 5 with it (row), 5 takes 9 (column); the second row would then give 9 away
    # (total 9 minus a published 0): its zero is hidden too.
    covered = protect([[3, 5], [0, 9]])
    assert (1, 0) in covered.hidden
    assert covered.cell(1, 0) == SUPPRESSED
    assert covered.row_total(1) == 9
    assert solve_per_line(covered) == {}


def test_a_line_with_one_cell_hides_its_total():
    table = protect([[3]], row_totals=False)
    assert table.cell(0, 0) == SUPPRESSED
    assert table.column_total(0) == SUPPRESSED


def test_a_one_column_list_with_one_small_count_hides_another():
    # Questions per category in a month: 2 is small, 6 (the smallest other) hides it.
    table = protect([[40], [2], [6], [15]], row_totals=False)
    assert table.hidden == {(1, 0), (2, 0)}
    assert table.column_total(0) == 63


def test_derived_values_of_a_hidden_count_are_hidden():
    table = protect([[30, 3, 12], [40, 20, 25]])
    assert derived_hidden(table, (0, 1), (0, 3))
    assert not derived_hidden(table, (0, 0), (0, 3))


def test_ragged_or_negative_tables_are_refused():
    with pytest.raises(ValueError, match="same number"):
        protect([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        protect([[-1]])

"""The spreadsheet-formula guard every CSV export shares (idx.common.spreadsheet)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from idx.common.spreadsheet import FORMULA_STARTS, formula_guard, formula_unguard


@given(st.text())
def test_no_guarded_cell_starts_a_formula_and_unguarding_gives_the_text_back(text):
    guarded = formula_guard(text)
    assert guarded[:1] not in FORMULA_STARTS or guarded.lstrip("-").isdigit()
    assert formula_unguard(guarded) == text


def test_examples():
    assert formula_guard("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert formula_guard("@SUM(1+1)") == "'@SUM(1+1)"
    assert formula_guard("\t=1+1") == "'\t=1+1"
    assert formula_guard("-1200") == "-1200"  # a negative amount stays a number
    assert formula_guard("住民票の写し") == "住民票の写し"
    assert formula_unguard("'quoted on purpose") == "'quoted on purpose"
    # Apostrophes that were written stay written.
    for written in ("'=1+1", "''@x", "'-5"):
        assert formula_unguard(formula_guard(written)) == written

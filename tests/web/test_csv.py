"""The front doors' CSV download: a BOM, CRLF lines, and cells that never run as formulas."""

from __future__ import annotations

import csv
import io

from idx.common.spreadsheet import formula_guard
from idx.web.csv import BOM, csv_download, csv_lines


def test_lines_start_with_a_bom_and_guard_every_cell() -> None:
    text = "".join(csv_lines([["=1+1", "-1200", "住民票"], [3, "@SUM(A1)"]]))
    assert text.startswith(BOM)
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text[len(BOM) :])))
    assert rows == [["'=1+1", "-1200", "住民票"], ["3", "'@SUM(A1)"]]


def test_rows_already_guarded_are_written_as_they_are() -> None:
    guarded = [formula_guard("=cmd"), formula_guard("'=1")]
    text = "".join(csv_lines([guarded], guarded=True))
    assert list(csv.reader(io.StringIO(text[len(BOM) :]))) == [guarded]


def test_download_names_the_file() -> None:
    response = csv_download(iter(["a\r\n"]), "audit-2026-04-01-2026-04-30.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-2026-04-01-2026-04-30.csv"'
    assert b"".join(response.streaming_content) == b"a\r\n"

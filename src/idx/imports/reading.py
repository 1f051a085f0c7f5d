"""Reading a file from another system as a header and rows of text cells, one row at a time.

The kind of file is told by its bytes, never by its name: a ZIP with a workbook is an Excel file
(.xlsx, read with openpyxl in read-only, values-only mode, which streams the sheet); a ZIP with a
macro project (``xl/vbaProject.bin``, .xlsm) is refused, as is an Excel 97-2003 file (OLE2) and
anything else binary; text is CSV in UTF-8 (with or without BOM) or Shift_JIS (cp932), the
encoding told by ``idx.common.spreadsheet.detect_encoding``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from idx.common.errors import DomainError
from idx.common.spreadsheet import EncodingRefused, csv_rows, detect_encoding

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_COLUMNS = 200
MAX_CELL_CHARS = 4000
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024  # a ZIP bomb is refused before it is read

REFUSALS: dict[str, Any] = {
    "empty": _("The file is empty."),
    "too_large": _("The file is too large (at most 64 MB)."),
    "macro": _(
        "Files with macros (.xlsm) are not accepted: save the sheet as an Excel workbook (.xlsx) or CSV."
    ),
    "old_excel": _(
        "Excel 97-2003 files (.xls) are not accepted: save the sheet as an Excel workbook (.xlsx) or CSV."
    ),
    "not_a_table": _("The file is neither a CSV file nor an Excel workbook (.xlsx)."),
    "encoding": _("The CSV file is neither in UTF-8 nor in Shift_JIS: save it again as “CSV UTF-8”."),
    "broken_xlsx": _("The Excel workbook could not be opened: it may be damaged or cut short."),
    "no_header": _("The first row must hold the column headers."),
    "duplicate_header": _("Two columns have the same header: %(header)s."),
    "too_many_columns": _("The file has more than 200 columns."),
    "duplicate_file": _("This file has already been imported for this source."),
    "missing_columns": _("The file lacks columns the mapping names: %(headers)s."),
    "no_rows": _("The file has no rows below the header."),
}


class FileRefused(DomainError):
    """The whole file cannot be read (``reason`` is a key of ``REFUSALS``)."""

    code = "file_refused"
    http_status = 422

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = reason
        super().__init__(reason, message=REFUSALS[reason], field="file", params=params)


class RowCut(Exception):
    """The file ends inside a row (a quoted cell never closed): it was cut short."""

    def __init__(self, row: int) -> None:
        self.row = row
        super().__init__(row)


@dataclass
class Table:
    file_type: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | cp932 for CSV, blank for xlsx
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number in the file, the header being row 1; cells)


def sniff(stream: IO[bytes], name: str = "") -> str:
    """``csv`` or ``xlsx`` from the first bytes (and the ZIP's directory); raises ``FileRefused``."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise FileRefused("empty")
    if size > MAX_FILE_BYTES:
        raise FileRefused("too_large")
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("old_excel")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise FileRefused("broken_xlsx") from error
        finally:
            stream.seek(0)
        if "xl/vbaProject.bin" in names or name.lower().endswith((".xlsm", ".xltm", ".xlam")):
            raise FileRefused("macro")
        if "xl/workbook.xml" not in names:
            raise FileRefused("not_a_table")
        if unpacked > XLSX_MAX_UNCOMPRESSED:
            raise FileRefused("too_large")
        return "xlsx"
    if head.startswith(b"PK"):
        raise FileRefused("broken_xlsx")
    return "csv"


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a CSV file would hold (dates in ISO form, 3.0 as 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def _headers(cells: list[str]) -> list[str]:
    headers = [cell.strip().lstrip("\ufeff") for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers or not any(headers):
        raise FileRefused("no_header")
    if len(headers) > MAX_COLUMNS:
        raise FileRefused("too_many_columns")
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise FileRefused("duplicate_header", header=header)
        seen.add(header)
    return headers


def _csv_table(stream: IO[bytes]) -> Table:
    try:
        encoding = detect_encoding(stream)
    except EncodingRefused as error:
        raise FileRefused("encoding") from error
    rows = csv_rows(stream, encoding)
    try:
        first = next(rows, None)
    except (csv.Error, UnicodeDecodeError) as error:
        raise FileRefused("no_header") from error
    if first is None:
        raise FileRefused("empty")
    headers = _headers(first)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise RowCut(number + 1) from error
            number += 1
            yield number, [cell[:MAX_CELL_CHARS] for cell in cells]

    return Table(file_type="csv", encoding=encoding, headers=headers, rows=numbered())


@contextlib.contextmanager
def _xlsx_table(stream: IO[bytes]) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileRefused("broken_xlsx") from error
    try:
        try:
            sheet = workbook.worksheets[0]
            values = sheet.iter_rows(values_only=True)
            first = next(values, None)
        except Exception as error:
            raise FileRefused("broken_xlsx") from error
        if first is None:
            raise FileRefused("empty")
        headers = _headers([_cell_text(value) for value in first])

        def numbered() -> Iterator[tuple[int, list[str]]]:
            number = 1
            while True:
                try:
                    row = next(values)
                except StopIteration:
                    return
                except Exception as error:
                    raise RowCut(number + 1) from error
                number += 1
                cells = [_cell_text(value)[:MAX_CELL_CHARS] for value in row]
                # A sheet has no short rows: empty cells at the end are blank cells.
                cells += [""] * (len(headers) - len(cells))
                yield number, cells

        yield Table(file_type="xlsx", encoding="", headers=headers, rows=numbered())
    finally:
        workbook.close()


@contextlib.contextmanager
def open_table(stream: IO[bytes], name: str = "") -> Iterator[Table]:
    """The file as a ``Table`` whose rows are read while the context is open."""
    kind = sniff(stream, name)
    if kind == "xlsx":
        with _xlsx_table(stream) as table:
            yield table
        return
    yield _csv_table(stream)


def file_headers(stream: IO[bytes], name: str = "") -> list[str]:
    """The column headers of a sample file (the mapping form lists them)."""
    with open_table(stream, name) as table:
        return [header for header in table.headers if header]

"""CSV cells a spreadsheet opens as text, never as a formula (CSV injection, OWASP).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a formula
in Excel or LibreOffice (``=cmd|' /C calc'!A0``); such a cell gets a leading apostrophe, which
spreadsheets hide and treat as "this is text". Plain negative numbers stay numbers. Files IDX also
reads back (the FAQ import) take the apostrophe off again with ``formula_unguard``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_guard(text: str) -> str:
    """``text`` as a cell that cannot run as a formula.

    A text that itself starts with an apostrophe before a guarded text ("'=1") gets one more, so
    ``formula_unguard`` can always tell what was written from what was added.
    """
    if text[:1] in FORMULA_STARTS and not text.lstrip("-").isdigit():
        return "'" + text
    if text[:1] == "'" and formula_guard(text[1:]) != text[1:]:
        return "'" + text
    return text


def formula_unguard(text: str) -> str:
    """The text ``formula_guard`` was given (the apostrophe it added removed, nothing else)."""
    if text[:1] == "'" and formula_guard(text[1:]) == text:
        return text[1:]
    return text


# ---- the one CSV writer ----------------------------------------------------------------------
# Every CSV file IDX writes goes through these functions, so no file can forget the guard
# (tests/backoffice/test_csv_guard.py fails on a ``csv.writer`` anywhere else in the product).

BOM = "\ufeff"  # spreadsheet software in Japan reads UTF-8 correctly only with it


class _Line:
    """A file-like object whose ``write`` hands the written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_line(cells: Iterable[object], *, guarded: bool = False) -> str:
    """One CSV line (CRLF) of ``cells``, each run through ``formula_guard`` unless ``guarded``
    says the caller already did (a file IDX reads back, which guards and unguards itself)."""
    texts = [str(cell) for cell in cells] if guarded else [formula_guard(str(cell)) for cell in cells]
    line: str = csv.writer(_Line(), lineterminator="\r\n").writerow(texts)
    return line


def csv_chunks(
    rows: Iterable[Iterable[object]], *, guarded: bool = False, bom: bool = True, batch: int = 1
) -> Iterator[str]:
    """The BOM (unless ``bom`` is false), then the rows as CSV text, ``batch`` lines per piece.

    A generator over a generator: the rows are never all in memory, so a download of any size
    streams with flat memory.
    """
    if bom:
        yield BOM
    pending: list[str] = []
    for row in rows:
        pending.append(csv_line(row, guarded=guarded))
        if len(pending) >= batch:
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)


def csv_text(rows: Iterable[Iterable[object]], *, bom: bool = False) -> str:
    """A whole (small) CSV file as one text."""
    return "".join(csv_chunks(rows, bom=bom, batch=1000))

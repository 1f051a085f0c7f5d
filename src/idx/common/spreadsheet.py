"""CSV cells a spreadsheet opens as text, never as a formula (CSV injection, OWASP).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a formula
in Excel or LibreOffice (``=cmd|' /C calc'!A0``); such a cell gets a leading apostrophe, which
spreadsheets hide and treat as "this is text". Plain negative numbers stay numbers. Files IDX also
reads back (the FAQ import) take the apostrophe off again with ``formula_unguard``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

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


# ---- the CSV reader of files from other systems ------------------------------------------------
# Files made by other systems come as UTF-8 (with or without the BOM spreadsheets add) or as
# Shift_JIS in Windows' variant cp932. The encoding is told by the bytes alone, in one streamed
# pass (docs/decisions/0031-bulk-import.md): a BOM says UTF-8; bytes that decode as UTF-8 are
# UTF-8 (Shift_JIS text with kanji almost never does); bytes that decode as cp932 are cp932;
# anything else is refused.

READ_CHUNK = 64 * 1024


class EncodingRefused(ValueError):
    """The bytes are neither UTF-8 nor Shift_JIS (cp932), or hold NUL bytes (not a text file)."""


def detect_encoding(stream: IO[bytes]) -> str:
    """``utf-8-sig``, ``utf-8`` or ``cp932`` for the file ``stream`` (read to its end in chunks,
    then rewound); raises ``EncodingRefused`` when it is none of them."""
    stream.seek(0)
    first = stream.read(READ_CHUNK)
    if first.startswith(BOM.encode()):
        encoding: str | None = "utf-8-sig"
    else:
        encoding = None
    utf8 = codecs.getincrementaldecoder("utf-8")()
    sjis = codecs.getincrementaldecoder("cp932")()
    utf8_ok = sjis_ok = True
    chunk = first
    while chunk:
        if b"\x00" in chunk:
            stream.seek(0)
            raise EncodingRefused("nul")
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if sjis_ok and encoding is None:
            try:
                sjis.decode(chunk)
            except UnicodeDecodeError:
                sjis_ok = False
        chunk = stream.read(READ_CHUNK)
    # A file cut inside its last character still tells its encoding: the reader then reports the
    # cut (``UnicodeDecodeError`` at the end of ``csv_rows``), not a wrong encoding.
    stream.seek(0)
    if encoding is not None:
        if not utf8_ok:
            raise EncodingRefused("utf-8")
        return encoding
    if utf8_ok:
        return "utf-8"
    if sjis_ok:
        return "cp932"
    raise EncodingRefused("unknown")


def csv_rows(stream: IO[bytes], encoding: str) -> Iterator[list[str]]:
    """The rows of the CSV file ``stream`` in ``encoding`` (from ``detect_encoding``), one at a
    time. A file cut short raises at its end: ``csv.Error`` inside a quoted cell,
    ``UnicodeDecodeError`` inside a character."""
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from csv.reader(text, strict=True)
    finally:
        text.detach()  # leave the caller's file open

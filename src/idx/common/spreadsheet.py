"""CSV cells a spreadsheet opens as text, never as a formula (CSV injection, OWASP).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a formula
in Excel or LibreOffice (``=cmd|' /C calc'!A0``); such a cell gets a leading apostrophe, which
spreadsheets hide and treat as "this is text". Plain negative numbers stay numbers. Files IDX also
reads back (the FAQ import) take the apostrophe off again with ``formula_unguard``.
"""

from __future__ import annotations

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

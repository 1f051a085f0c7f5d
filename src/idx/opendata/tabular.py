"""A standard dataset's CSV as a department saves it, made into what the standard asks for.

``read_csv`` decodes (UTF-8, UTF-8 with a BOM, Shift_JIS/cp932) and normalises cell by cell:
full-width digits, letters, hyphens and spaces become half-width in columns of numbers, codes,
dates, times and phone numbers; half-width katakana become full-width in text; dates in the
Japanese era (令和6年4月1日, R6.4.1, 令和元年5月1日, 平成31年4月30日) and 2026/4/1 become
2026-04-01; 8時30分 becomes 08:30. It counts what it changed, so the page can say so.
``validate`` then checks the normalised table with ``frictionless`` against the standard's
Table Schema and refuses it with every problem by row and column (the first 50 listed).

``frictionless`` is imported inside ``validate`` only: it is large, and only uploads need it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.common.spreadsheet import csv_chunks
from idx.opendata.errors import OpenDataRefused
from idx.opendata.standards import Standard

LISTED = 50

# Full-width ASCII (！ to ～) is U+FF01..U+FF5E, 0xFEE0 above its half-width twin.
_WIDE_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDE_ASCII[0x3000] = 0x20  # ideographic space
# Dashes people type in phone numbers and codes (ー is the katakana long vowel mark).
_DASHES = {ord(dash): ord("-") for dash in "ー‐‑‒–—―−ｰ"}
_HALF_KANA = re.compile(r"[\uff61-\uff9f]+")

_ERAS = {
    "令和": 2018,
    "平成": 1988,
    "昭和": 1925,
    "大正": 1911,
    "明治": 1867,
    "R": 2018,
    "H": 1988,
    "S": 1925,
    "T": 1911,
    "M": 1867,
}
_WAREKI = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*(?P<year>元|\d{1,2})\s*(?:年|[./-])\s*"
    r"(?P<month>\d{1,2})\s*(?:月|[./-])\s*(?P<day>\d{1,2})\s*日?$"
)
_WESTERN = re.compile(
    r"^(?P<year>\d{4})\s*(?:年|[./-])\s*(?P<month>\d{1,2})\s*(?:月|[./-])\s*(?P<day>\d{1,2})\s*日?$"
)
_TIME = re.compile(r"^(?P<hour>\d{1,2})\s*(?:時|:)\s*(?P<minute>\d{1,2})\s*分?$")


class StandardRefused(OpenDataRefused):
    """The table does not fit its standard: ``problems`` by row and column, ``total`` of them."""

    def __init__(self, *, problems: list[Problem], total: int, standard: Standard) -> None:
        super().__init__(
            message=_(
                "%(count)s cells do not fit the standard “%(standard)s”. Nothing was stored: correct "
                "them and upload the file again."
            ),
            field="file",
            params={"count": total, "standard": standard.names.get("ja", standard.number)},
        )
        self.problems = problems
        self.total = total


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str
    value: str
    message: str | Promise
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    encoding: str
    changes: dict[str, int]
    # Each row's number in the uploaded file (the header is 1; empty rows are left out).
    numbers: list[int] = field(default_factory=list)

    def number(self, row_number: int) -> int:
        """The uploaded file's row number for a row number of the normalised table."""
        index = row_number - 2
        return self.numbers[index] if 0 <= index < len(self.numbers) else row_number

    @property
    def body(self) -> bytes:
        """The normalised table as UTF-8 CSV without a BOM (what is stored and published)."""
        return "".join(csv_chunks([self.header, *self.rows], guarded=True, bom=False, batch=1000)).encode(
            "utf-8"
        )


def decode(raw: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (a BOM is dropped) or Shift_JIS (cp932); else refused.

    A NUL byte is in no text file of either (UTF-16, which Excel's "Unicode text" writes, is full of them).
    """
    if b"\x00" in raw[:65536]:
        raise OpenDataRefused(
            message=_("The file is neither UTF-8 nor Shift_JIS text. Save it as CSV (UTF-8)."), field="file"
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            pass
    raise OpenDataRefused(
        message=_("The file is neither UTF-8 nor Shift_JIS text. Save it as CSV (UTF-8)."),
        field="file",
    )


def narrow_text(text: str) -> str:
    """Full-width digits, letters, signs and spaces as half-width; dashes as hyphens; trimmed."""
    return text.translate(_WIDE_ASCII).translate(_DASHES).strip()


def wide_kana(text: str) -> str:
    """Half-width katakana (ｲｶﾞｼ) as full-width (イガシ); nothing else changes."""
    return _HALF_KANA.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)


def iso_date(text: str) -> tuple[str, str]:
    """``(date, kind)``: a date in the era or with slashes as YYYY-MM-DD, ``kind`` "wareki" or
    "date" when it changed, "" when it did not (left for the schema to judge)."""
    match = _WAREKI.match(text)
    if match:
        era = match.group("era").upper() if len(match.group("era")) == 1 else match.group("era")
        year = 1 if match.group("year") == "元" else int(match.group("year"))
        return _ymd(_ERAS[era] + year, match.group("month"), match.group("day")) or text, "wareki"
    match = _WESTERN.match(text)
    if match and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return _ymd(int(match.group("year")), match.group("month"), match.group("day")) or text, "date"
    return text, ""


def _ymd(year: int, month: str, day: str) -> str:
    return f"{year:04d}-{int(month):02d}-{int(day):02d}"


def iso_time(text: str) -> str:
    match = _TIME.match(text)
    if match:
        return f"{int(match.group('hour')):02d}:{int(match.group('minute')):02d}"
    return text


def read_csv(raw: bytes, *, standard: Standard) -> Table:
    """The table decoded and normalised for its standard; ``changes`` counts what changed."""
    text, encoding = decode(raw)
    changes: Counter[str] = Counter()
    if encoding == "cp932":
        changes["encoding"] = 1
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        kinds = [_kind(standard, name) for name in header]
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # an empty line (often the last one a spreadsheet leaves)
            numbers.append(number)
            rows.append(
                [_cell(cell, kinds[i] if i < len(kinds) else "text", changes) for i, cell in enumerate(row)]
            )
    except csv.Error as exc:
        raise OpenDataRefused(
            message=_("The file could not be read as CSV: %(problem)s"),
            field="file",
            params={"problem": str(exc)},
        ) from exc
    return Table(header=header, rows=rows, encoding=encoding, changes=dict(changes), numbers=numbers)


def _kind(standard: Standard, name: str) -> str:
    field = standard.field(name)
    if field is None:
        return "text"
    if field["type"] == "date":
        return "date"
    if field["type"] == "time":
        return "time"
    if standard.narrow(name):
        return "narrow"
    return "text"


def _cell(cell: str, kind: str, changes: Counter[str]) -> str:
    if kind == "text":
        value = wide_kana(cell)
        if value != cell:
            changes["kana"] += 1
        return value
    value = narrow_text(cell)
    if value != cell.strip():
        changes["width"] += 1
    if kind == "date" and value:
        converted, how = iso_date(value)
        if converted != value:
            changes[how] += 1
        return converted
    if kind == "time" and value:
        converted = iso_time(value)
        if converted != value:
            changes["time"] += 1
        return converted
    return value


def validate(table: Table, *, standard: Standard) -> None:
    """Refuses the table unless every column and cell fits the standard's schema."""
    missing = [name for name in standard.required if name not in table.header]
    if missing:
        raise OpenDataRefused(
            message=_(
                "The standard “%(standard)s” requires the column(s) %(columns)s, which the file does not "
                "have. Start from the template, which has every column."
            ),
            field="file",
            params={
                "standard": standard.names.get("ja", standard.number),
                "columns": "、".join(f"「{name}」" for name in missing),
            },
        )
    from frictionless import Resource, Schema  # a large library: only uploads need it

    schema = Schema.from_descriptor(standard.schema)
    # The schema's fieldsMatch is "partial": columns by name, in any order, optional ones may be left out.
    resource = Resource(data=table.body, format="csv", encoding="utf-8", schema=schema)
    report = resource.validate(limit_errors=100_000)
    errors = [error for task in report.tasks for error in task.errors] + list(report.errors)
    found = [_problem(error, standard, table) for error in errors[:LISTED]]
    total = len(errors) + _check_digits(table, found)
    if not total:
        return
    found.sort(
        key=lambda problem: (
            problem.row,
            table.header.index(problem.column) if problem.column in table.header else -1,
        )
    )
    raise StandardRefused(problems=found[:LISTED], total=total, standard=standard)


CODE_COLUMNS = ("全国地方公共団体コード", "所在地_全国地方公共団体コード")


def check_digit(code: str) -> str:
    """The sixth digit of a 全国地方公共団体コード: the first five weighted 6, 5, 4, 3, 2, their sum's
    remainder by 11 taken from 11, the last digit of that (13101 → 131016, 24216 → 242161)."""
    remainder = sum(int(digit) * weight for digit, weight in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return str((11 - remainder) % 10)


def _check_digits(table: Table, found: list[Problem]) -> int:
    """Codes of six digits whose check digit is wrong (frictionless checked the six digits)."""
    count = 0
    for column in CODE_COLUMNS:
        if column not in table.header:
            continue
        index = table.header.index(column)
        for position, row in enumerate(table.rows):
            code = row[index] if index < len(row) else ""
            if re.fullmatch(r"[0-9]{6}", code) and code[5] != check_digit(code):
                count += 1
                if len(found) < LISTED:
                    found.append(
                        Problem(
                            table.numbers[position] if position < len(table.numbers) else position + 2,
                            column,
                            code,
                            _("“%(value)s” has a wrong check digit (the sixth): the code is %(code)s."),
                            {"value": code, "code": code[:5] + check_digit(code)},
                        )
                    )
    return count


def _problem(error: Any, standard: Standard, table: Table) -> Problem:
    row = table.number(int(getattr(error, "row_number", 0) or 0))
    column = str(getattr(error, "field_name", "") or "")
    value = str(getattr(error, "cell", "") or "")
    note = str(getattr(error, "note", "") or "")
    field = standard.field(column) or {}
    constraints = field.get("constraints", {})
    kind = getattr(error, "type", "")
    if kind == "constraint-error":
        if note.startswith('constraint "required"'):
            return Problem(row, column, value, _("Empty, but the standard requires a value."))
        if note.startswith('constraint "pattern"'):
            return Problem(
                row,
                column,
                value,
                _("“%(value)s” is not written as the standard asks: %(form)s."),
                {"value": value, "form": field.get("description", "")},
            )
        if note.startswith(('constraint "minimum"', 'constraint "maximum"')):
            return Problem(
                row,
                column,
                value,
                _("“%(value)s” is outside the range %(minimum)s to %(maximum)s."),
                {
                    "value": value,
                    "minimum": constraints.get("minimum", "…"),
                    "maximum": constraints.get("maximum", "…"),
                },
            )
        if note.startswith('constraint "enum"'):
            return Problem(
                row,
                column,
                value,
                _("“%(value)s” is not one of the values the standard allows: %(values)s (or empty)."),
                {"value": value, "values": "、".join(f"「{item}」" for item in constraints.get("enum", []))},
            )
    if kind == "type-error":
        messages = {
            "date": _(
                "“%(value)s” is not a date: write it as 2026-04-01 (令和8年4月1日 is changed for you)."
            ),
            "time": _("“%(value)s” is not a time: write it as 09:30."),
            "integer": _("“%(value)s” is not a whole number: write digits only, without units."),
            "number": _("“%(value)s” is not a number: write digits only, without units."),
        }
        if field.get("format") == "email":
            return Problem(row, column, value, _("“%(value)s” is not an email address."), {"value": value})
        if field.get("format") == "uri":
            return Problem(
                row, column, value, _("“%(value)s” is not a web address (https://…)."), {"value": value}
            )
        if field.get("type") in messages:
            return Problem(row, column, value, messages[field["type"]], {"value": value})
    if kind in ("blank-row",):
        return Problem(row, column, value, _("The row is empty: delete it."))
    if kind in ("duplicate-label", "blank-label"):
        return Problem(row, column, value, _("Each column needs a name of its own."))
    return Problem(row, column, value, _("Does not fit the standard (%(note)s)."), {"note": note})

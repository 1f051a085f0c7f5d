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

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.common.spreadsheet import csv_line
from idx.opendata.errors import OpenDataRefused
from idx.opendata.standards import Standard

LISTED = 50
# Errors counted before frictionless stops (each holds its row): the total says "10,000 or more".
ERRORS_COUNTED = 10_000

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

    def __init__(
        self, *, problems: list[Problem], total: int, standard: Standard, capped: bool = False
    ) -> None:
        super().__init__(
            message=_(
                "%(count)s cells do not fit the standard “%(standard)s”. Nothing was stored: correct "
                "them and upload the file again."
            ),
            field="file",
            params={
                "count": total_text(total, capped),
                "standard": standard.names.get("ja", standard.number),
            },
        )
        self.problems = problems
        self.total = total
        self.capped = capped

    @property
    def total_text(self) -> str:
        return total_text(self.total, self.capped)


def total_text(total: int, capped: bool) -> str:
    """1,234, or "10,000 or more" when frictionless stopped counting."""
    return str(_("%(count)s or more") % {"count": f"{total:,}"}) if capped else f"{total:,}"


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
    """The normalised table, kept as its UTF-8 CSV (not as rows: a large file stays small in memory)."""

    header: list[str]
    body: bytes  # the normalised table as UTF-8 CSV without a BOM: what is stored and published
    encoding: str
    changes: dict[str, int]
    # Each row's number in the uploaded file (the header is 1; empty rows are left out).
    numbers: list[int] = field(default_factory=list)
    # Codes whose check digit is wrong, found while reading: (row number, column, code).
    bad_codes: list[tuple[int, str, str]] = field(default_factory=list)

    def number(self, row_number: int) -> int:
        """The uploaded file's row number for a row number of the normalised table."""
        index = row_number - 2
        return self.numbers[index] if 0 <= index < len(self.numbers) else row_number


def _decodes(raw: bytes, encoding: str) -> bool:
    """Whether the whole file decodes, checked piece by piece (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(raw), 1 << 20):
            decoder.decode(raw[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(raw: bytes) -> str:
    """UTF-8 (a BOM is dropped: "utf-8-sig") or Shift_JIS ("cp932"); anything else is refused.

    A NUL byte is in no text file of either (UTF-16, which Excel's "Unicode text" writes, is full of them).
    """
    if b"\x00" not in raw[:65536]:
        if raw.startswith(b"\xef\xbb\xbf"):
            if _decodes(raw, "utf-8-sig"):
                return "utf-8-sig"
        elif _decodes(raw, "utf-8"):
            return "utf-8"
        elif _decodes(raw, "cp932"):
            return "cp932"
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


CODE_COLUMNS = ("全国地方公共団体コード", "所在地_全国地方公共団体コード")


def check_digit(code: str) -> str:
    """The sixth digit of a 全国地方公共団体コード: the first five weighted 6, 5, 4, 3, 2, their sum's
    remainder by 11 taken from 11, the last digit of that (13101 → 131016, 24216 → 242161)."""
    remainder = sum(int(digit) * weight for digit, weight in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return str((11 - remainder) % 10)


def read_csv(raw: bytes, *, standard: Standard) -> Table:
    """The table decoded and normalised for its standard; ``changes`` counts what changed."""
    encoding = encoding_of(raw)
    changes: Counter[str] = Counter()
    if encoding == "cp932":
        changes["encoding"] = 1
    # Decoded as it is read, written out encoded row by row: the file is never held as text.
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline=""))
    out = io.BytesIO()
    numbers: list[int] = []
    bad_codes: list[tuple[int, str, str]] = []
    try:
        header = [name.strip() for name in next(reader, [])]
        kinds = [_kind(standard, name) for name in header]
        codes = [(header.index(name), name) for name in CODE_COLUMNS if name in header]
        out.write(csv_line(header, guarded=True).encode("utf-8"))
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # an empty line (often the last one a spreadsheet leaves)
            numbers.append(number)
            cells = [
                _cell(cell, kinds[i] if i < len(kinds) else "text", changes) for i, cell in enumerate(row)
            ]
            for index, name in codes:
                code = cells[index] if index < len(cells) else ""
                if re.fullmatch(r"[0-9]{6}", code) and code[5] != check_digit(code):
                    bad_codes.append((number, name, code))
            out.write(csv_line(cells, guarded=True).encode("utf-8"))
    except csv.Error as exc:
        raise OpenDataRefused(
            message=_("The file could not be read as CSV: %(problem)s"),
            field="file",
            params={"problem": str(exc)},
        ) from exc
    return Table(
        header=header,
        body=out.getvalue(),
        encoding=encoding,
        changes=dict(changes),
        numbers=numbers,
        bad_codes=bad_codes,
    )


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
    report = resource.validate(limit_errors=ERRORS_COUNTED)
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
    raise StandardRefused(
        problems=found[:LISTED], total=total, standard=standard, capped=len(errors) >= ERRORS_COUNTED
    )


def _check_digits(table: Table, found: list[Problem]) -> int:
    """Codes of six digits whose check digit is wrong (frictionless checked the six digits)."""
    for number, column, code in table.bad_codes:
        if len(found) >= LISTED:
            break
        found.append(
            Problem(
                number,
                column,
                code,
                _("“%(value)s” has a wrong check digit (the sixth): the code is %(code)s."),
                {"value": code, "code": code[:5] + check_digit(code)},
            )
        )
    return len(table.bad_codes)


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

"""Dates in the western calendar and in 和暦 (Japanese era years).

Residents type dates the way they write them on paper: 2026-01-05, 2026/1/5, 令和8年1月5日,
R8.1.5, 平成31年4月30日. ``parse_date`` accepts all of them; ``format_wareki`` renders a date
in its era. No library on PyPI covers both directions with the era boundaries we need, and the
table below is five lines, so it lives here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# (kanji, latin initial, first day of the era)
ERAS: tuple[tuple[str, str, dt.date], ...] = (
    ("令和", "R", dt.date(2019, 5, 1)),
    ("平成", "H", dt.date(1989, 1, 8)),
    ("昭和", "S", dt.date(1926, 12, 25)),
    ("大正", "T", dt.date(1912, 7, 30)),
    ("明治", "M", dt.date(1868, 10, 23)),
)

_WESTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA = re.compile(r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?$")


class DateParseError(ValueError):
    """The text is not a date in any accepted notation, or names a day that does not exist."""


def _normalise(text: str) -> str:
    # Full-width digits and letters (１２３, Ｒ) become ASCII; spaces go.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def parse_date(text: str) -> dt.date:
    value = _normalise(text)
    if not value:
        raise DateParseError("empty")
    match = _WESTERN.match(value) or _COMPACT.match(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _make(year, month, day)
    match = _ERA.match(value)
    if match:
        era_name, era_year_text, month_text, day_text = match.groups()
        era = next(era for era in ERAS if era_name in (era[0], era[1]))
        era_year = 1 if era_year_text == "元" else int(era_year_text)
        if era_year < 1:
            raise DateParseError(text)
        date = _make(era[2].year + era_year - 1, int(month_text), int(day_text))
        if date < era[2]:
            raise DateParseError(text)
        following = [e for e in ERAS if e[2] > era[2]]
        if following and date >= following[-1][2]:
            raise DateParseError(text)
        return date
    raise DateParseError(text)


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateParseError(f"{year}-{month}-{day}") from exc


def era_of(date: dt.date) -> tuple[str, int]:
    for name, _initial, start in ERAS:
        if date >= start:
            return name, date.year - start.year + 1
    raise ValueError("before the Meiji era")


def format_wareki(date: dt.date) -> str:
    """令和8年1月5日 (the first year of an era is written 元年)."""
    name, year = era_of(date)
    year_text = "元" if year == 1 else str(year)
    return f"{name}{year_text}年{date.month}月{date.day}日"


def format_both(date: dt.date) -> str:
    """2026年1月5日（令和8年1月5日）: the western date with its era date beside it."""
    return f"{date.year}年{date.month}月{date.day}日（{format_wareki(date)}）"


def format_for_language(date: dt.date, language: str) -> str:
    """How a date reads in ``language``: Japanese shows the era beside the western date,
    やさしい日本語 the western date only, other languages their own long date format."""
    if language == "ja":
        return format_both(date)
    if language == "ja-easy":
        return f"{date.year}年{date.month}月{date.day}日"
    from idx.common.dates import format_date

    return format_date(date, language, weekday=False)


_YEAR_WESTERN = re.compile(r"^(\d{4})年?(度)?$")
_YEAR_ERA = re.compile(r"^(令和|平成|昭和|大正|明治|[RHSTM])(元|\d{1,2})年?(度)?$")


def parse_year(text: str) -> int:
    """A calendar year typed as 2025, ２０２５, 2025年, 令和7年, R7 or 令和元年 (年度 accepted too).

    An era year past the era's end (平成32年) is refused, as :func:`parse_date` refuses its dates.
    """
    value = _normalise(text)
    match = _YEAR_WESTERN.match(value)
    if match:
        return int(match.group(1))
    match = _YEAR_ERA.match(value)
    if not match:
        raise DateParseError(text)
    era = next(era for era in ERAS if match.group(1) in (era[0], era[1]))
    era_year = 1 if match.group(2) == "元" else int(match.group(2))
    year = era[2].year + era_year - 1
    following = [e for e in ERAS if e[2] > era[2]]
    if era_year < 1 or (following and year > following[-1][2].year):
        raise DateParseError(text)
    return year

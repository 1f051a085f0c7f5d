"""Dates and times as people read them, in each of the portal's languages.

ISO dates (2026-12-04) are for machines. A Japanese reader expects 2026年12月4日（金）, an English
reader Friday, December 4, 2026; the other languages follow CLDR through Babel, the library the
Python world uses for locale data. docs/content-style.md says where each form is used.
"""

from __future__ import annotations

import datetime as dt
import re

import jpholiday
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from django.utils import timezone, translation

WEEKDAYS_JA = "月火水木金土日"

# Django language code → CLDR locale.
BABEL_LOCALES = {
    "en": "en",
    "pt-br": "pt_BR",
    "vi": "vi",
    "zh-hans": "zh_Hans",
    "es": "es",
    "fil": "fil",
}


def _language(language: str | None) -> str:
    return (language or translation.get_language() or "ja").lower()


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def format_date(value: dt.date | dt.datetime, language: str | None = None, *, weekday: bool = True) -> str:
    """2026年12月4日（金） in Japanese and やさしい日本語; the CLDR full (or long) date otherwise."""
    date = _as_date(value)
    code = _language(language)
    if code.startswith("ja"):
        text = f"{date.year}年{date.month}月{date.day}日"
        return f"{text}（{WEEKDAYS_JA[date.weekday()]}）" if weekday else text
    locale = BABEL_LOCALES.get(code, "en")
    return babel_format_date(date, "full" if weekday else "long", locale=locale)


def format_time(value: dt.datetime | dt.time, language: str | None = None) -> str:
    """7:32 in Japanese; the CLDR short time otherwise (7:32 AM in English)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.time()
    code = _language(language)
    if code.startswith("ja"):
        return f"{value.hour}:{value.minute:02d}"
    return babel_format_time(value, "short", locale=BABEL_LOCALES.get(code, "en"))


def format_datetime(value: dt.datetime, language: str | None = None) -> str:
    """2026年12月4日（金）7:32; Friday, December 4, 2026, 7:32 AM."""
    code = _language(language)
    separator = "" if code.startswith("ja") else ", "
    return f"{format_date(value, code)}{separator}{format_time(value, code)}"


def is_year_end(day: dt.date) -> bool:
    """年末年始: 12月29日から1月3日まで (the closing days of Japanese public offices)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_office_closed(day: dt.date) -> bool:
    """The city hall is closed: a Saturday or Sunday, a national holiday or 年末年始."""
    return day.weekday() >= 5 or bool(jpholiday.is_holiday(day)) or is_year_end(day)


def next_office_day(day: dt.date) -> dt.date:
    """``day`` itself when the city hall is open, otherwise the next day it is."""
    while is_office_closed(day):
        day += dt.timedelta(days=1)
    return day


def uses_full_width_punctuation(language: str | None = None) -> bool:
    """Japanese (both registers) and Chinese text take full-width brackets and colons."""
    return _language(language).startswith(("ja", "zh"))


_POSTAL_START = re.compile(r"^(?:〒\s*)?(\d{3})[-‐－−ー](\d{4})\s*")


def postal_address(text: str, language: str | None = None) -> str:
    """``518-8501 三重県…`` or ``〒 518-8501 三重県…`` as ``〒518-8501 三重県…`` in Japanese."""
    if not _language(language).startswith("ja"):
        return text
    match = _POSTAL_START.match(text)
    if not match:
        return text
    return f"〒{match.group(1)}-{match.group(2)} {text[match.end() :]}".rstrip()

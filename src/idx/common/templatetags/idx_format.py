"""Template filters for dates people read (``long_date``, ``long_datetime``); see idx.common.dates."""

from __future__ import annotations

import datetime as dt

from django import template

from idx.common import dates

register = template.Library()


@register.filter
def long_date(value: dt.date | dt.datetime | None) -> str:
    """2026年12月4日（金）; an empty value stays empty (``|default:"—"`` shows a dash)."""
    if not value:
        return ""
    return dates.format_date(value)


@register.filter
def long_datetime(value: dt.datetime | None) -> str:
    """2026年12月4日（金）7:32."""
    if not value:
        return ""
    return dates.format_datetime(value)

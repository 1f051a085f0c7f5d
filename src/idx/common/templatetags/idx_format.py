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


@register.filter
def bracketed(value: object) -> str:
    """A note in brackets after a word: full-width （本庁舎1階） in Japanese and Chinese text,
    `` (1st floor)`` with a space elsewhere (docs/content-style.md)."""
    text = str(value or "")
    if not text:
        return ""
    return f"（{text}）" if dates.uses_full_width_punctuation() else f" ({text})"


@register.filter
def postal_address(value: object) -> str:
    """〒518-8501 三重県伊賀市… in Japanese (the mark joined to the code); other text unchanged."""
    return dates.postal_address(str(value or ""))


@register.simple_tag
def colon() -> str:
    """The colon after a label: full-width ``：`` in Japanese and Chinese text, ``: `` elsewhere."""
    return "：" if dates.uses_full_width_punctuation() else ": "

"""Template filters for texts whose language is not the page's: ``{{ value|text_lang }}``.

A resident's own answers (a name, an address typed in Japanese) stay as typed on a page in
another language; ``text_lang`` gives the ``lang`` attribute that tells screen readers and fonts
so: ``<dd{% with lang=value|text_lang %}{% if lang %} lang="{{ lang }}"{% endif %}{% endwith %}>``.
"""

from __future__ import annotations

import re

from django import template
from django.utils import translation

register = template.Library()

_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@register.filter
def text_lang(value: object) -> str:
    """ "ja" when ``value`` is Japanese text shown on a page in another language, else ""."""
    text = str(value or "")
    language = translation.get_language() or "ja"
    if language in ("ja", "ja-easy"):
        return ""
    if _KANA.search(text) or (not language.startswith("zh") and _KANJI.search(text)):
        return "ja"
    return ""


@register.filter(is_safe=True)
def lang_attr(value: object) -> str:
    """`` lang="ja"`` for an element holding Japanese text on a page in another language, else ""
    (``<td{{ value|lang_attr }}>{{ value }}</td>``)."""
    from django.utils.safestring import mark_safe

    return mark_safe(' lang="ja"') if text_lang(value) else ""  # noqa: S308  # nosec B308, B703


@register.simple_tag
def translation_coverage(record: object) -> list[dict[str, object]]:
    """For staff edit screens: per language, its fallback order and the texts that fall back."""
    from idx.common.i18n import coverage

    fields = getattr(record, "TRANSLATED_FIELDS", ())
    return coverage(record, fields) if record is not None and fields else []


@register.filter(is_safe=True)
def phrases(value: object) -> str:
    """Japanese text laid out at its phrase boundaries (``idx.common.phrases``), escaped."""
    from django.utils.safestring import mark_safe

    from idx.common.phrases import phrase_text

    # phrase_text escapes every phrase it joins.
    return mark_safe(phrase_text(str(value or "")))  # noqa: S308  # nosec B308, B703

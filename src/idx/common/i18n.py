"""Texts in several languages: one language map per text, one fallback order, one helper.

Procedure definitions, the municipality, departments, counters, booking services and their
hours all carry what a resident reads as a language map ``{"ja": …, "ja-easy": …, "en": …}``.
``pick`` chooses the text for the active language along ``fallback_order``:

* the language itself, then its base language (``pt-br`` → ``pt``), except for やさしい日本語;
* やさしい日本語 falls back to 日本語;
* every other language falls back to 日本語 last (the text every record has).

When a non-Japanese page has to show the Japanese text, the request remembers it: the page then
gets readings and a note (``idx.common.language.ReadingAidsMiddleware``), and each such text is
wrapped in ``<span lang="ja">`` so that screen readers and fonts treat it as Japanese.

Records other than procedures keep their Japanese (and, where the model has one, English) text
in their ordinary fields and the other languages in a JSON field ``i18n`` shaped
``{"field": {"language": "text"}}``; ``localized(record, "field")`` merges both and picks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation

T = TypeVar("T")

FALLBACK = "ja"
# Languages that read the Japanese text as it is (やさしい日本語 shows it with readings).
JAPANESE = ("ja", "ja-easy")

_fell_back: contextvars.ContextVar[bool] = contextvars.ContextVar("idx_fell_back_to_japanese", default=False)
_fallback_texts: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "idx_japanese_fallback_texts", default=()
)


def fallback_order(language: str) -> list[str]:
    """The languages tried, in order, for a text asked for in ``language`` (shown to staff too)."""
    language = language.lower()
    order = [language]
    base = language.split("-")[0]
    if base != language and language not in JAPANESE:
        order.append(base)
    if FALLBACK not in order:
        order.append(FALLBACK)
    return order


def pick(texts: Mapping[str, str] | None, language: str | None = None) -> str:
    if not texts:
        return ""
    language = (language or translation.get_language() or FALLBACK).lower()
    for candidate in fallback_order(language):
        text = texts.get(candidate)
        if text:
            if candidate == FALLBACK and language not in JAPANESE:
                _note_fallback(text)
            return text
    return next((text for text in texts.values() if text), "")


def pick_entry(entries: Mapping[str, T], language: str) -> T | None:
    """What ``entries`` holds for the first language of ``fallback_order(language)`` it has a key for
    (a text, or a whole set of texts such as an alert's headline and body); None when none is there.

    Unlike ``pick`` it does not mark the request: messages and alerts are written outside pages too.
    """
    for candidate in fallback_order(language):
        if candidate in entries:
            return entries[candidate]
    return None


def _note_fallback(text: str) -> None:
    _fell_back.set(True)
    if text not in _fallback_texts.get():
        _fallback_texts.set((*_fallback_texts.get(), text))


def fell_back_to_japanese() -> bool:
    return _fell_back.get()


def japanese_fallback_texts() -> tuple[str, ...]:
    """The Japanese texts this request showed for want of the page's language."""
    return _fallback_texts.get()


def reset_fallback() -> None:
    _fell_back.set(False)
    _fallback_texts.set(())


def language_map(record: Any, field: str) -> dict[str, str]:
    """All languages of ``record.field``: Japanese from the field, English from ``<field>_en`` when the
    model has one, the rest (and any override) from ``record.i18n[field]``."""
    texts: dict[str, str] = {}
    base = getattr(record, field, "") or ""
    if base:
        texts[FALLBACK] = str(base)
    english = getattr(record, f"{field}_en", "") or ""
    if english:
        texts["en"] = str(english)
    for language, text in ((getattr(record, "i18n", None) or {}).get(field) or {}).items():
        if text:
            texts[language] = text
    return texts


def localized(record: Any, field: str, language: str | None = None) -> str:
    """``record.field`` in the active language (see ``fallback_order``)."""
    return pick(language_map(record, field), language)


def coverage(record: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """For staff: per language, which fields are filled and where each missing one falls back to."""
    rows = []
    for code, name in settings.LANGUAGES:
        missing = []
        for field in fields:
            texts = language_map(record, field)
            if not texts or texts.get(code):
                continue
            source = next((candidate for candidate in fallback_order(code) if texts.get(candidate)), "")
            missing.append({"field": field, "falls_back_to": source})
        rows.append({"code": code, "name": name, "order": fallback_order(code), "missing": missing})
    return rows


class Translatable:
    """Mixin for models whose resident-facing fields are translated through an ``i18n`` JSON field."""

    TRANSLATED_FIELDS: tuple[str, ...] = ()

    def localized(self, field: str) -> str:
        return localized(self, field)

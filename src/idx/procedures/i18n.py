"""Pick the text for the active language from a definition's language map.

A definition may lack the active language (most carry Japanese and English). Then the Japanese
shows, and the request is marked so the page adds readings to it and says why it is in Japanese
(``idx.common.language.ReadingAidsMiddleware``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping

from django.utils import translation

FALLBACK = "ja"
# Languages that read the Japanese text as it is (やさしい日本語 shows it with readings).
JAPANESE = ("ja", "ja-easy")

_fell_back: contextvars.ContextVar[bool] = contextvars.ContextVar("idx_fell_back_to_japanese", default=False)


def pick(texts: Mapping[str, str] | None, language: str | None = None) -> str:
    if not texts:
        return ""
    language = (language or translation.get_language() or FALLBACK).lower()
    if language in texts:
        return texts[language]
    base = language.split("-")[0]
    if base in texts and language not in JAPANESE:
        return texts[base]
    if language == "ja-easy" and "ja" in texts:
        return texts["ja"]
    if FALLBACK in texts:
        _fell_back.set(True)
        return texts[FALLBACK]
    return next(iter(texts.values()), "")


def fell_back_to_japanese() -> bool:
    return _fell_back.get()


def reset_fallback() -> None:
    _fell_back.set(False)

"""Pick the text for the active language from a definition's language map."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation

FALLBACK = "ja"


def pick(texts: Mapping[str, str] | None, language: str | None = None) -> str:
    if not texts:
        return ""
    language = (language or translation.get_language() or FALLBACK).lower()
    if language in texts:
        return texts[language]
    base = language.split("-")[0]
    return texts.get(base) or texts.get(FALLBACK) or next(iter(texts.values()), "")

"""Similar titles (duplicate detection when proposing): character bigrams, which work for
Japanese (no spaces between words) and for languages written with spaces alike."""

from __future__ import annotations

import re
import unicodedata

_SKIP = re.compile(r"[\s\u3000、。・「」『』（）()!！?？,.:：;；\-ー〜~]+")
# Pieces too common to say two titles are alike (particles and the like).
_COMMON = {"する", "して", "した", "ます", "です", "たい", "ない", "こと", "もの", "ため", "について", "への"}


def _normal(text: str) -> str:
    return _SKIP.sub("", unicodedata.normalize("NFKC", text).lower())


def _bigrams(text: str) -> set[str]:
    text = _normal(text)
    return {text[index : index + 2] for index in range(len(text) - 1)} - _COMMON


def title_keys(title: str) -> list[str]:
    """Pieces to look for in other titles, most telling first (kanji and long words)."""
    grams = sorted(
        _bigrams(title), key=lambda gram: (-sum(1 for c in gram if "\u4e00" <= c <= "\u9fff"), gram)
    )
    return grams


def similarity(first: str, second: str) -> float:
    """Dice coefficient of the titles' bigrams: 1.0 the same, 0.0 nothing shared."""
    a, b = _bigrams(first), _bigrams(second)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))

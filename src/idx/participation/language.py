"""Which language a resident wrote in, when the text tells (script first, then common words).

A proposal in any language is accepted; the page marks its language (``lang`` attribute and a
note naming the language) so readers and screen readers know. Only what can be told reliably is
marked: Japanese, Korean, Chinese, Thai, Arabic, Cyrillic (Russian) and Devanagari (Hindi) by
their scripts, and English, Portuguese, Spanish, Vietnamese and Filipino by marks and common
words. Anything else is stored as "" (not detected) and shown as written, without a language.
"""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_VIETNAMESE = re.compile(r"[ơưđăĐƠƯĂạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
_WORD = re.compile(r"[a-záéíóúãõçñ]+")
_COMMON = {
    "en": {"the", "and", "of", "to", "is", "in", "for", "we", "should", "this", "with", "please"},
    "pt-br": {"que", "não", "para", "uma", "com", "os", "as", "é", "do", "da", "mais"},
    "es": {"que", "el", "los", "las", "para", "una", "con", "es", "del", "por", "más"},
    "fil": {"ang", "ng", "mga", "sa", "na", "at", "ay", "po", "natin", "para"},
}


def detect_language(text: str) -> str:
    """The BCP 47 tag of the language ``text`` is written in, or "" when it cannot be told."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        # Kanji without any kana: short Japanese titles are like that too, so only long texts
        # count as Chinese.
        return "zh" if len(text) > 40 else "ja"
    for pattern, tag in (
        (_THAI, "th"),
        (_ARABIC, "ar"),
        (_CYRILLIC, "ru"),
        (_DEVANAGARI, "hi"),
        (_VIETNAMESE, "vi"),
    ):
        if pattern.search(text):
            return tag
    words = _WORD.findall(text.lower())
    if not words:
        return ""
    scores = {tag: sum(1 for word in words if word in common) for tag, common in _COMMON.items()}
    best = max(scores, key=lambda tag: scores[tag])
    if scores[best] >= 2 and list(scores.values()).count(scores[best]) == 1:
        return best
    return ""


# Names of languages in themselves (shown next to a text written in another language than the page).
LANGUAGE_NAMES = {
    "ja": "日本語",
    "ko": "한국어",
    "zh": "中文",
    "th": "ไทย",
    "ar": "العربية",
    "ru": "Русский",
    "hi": "हिन्दी",
    "vi": "Tiếng Việt",
    "en": "English",
    "pt-br": "Português",
    "es": "Español",
    "fil": "Filipino",
}

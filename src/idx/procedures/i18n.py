"""Pick the text for the active language from a definition's language map.

A definition may lack the active language (most carry Japanese and English). Then the Japanese
shows, and the request is marked so the page adds readings to it and says why it is in Japanese
(``idx.common.language.ReadingAidsMiddleware``). The mechanism is shared with every other record a
resident reads (departments, counters, services): it lives in ``idx.common.i18n``.
"""

from __future__ import annotations

from idx.common.i18n import FALLBACK, JAPANESE, fallback_order, fell_back_to_japanese, pick, reset_fallback

__all__ = ["FALLBACK", "JAPANESE", "fallback_order", "fell_back_to_japanese", "pick", "reset_fallback"]

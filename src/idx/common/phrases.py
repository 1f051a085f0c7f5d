"""Japanese line breaks at phrase boundaries (文節), computed on the server with BudouX.

Browsers break Japanese between any two characters, so a narrow screen shows 「ログイ／ン」 or
「申／請」. Only Chromium-based browsers know ``word-break: auto-phrase``; Safari and Firefox do not.
So on every Japanese page (日本語 and やさしい日本語) the server does it for every browser: the
middleware (``idx.common.language.ReadingAidsMiddleware``) cuts the Japanese text of headings,
buttons, labels, legends, summaries and links (``PHRASE_TAGS``) and of any element marked
``data-phrases`` into phrases with BudouX; each boundary gets a ``<wbr>`` and the text is wrapped
in ``<span class="phrases">`` (``word-break: keep-all``; ``overflow-wrap: anywhere`` still breaks a
phrase longer than the line). An element marked ``data-no-phrases`` is left as it is: the site
header (a one-line menu on a phone, where a phrase mark only made the header taller). A template
can also use the ``phrases`` filter for one text. Receipt numbers inside are kept in ``<span
class="nowrap">``. Readings (``idx.common.furigana``) are added afterwards, inside each phrase, so
every ``<ruby>`` stays within one phrase. Cost: ``docs/performance.md``, measured in
``tests/inclusion/test_phrases.py``; phrases are cached.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any, Final

_TAG: Final = re.compile(r"(<[^>]*>)")
_TAG_NAME: Final = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_JAPANESE: Final = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff]")
_SKIP: Final = frozenset(
    {"script", "style", "textarea", "title", "option", "select", "rt", "rp", "code", "pre"}
)
# Receipt numbers (受付番号, 領収番号, R-IGA-2026-000001): prefix, year and serial; kept on one line.
RECEIPT_NUMBER: Final = re.compile(r"(?<![A-Za-z0-9-])[A-Z][A-Z-]{0,10}-[0-9]{4}-[0-9]{4,8}(?![A-Za-z0-9-])")

_parser: Any = None


def _budoux() -> Any:
    global _parser
    if _parser is None:
        import budoux

        _parser = budoux.load_default_japanese_parser()
    return _parser


# Words BudouX's model cuts in two (「ふりが／なを表示」): a boundary never falls inside them.
KEEP_WHOLE: Final = re.compile("ふりがな|フリガナ|ログイン|ログアウト|マイナンバー|マイナポータル")


@functools.lru_cache(maxsize=8192)
def phrases(text: str) -> tuple[str, ...]:
    """``text`` cut at its phrase boundaries (BudouX's Japanese model)."""
    parts = list(_budoux().parse(text))
    inside = {offset for word in KEEP_WHOLE.finditer(text) for offset in range(word.start() + 1, word.end())}
    if not inside or len(parts) < 2:
        return tuple(parts)
    merged = [parts[0]]
    offset = len(parts[0])
    for part in parts[1:]:
        if offset in inside:
            merged[-1] += part
        else:
            merged.append(part)
        offset += len(part)
    return tuple(merged)


def _keep_numbers(escaped: str) -> str:
    return RECEIPT_NUMBER.sub(lambda match: f'<span class="nowrap">{match.group(0)}</span>', escaped)


def phrase_text(text: str) -> str:
    """HTML of plain ``text`` with ``<wbr>`` between its phrases, in a ``keep-all`` span."""
    parts = phrases(text)
    if len(parts) < 2:
        return _keep_numbers(html.escape(text, quote=False))
    inner = "<wbr>".join(_keep_numbers(html.escape(part, quote=False)) for part in parts)
    return f'<span class="phrases">{inner}</span>'


_OPT_IN: Final = re.compile(r"\sdata-phrases(?:[\s=>/]|$)")
_OPT_OUT: Final = re.compile(r"\sdata-no-phrases(?:[\s=>/]|$)")
# Short texts a resident reads at a glance, where a break inside a word hurts most.
PHRASE_TAGS: Final = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "button", "label", "legend", "summary", "a", "caption", "dt"}
)


def default_tags() -> frozenset[str]:
    """``PHRASE_TAGS``, or none (only ``data-phrases``) where ``IDX_PHRASE_BREAKS`` is off: the test
    settings keep labels as one text, so that a test can look for 「生年月日」 in a page."""
    from django.conf import settings

    return PHRASE_TAGS if getattr(settings, "IDX_PHRASE_BREAKS", True) else frozenset()


def break_at_phrases(document: str, tags: frozenset[str] | None = None) -> str:
    """Lay out the Japanese of ``tags`` elements (default: ``default_tags()``) and of those marked
    ``data-phrases`` at phrase boundaries (not inside an element marked ``data-no-phrases``)."""
    if tags is None:
        tags = default_tags()
    out: list[str] = []
    scopes: list[str] = []
    skipping: list[str] = []
    in_body = False
    for piece in _TAG.split(document):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece)
            name = _TAG_NAME.match(piece)
            if name is None or piece.startswith("<!"):
                continue
            closing, tag = name.group(1) == "/", name.group(2).lower()
            if tag == "body":
                in_body = not closing
            elif (tag in _SKIP or (not closing and _OPT_OUT.search(piece))) and not piece.endswith("/>"):
                if closing:
                    if skipping and skipping[-1] == tag:
                        skipping.pop()
                else:
                    skipping.append(tag)
            elif closing:
                if skipping and skipping[-1] == tag:
                    skipping.pop()
                elif scopes and scopes[-1] == tag:
                    scopes.pop()
            elif (tag in tags or _OPT_IN.search(piece)) and not piece.endswith("/>"):
                scopes.append(tag)
            continue
        if not in_body or skipping:
            out.append(piece)
        elif scopes and _JAPANESE.search(piece):
            out.append(phrase_text(html.unescape(piece)))
        else:
            out.append(piece)
    return "".join(out)

"""Japanese line breaks at phrase boundaries (文節), computed on the server with BudouX.

Browsers break Japanese between any two characters, so a narrow screen shows 「ログイ／ン」 or
「申／請」. On Japanese pages, the text of headings, buttons, labels, legends and table headers is cut
into phrases by BudouX's model: each phrase boundary gets a ``<wbr>`` and the text is wrapped in
``<span class="phrases">`` whose CSS (``word-break: keep-all``) forbids breaks inside a phrase;
``overflow-wrap: anywhere`` still breaks a phrase longer than the line. Receipt numbers
(IGA-2026-000123) and booking codes are wrapped in ``<span class="nowrap">`` so they never break
at their hyphens. Running text (paragraphs) is left to the browser: there a break inside a word
costs less than ragged lines.

The cost is measured in ``tests/inclusion/test_phrases.py`` (about 0.1 ms per text, a few ms per
page); parsed phrases are cached.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any, Final

_TAG: Final = re.compile(r"(<[^>]*>)")
_TAG_NAME: Final = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_JAPANESE: Final = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff]")
# Where phrases are laid out: short texts a person scans, where a broken word hurts most.
PHRASED: Final = frozenset({"h1", "h2", "h3", "h4", "button", "label", "legend", "th", "summary", "caption"})
_SKIP: Final = frozenset(
    {"script", "style", "textarea", "title", "option", "select", "rt", "rp", "code", "pre"}
)
# Receipt numbers (受付番号, 領収番号): prefix, year and serial; kept on one line.
RECEIPT_NUMBER: Final = re.compile(r"\b[A-Z]{2,8}-\d{4}-\d{4,8}\b")

_parser: Any = None


def _budoux() -> Any:
    global _parser
    if _parser is None:
        import budoux

        _parser = budoux.load_default_japanese_parser()
    return _parser


@functools.lru_cache(maxsize=8192)
def phrases(text: str) -> tuple[str, ...]:
    """``text`` cut at its phrase boundaries (BudouX's Japanese model)."""
    return tuple(_budoux().parse(text))


def _keep_numbers(escaped: str) -> str:
    return RECEIPT_NUMBER.sub(lambda match: f'<span class="nowrap">{match.group(0)}</span>', escaped)


def phrase_text(text: str) -> str:
    """HTML of plain ``text`` with ``<wbr>`` between its phrases, in a ``keep-all`` span."""
    parts = phrases(text)
    if len(parts) < 2:
        return _keep_numbers(html.escape(text, quote=False))
    inner = "<wbr>".join(_keep_numbers(html.escape(part, quote=False)) for part in parts)
    return f'<span class="phrases">{inner}</span>'


def break_at_phrases(document: str) -> str:
    """Lay out the headings, buttons, labels and links of an HTML page at phrase boundaries, and keep
    every receipt number on one line."""
    out: list[str] = []
    open_tags: list[str] = []
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
            elif tag in _SKIP and not piece.endswith("/>"):
                if closing:
                    if skipping and skipping[-1] == tag:
                        skipping.pop()
                else:
                    skipping.append(tag)
            elif tag in PHRASED:
                if closing:
                    if tag in open_tags:
                        del open_tags[len(open_tags) - 1 - open_tags[::-1].index(tag) :]
                else:
                    open_tags.append(tag)
            continue
        if not in_body or skipping:
            out.append(piece)
        elif open_tags and _JAPANESE.search(piece):
            out.append(phrase_text(html.unescape(piece)))
        elif RECEIPT_NUMBER.search(piece):
            out.append(_keep_numbers(piece))
        else:
            out.append(piece)
    return "".join(out)

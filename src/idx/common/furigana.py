"""Readings (ふりがな) for kanji, computed with SudachiPy and sudachidict-core.

``annotate(text)`` returns HTML with ``<ruby>`` around each run of kanji and its reading in
hiragana; kana written after the kanji in the same word (okurigana) stays outside the ruby, so
申し込み reads 申(もう)し込(こ)み. Place names of the city come from ``LOCAL_READINGS`` first: the
general dictionary does not know that 阿保 in Iga reads あお or 柘植 つげ. The table is checked in
order, longest name first, and is the place to add a local name a test or a resident finds wrong.

Why a table and not a compiled Sudachi user dictionary: a user dictionary must be rebuilt with
``sudachipy ubuild`` against the exact system dictionary version installed, which ties a data
file to a wheel version; readings are the only thing we need from it, and a table gives them
without a build step. The tokenizer itself is Sudachi's.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from typing import Any, Final

from django.utils.safestring import SafeString, mark_safe

KANJI: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ]")
_KANJI_RUN: Final = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ]+)")

# Readings of local names the general dictionary gets wrong or does not know (伊賀市 and 度会町).
LOCAL_READINGS: Final[dict[str, str]] = {
    "伊賀": "いが",
    "上野": "うえの",
    "阿山": "あやま",
    "大山田": "おおやまだ",
    "青山": "あおやま",
    "島ヶ原": "しまがはら",
    "柘植": "つげ",
    "阿保": "あお",
    "比自岐": "ひじき",
    "西明寺": "さいみょうじ",
    "丸之内": "まるのうち",
    "四十九町": "しじゅうくちょう",
    "柘植町": "つげちょう",
    "小田町": "おだちょう",
    "名張": "なばり",
    "度会町": "わたらいちょう",
    "度会": "わたらい",
    "棚橋": "たなはし",
    "緑ケ丘": "みどりがおか",
    # The city's own words the general dictionary reads wrongly.
    "受付票": "うけつけひょう",
    "受付番号": "うけつけばんごう",
    "領収番号": "りょうしゅうばんごう",
    "申立書": "もうしたてしょ",
}
_LOCAL: Final = re.compile("|".join(sorted(map(re.escape, LOCAL_READINGS), key=len, reverse=True)))

# Readings pinned by context: the same kanji reads differently after different words. 方 after a
# word for people (同一世帯の方, 申請者の方, 65歳以上の方) is かた, "person"; after an adjective
# (所得の高い方, 程度の高い方) it stays ほう, "the one that", as the dictionary reads it.
_PEOPLE = (
    "者",
    "世帯",
    "以上",
    "以下",
    "未満",
    "以外",
    "対象",
    "本人",
    "家族",
    "市民",
    "住民",
    "市外",
    "市内",
    "年齢",
    "児童",
    "保護者",
    "要支援",
    "要介護",
    "外国籍",
    "該当",
    "希望",
    "高齢",
    "障がい",
)
PINNED_IN_CONTEXT: Final[list[tuple[re.Pattern[str], str]]] = [
    (re.compile(rf"(?<={word}の)方(?![法向面針式角々])"), "かた") for word in _PEOPLE
] + [
    (re.compile(r"(?<=歳の)方(?![法向面針式角々])"), "かた"),
]

_local = threading.local()


def _tokenizer() -> Any:
    """One Sudachi tokenizer per thread (they are not safe to share)."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        from idx.common.sudachi import dictionary

        tokenizer = dictionary().tokenizer(mode=SplitMode.C)
        _local.tokenizer = tokenizer
    return tokenizer


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" and ch not in "ヵヶ" else ch for ch in text)


def _split_okurigana(surface: str, reading: str) -> list[tuple[str, str | None]]:
    """Pair each kanji run of ``surface`` with its part of ``reading``; one pair if they do not align."""
    parts = _KANJI_RUN.split(surface)
    pattern = "".join(
        "(.+?)" if KANJI.match(part) else re.escape(to_hiragana(part)) for part in parts if part
    )
    match = re.fullmatch(pattern, reading)
    if match is None:
        return [(surface, reading)]
    pairs: list[tuple[str, str | None]] = []
    groups = iter(match.groups())
    for part in parts:
        if not part:
            continue
        pairs.append((part, next(groups)) if KANJI.match(part) else (part, None))
    return pairs


def _pinned(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reading) of every pinned word of ``text``, without overlaps, in order."""
    found = [(match.start(), match.end(), LOCAL_READINGS[match.group(0)]) for match in _LOCAL.finditer(text)]
    for pattern, reading_ in PINNED_IN_CONTEXT:
        found += [(match.start(), match.end(), reading_) for match in pattern.finditer(text)]
    found.sort(key=lambda item: (item[0], -item[1]))
    kept: list[tuple[int, int, str]] = []
    for start, end, reading_ in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, reading_))
    return kept


def segments(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into (surface, reading) pairs; the reading is ``None`` where no kanji is."""
    result: list[tuple[str, str | None]] = []
    position = 0
    for start, end, reading_ in _pinned(text):
        result.extend(_sudachi_segments(text[position:start]))
        result.append((text[start:end], reading_))
        position = end
    result.extend(_sudachi_segments(text[position:]))
    return result


def _sudachi_segments(text: str) -> list[tuple[str, str | None]]:
    if not text:
        return []
    if not KANJI.search(text):
        return [(text, None)]
    result: list[tuple[str, str | None]] = []
    for morpheme in _tokenizer().tokenize(text):
        surface = morpheme.surface()
        if not KANJI.search(surface):
            result.append((surface, None))
            continue
        reading = to_hiragana(morpheme.reading_form())
        if not reading or KANJI.search(reading) or reading == surface:
            result.append((surface, None))  # unknown to the dictionary: better no reading than a wrong one
            continue
        result.extend(_split_okurigana(surface, reading))
    return result


def reading(text: str) -> str:
    """The whole text in hiragana (kanji replaced by their readings)."""
    return "".join(
        reading if reading is not None else to_hiragana(surface) for surface, reading in segments(text)
    )


@functools.lru_cache(maxsize=8192)
def annotate(text: str) -> SafeString:
    """HTML of ``text`` (plain text, not HTML) with ``<ruby>`` readings on its kanji."""
    out: list[str] = []
    for surface, reading_ in segments(text):
        if reading_ is None or not KANJI.search(surface):
            out.append(html.escape(surface, quote=False))
        else:
            out.append(
                f"<ruby>{html.escape(surface, quote=False)}<rp>(</rp><rt>{html.escape(reading_, quote=False)}"
                "</rt><rp>)</rp></ruby>"
            )
    # Every piece is escaped above.
    return mark_safe("".join(out))  # noqa: S308  # nosec B308, B703


# Elements whose text must stay as it is: not shown as text, inside form controls, or ruby already;
# and SVG, where ruby is not drawn (a chart's labels; the table beside a chart has the readings).
_SKIP = {"script", "style", "textarea", "title", "option", "select", "rt", "rp", "ruby", "code", "pre", "svg"}
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_OTHER_LANGUAGE = re.compile(r"""\slang\s*=\s*["']?(?!ja\b)[a-zA-Z]""")


KANA: Final = re.compile(r"[\u3041-\u309f\u30a1-\u30fa]")


def annotate_html(document: str, *, kana_only: bool = False) -> str:
    """Add readings to the text of an HTML document (server-rendered pages; tags untouched).

    ``kana_only`` limits readings to text that also has kana, i.e. Japanese and not Chinese: on a
    page in another language, the Japanese shown for want of a translation gets readings and the
    page's own Chinese text does not.
    """
    out: list[str] = []
    skipping: list[str] = []
    in_body = False
    for piece in _TAG.split(document):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece)
            name = _TAG_NAME.match(piece)
            if name is None:
                continue
            closing, tag = name.group(1) == "/", name.group(2).lower()
            if tag == "body":
                in_body = not closing
            elif closing:
                if skipping and skipping[-1] == tag:
                    skipping.pop()
            elif not piece.endswith("/>") and (
                tag in _SKIP or (tag != "html" and _OTHER_LANGUAGE.search(piece))
            ):
                # Text marked as another language (lang="zh-Hans": an answer in Chinese) is not
                # Japanese, whatever characters it shares with it: no readings.
                skipping.append(tag)
            continue
        if not in_body or skipping or not KANJI.search(piece) or (kana_only and not KANA.search(piece)):
            out.append(piece)
            continue
        out.append(str(annotate(html.unescape(piece))))
    return "".join(out)

"""Text for the assistant: the analyzer that turns questions and FAQs into search terms, and masking.

Japanese goes through SudachiPy: short units (mode A) for recall plus the longer unit (mode C)
when it differs (保育 + 園 and 保育園), each as its normalized form, so 申し込み / 申込 / 申込み and
ひらがな spellings of known words meet. Particles, auxiliaries and symbols are dropped, and so are
words every question has (教える, 方法 …). Latin-script text is lower-cased, stripped of accents
and stemmed (Snowball, English). Then the synonym groups (``data/synonyms.txt``) map every
spelling of a group, single words or phrases, to one term. The output is a list of terms; the
index weighs and counts them.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

SYNONYMS_FILE: Final = Path(__file__).with_name("data") / "synonyms.txt"
READING_PREFIX: Final = "#"

JAPANESE: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA: Final = re.compile(r"[\u3040-\u30ff]")
HAN_RUN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD: Final = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Letters of Latin-script languages with their accents (Portuguese, Spanish, Vietnamese, Filipino).
_LATIN_LETTERS: Final = "a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN_RUN: Final = re.compile(
    rf"([{_LATIN_LETTERS}][{_LATIN_LETTERS} '\-]*[{_LATIN_LETTERS}]|[{_LATIN_LETTERS}])"
)
# Scripts the assistant cannot read at all (no FAQ is written in them): answered with the list of languages.
UNSUPPORTED_SCRIPT: Final = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff\u1100-\u11ff\uac00-\ud7af]"
)

_DROPPED_POS: Final = frozenset(
    {"助詞", "助動詞", "補助記号", "記号", "空白", "感動詞", "接続詞", "代名詞", "連体詞"}
)
# Words nearly every question contains; they say nothing about which answer fits.
_JA_STOP: Final = frozenset(
    [
        "教える",
        "知る",
        "分かる",
        "判る",
        "方法",
        "場合",
        "良い",
        "好い",
        "いい",
        "する",
        "為る",
        "ある",
        "有る",
        "在る",
        "いる",
        "居る",
        "なる",
        "成る",
        "できる",
        "出来る",
        "下さる",
        "思う",
        "言う",
        "聞く",
        "欲しい",
        "可能",
        "件",
        "こと",
        "事",
        "もの",
        "物",
        "ため",
        "為",
        "よう",
        "様",
        "どう",
        "何",
        "いつ",
        "何時",
        "どこ",
        "何処",
        "誰",
        "どれ",
        "方",
        "とき",
        "時",
        "お願い",
        "願う",
        "御",
        "お",
        "様",
        "さん",
        "ちゃん",
        "頂く",
        "戴く",
        "貰う",
        "もらう",
        "くれる",
        "呉れる",
        "見る",
        "行く",
        "来る",
    ]  # noqa: SIM905
)
_EN_STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "about",
        "as",
        "into",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "please",
        "tell",
        "know",
        "want",
        "need",
        "get",
        "there",
        "here",
        "not",
        "no",
        "yes",
        "so",
        "than",
        "too",
        "very",
        "just",
        "any",
        "some",
        "all",
        "also",
        "one",
        "am",
        "hi",
        "hello",
        "thanks",
        "thank",
    ]  # noqa: SIM905
)


# Function words of the other Latin-script languages residents write in (after accents are
# stripped): Portuguese, Spanish, Vietnamese, Filipino. Like the English ones they say nothing
# about which answer fits.
_OTHER_LATIN_STOP: Final = frozenset(
    [
        "o",
        "os",
        "as",
        "um",
        "uma",
        "de",
        "do",
        "da",
        "dos",
        "das",
        "e",
        "em",
        "no",
        "na",
        "nos",
        "nas",
        "para",
        "por",
        "com",
        "meu",
        "minha",
        "meus",
        "minhas",
        "que",
        "como",
        "onde",
        "quando",
        "quero",
        "queria",
        "posso",
        "eu",
        "se",
        "me",
        "ao",
        "aos",
        "preciso",
        "tenho",
        "fazer",
        "ele",
        "ela",
        "voce",
        "sao",
        "el",
        "la",
        "los",
        "las",
        "un",
        "unos",
        "unas",
        "del",
        "y",
        "en",
        "para",
        "con",
        "mi",
        "mis",
        "que",
        "como",
        "donde",
        "cuando",
        "quiero",
        "puedo",
        "es",
        "se",
        "al",
        "lo",
        "le",
        "hay",
        "cual",
        "necesito",
        "tengo",
        "hacer",
        "yo",
        "usted",
        "esta",
        "estoy",
        "toi",
        "muon",
        "co",
        "khong",
        "cua",
        "la",
        "duoc",
        "cho",
        "va",
        "lam",
        "khi",
        "nay",
        "ai",
        "gi",
        "dau",
        "nao",
        "nhu",
        "the",
        "phai",
        "can",
        "ban",
        "minh",
        "em",
        "anh",
        "chi",
        "oi",
        "a",
        "ang",
        "ng",
        "mga",
        "sa",
        "ko",
        "ako",
        "paano",
        "saan",
        "po",
        "ba",
        "ay",
        "kung",
        "ano",
        "ito",
        "may",
        "mayroon",
        "gusto",
        "namin",
        "ka",
        "mo",
        "niya",
        "kami",
        "tayo",
        "nang",
        "lang",
        "din",
        "rin",
        "si",
        "ni",
        "kay",
        "hindi",
        "oo",
        "mag",
    ]
)
_LATIN_STOP: Final = _EN_STOP | _OTHER_LATIN_STOP
# Words that tell a Latin-script question's language (accents stripped, as typed lower case).
_MARKERS: Final = {
    "en": frozenset(
        [
            "the",
            "i",
            "my",
            "how",
            "where",
            "what",
            "do",
            "does",
            "can",
            "is",
            "are",
            "to",
            "for",
            "when",
            "which",
            "we",
            "our",
        ]
    ),
    "pt-br": frozenset(
        [
            "o",
            "os",
            "um",
            "uma",
            "do",
            "da",
            "dos",
            "das",
            "meu",
            "minha",
            "quero",
            "queria",
            "posso",
            "onde",
            "como",
            "preciso",
            "voce",
            "nao",
            "filho",
            "filha",
            "filhos",
            "fazer",
            "tenho",
            "e",
            "em",
            "no",
            "na",
            "para",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "un",
            "unos",
            "del",
            "mi",
            "mis",
            "quiero",
            "puedo",
            "donde",
            "necesito",
            "tengo",
            "hijo",
            "hija",
            "hijos",
            "hacer",
            "y",
            "en",
            "para",
            "es",
            "hay",
        ]
    ),
    "fil": frozenset(
        [
            "ang",
            "ng",
            "mga",
            "sa",
            "ko",
            "ako",
            "paano",
            "saan",
            "po",
            "ba",
            "ay",
            "kung",
            "ano",
            "gusto",
            "kailangan",
            "anak",
        ]
    ),
}
_VIETNAMESE_LETTERS: Final = re.compile(r"[ăđơư\u1ea0-\u1ef9]")
# Han characters of 简体字 (and Chinese function words) that Japanese text does not use: a
# kana-less question with one of them is Chinese. Shared forms (学, 会, 税 …) are left out.
_ZH_ONLY: Final = frozenset(
    "们吗呢么这哪请办说给让没还过个为对从儿补贴问题钱费续证户电话时间买卖车门开关样发现处务报单资该谁怎"
    "孩领垃圾扔缴纳邮码吧啊呀谢护险疗签迁岁"
)
# Chinese characters that carry no topic (I, want, how, which …): not search terms.
_ZH_STOP: Final = frozenset("我你您他她们的了吗呢吧么想怎样哪这那是在和也很都就啊呀什有要能可以")


class _Analyzers:
    def __init__(self) -> None:
        import snowballstemmer
        from sudachipy import SplitMode

        from idx.common.sudachi import dictionary

        self.short = dictionary().tokenizer(mode=SplitMode.A)
        self.long = dictionary().tokenizer(mode=SplitMode.C)
        self.stemmer = snowballstemmer.stemmer("english")


_local = threading.local()


def _analyzers() -> _Analyzers:
    """Tokenizers per thread (Sudachi's are not safe to share between threads), one dictionary."""
    analyzers: _Analyzers | None = getattr(_local, "analyzers", None)
    if analyzers is None:
        analyzers = _Analyzers()
        _local.analyzers = analyzers
    return analyzers


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _content(morpheme: Any) -> str | None:
    if morpheme.part_of_speech()[0] in _DROPPED_POS:
        return None
    form = str(morpheme.normalized_form()).lower()
    if form in _JA_STOP or not form.strip():
        return None
    return form


def _japanese_terms(text: str) -> tuple[list[str], list[str]]:
    """(word terms, sound-bigram terms) of Japanese text."""
    analyzers = _analyzers()
    terms: list[str] = []
    readings: list[str] = []
    run = ""
    for long_unit in analyzers.long.tokenize(text):
        long_form = _content(long_unit)
        shorts = [form for m in long_unit.split(_split_mode_a()) if (form := _content(m))]
        if long_form and long_form not in shorts:
            terms.append(long_form)
        terms.extend(shorts)
        if long_form or shorts:
            run += str(long_unit.reading_form())
        elif run:
            readings.append(run)
            run = ""
    if run:
        readings.append(run)
    # Sound bigrams of each run of content words: かいごほけん typed in kana, which the dictionary
    # splits wrongly, still meets 介護保険 (カイゴホケン). Weighed low in the index (READING_PREFIX).
    sounds = [READING_PREFIX + r[i : i + 2] for r in readings for i in range(max(len(r) - 1, 1))]
    return terms, sounds


@functools.cache
def _split_mode_a() -> Any:
    from sudachipy import SplitMode

    return SplitMode.A


def _strip_accents(text: str) -> str:
    # đ (Vietnamese) has no decomposition: map it by hand.
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _latin_terms(text: str) -> list[str]:
    stemmer = _analyzers().stemmer
    words = [w for w in LATIN_WORD.findall(_strip_accents(text)) if w not in _LATIN_STOP]
    return [stemmer.stemWord(w) for w in words]


def _chinese_terms(text: str) -> list[str]:
    """Chinese (简体字) text: character bigrams of each run of Han characters, without function characters.

    No dictionary: bigrams meet 申请/儿童/补贴 however a resident strings them together, and a
    Chinese document of an FAQ shares no terms with the Japanese one (儿童 is not 児童).
    """
    out: list[str] = []
    for run in HAN_RUN.findall(text):
        content = "".join(c if c not in _ZH_STOP else " " for c in run)
        for part in content.split():
            if len(part) == 1:
                out.append(part)
            out.extend(part[i : i + 2] for i in range(len(part) - 1))
    return out


def is_chinese(text: str) -> bool:
    """Han characters, no kana, and at least one character Japanese does not write (们, 请, 儿, 贴 …)."""
    normalized = normalize(text)
    return not KANA.search(normalized) and any(c in _ZH_ONLY for c in normalized)


def language_of(text: str) -> str | None:
    """The language a question is written in, when the text says so clearly; None when it does not.

    Japanese and Chinese by their scripts; Vietnamese by its letters (ơ, ư, đ, tone marks);
    Portuguese, Spanish, Filipino and English by their function words and letters. ``ja`` stands
    for Japanese in general (the page decides between 日本語 and やさしい日本語).
    """
    normalized = normalize(text)
    if JAPANESE.search(normalized):
        return "zh-hans" if is_chinese(normalized) else "ja"
    if _VIETNAMESE_LETTERS.search(normalized):
        return "vi"
    words = re.findall(rf"[{_LATIN_LETTERS}]+", normalized)
    if not words:
        return None
    scores = dict.fromkeys(_MARKERS, 0.0)
    for word in words:
        for language, markers in _MARKERS.items():
            if word in markers:
                scores[language] += 1
    if re.search(r"[ãõç]", normalized):
        scores["pt-br"] += 2
    if re.search(r"[ñ¿¡]", normalized):
        scores["es"] += 2
    best = max(scores, key=lambda language: scores[language])
    if scores[best] == 0:
        return None
    if sorted(scores.values())[-2] == scores[best]:
        return None
    return best


def _raw_terms(text: str, chinese: bool | None = None) -> tuple[list[str], list[str]]:
    """(word terms, sound terms) before synonyms: Japanese runs through Sudachi, Chinese into
    character bigrams, Latin words through the stemmer. ``chinese``: None to tell from the text."""
    text = normalize(text)[:2000]
    terms: list[str] = []
    sounds: list[str] = []
    chinese = chinese if chinese is not None else is_chinese(text)
    # Split into runs so that an English word inside Japanese text is stemmed, not mangled.
    for run in _LATIN_RUN.split(text):
        if not run.strip():
            continue
        if chinese and HAN_RUN.search(run):
            terms.extend(_chinese_terms(run))
        elif JAPANESE.search(run):
            words, run_sounds = _japanese_terms(run)
            terms.extend(words)
            sounds.extend(run_sounds)
        else:
            terms.extend(_latin_terms(run))
    return terms, sounds


def _add_groups(table: dict[tuple[str, ...], str], lines: Iterable[str], prefix: str, *, merge: bool) -> int:
    """Map every spelling of each ``a/b/c`` line to one group term; the longest spelling in terms.

    With ``merge`` (a municipality's own groups), a line that shares a spelling with a known group
    joins that group instead of starting another, so a city can add words to the shipped groups.
    """
    longest = 1
    for index, line in enumerate(lines):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sequences = [tuple(_raw_terms(word.strip())[0]) for word in line.split("/")]
        sequences = [sequence for sequence in sequences if sequence]
        group = f"~{prefix}{index}"
        if merge:
            group = next((table[sequence] for sequence in sequences if sequence in table), group)
        for sequence in sequences:
            if sequence not in table:
                table[sequence] = group
                longest = max(longest, len(sequence))
    return longest


@functools.lru_cache(maxsize=64)
def _synonym_table(extra: tuple[str, ...] = ()) -> tuple[dict[tuple[str, ...], str], int]:
    """(term sequence -> group term, longest sequence): the shipped groups, then ``extra`` (a city's)."""
    table: dict[tuple[str, ...], str] = {}
    longest = _add_groups(table, SYNONYMS_FILE.read_text(encoding="utf-8").splitlines(), "", merge=False)
    if extra:
        longest = max(longest, _add_groups(table, extra, "m", merge=True))
    return table, longest


def terms(text: str, synonyms: tuple[str, ...] = (), *, language: str = "") -> list[str]:
    """The search terms of ``text`` (a question, an FAQ's question or answer).

    ``synonyms``: the municipality's own groups (lines like ``ドローン/無人航空機``), on top of the shipped ones.
    ``language``: the language of an FAQ text when known (``zh-hans`` is read as Chinese even
    when it happens to use no character Japanese lacks); questions are told from their text.
    """
    raw, sounds = _raw_terms(text, chinese=True if language == "zh-hans" else None)
    table, longest = _synonym_table(synonyms)
    out: list[str] = []
    position = 0
    while position < len(raw):
        for length in range(min(longest, len(raw) - position), 0, -1):
            group = table.get(tuple(raw[position : position + length]))
            if group is not None:
                out.append(group)
                if (
                    length > 1
                ):  # a phrase: keep its words too (as their own groups), so the wording still counts
                    for word in raw[position : position + length]:
                        own = table.get((word,), word)
                        if own != group:
                            out.append(own)
                position += length
                break
        else:
            out.append(raw[position])
            position += 1
    return out + sounds


def script_of(text: str) -> str:
    """'ja' (kana or kanji), 'zh' (Chinese, see ``is_chinese``), 'latin', 'unsupported' (a script
    no FAQ is written in) or 'empty'."""
    normalized = normalize(text)
    if JAPANESE.search(normalized):
        return "zh" if is_chinese(normalized) else "ja"
    if UNSUPPORTED_SCRIPT.search(normalized):
        return "unsupported"
    if re.search(r"[a-z]", _strip_accents(normalized)):
        return "latin"
    return "empty"


# ---- masking ------------------------------------------------------------------------------------

_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE: Final = re.compile(r"(?<!\d)(?:\+81[- ]?|0)\d{1,4}[- (]?\d{1,4}[- )]?\d{3,4}(?!\d)")
_DIGITS: Final = re.compile(r"\d[\d -]{4,}\d")


def mask_personal(text: str) -> str:
    """Text with e-mail addresses, phone numbers and runs of 6+ digits replaced, before anything stores it.

    Full-width digits and the like are folded first (NFKC) so that ０９０… is caught as well.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _DIGITS.sub(lambda m: "[number]" if sum(c.isdigit() for c in m.group()) >= 6 else m.group(), text)

"""Checks of やさしい日本語 (Easy Japanese) that a program can make.

やさしい日本語 is a register of its own: short sentences in です・ます, one idea each, western
years, 午前/午後, everyday words. A person writes it; this module catches what a machine can:

* ``sentence-length``: more than ``MAX_SENTENCE_CHARS`` characters in one sentence
  (a placeholder such as ``%(name)s`` or ``{name}`` counts as one character);
* ``kanji``: more than ``MAX_KANJI`` kanji in one sentence;
* ``polite-form``: a sentence closed by 。 that does not end in です・ます forms;
* ``double-negative``: ないわけではない, なくはない, なければなりません … (say it positively);
* ``24-hour-time``: 17:00 or 17時 (use 午後5時);
* ``era-without-western-year``: 令和8年 with no western year beside it (write 2026年);
* ``hard-loanword``: words from ``HARD_LOANWORDS``.

Sentences end at 。！？ (full or half width) or a line break; the end of a text closes the last
one. Text without a closing 。 (a button label, a heading) is exempt from ``polite-form``.
The limits follow common guidance for public-sector Easy Japanese (出入国在留管理庁・文化庁
「在留支援のためのやさしい日本語ガイドライン」: short sentences, avoid double negatives, western
calendar, 12-hour times); the exact numbers are ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_SENTENCE_CHARS: Final = 50
MAX_KANJI: Final = 15

HARD_LOANWORDS: Final = (
    "アクセシビリティ",
    "コンプライアンス",
    "エビデンス",
    "ソリューション",
    "スキーム",
    "ガバナンス",
    "リテラシー",
    "ペンディング",
    "フィードバック",
    "インシデント",
    "ステータス",
    "スキーム",
    "コンセンサス",
    "プライオリティ",
    "イニシアチブ",
    "アジェンダ",
    "タスクフォース",
    "オーソライズ",
)
DOUBLE_NEGATIVES: Final = re.compile(
    r"ないわけではない|ないわけではありません|ないことはない|ないことはありません|なくはない|なくもない"
    r"|ざるを得|なければなりません|なければならない|なければいけません|なければいけない|ないといけません"
    r"|ないといけない|なくてはなりません|なくてはいけません"
)
POLITE_ENDING: Final = re.compile(
    r"(です|ます|ません|ください|ました|でした|ましょう|ですか|ますか|でしょう|ませんか|ましたか)"
    r"[」』）)]*$"
)
TWENTY_FOUR_HOUR: Final = re.compile(r"(?<![0-9０-９])(1[3-9]|2[0-4])\s*(?:[:：][0-5][0-9]|時(?!間))")
ERA_YEAR: Final = re.compile(r"(令和|平成|昭和|大正|明治)\s*([0-9０-９]+|元)\s*年")
WESTERN_YEAR: Final = re.compile(r"(1[89]|20)[0-9]{2}\s*年")
PLACEHOLDER: Final = re.compile(r"%\(\w+\)[sdif]|\{[^{}]*\}|%[sd]")
SENTENCE: Final = re.compile(r"[^。！？!?\n]+[。！？!?]?")
KANJI: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")


@dataclass(frozen=True)
class Breach:
    rule: str
    sentence: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.sentence}" + (f" ({self.detail})" if self.detail else "")


def sentences(text: str) -> list[str]:
    return [match.group(0).strip() for match in SENTENCE.finditer(text) if match.group(0).strip()]


def check(text: str) -> list[Breach]:
    """Every rule a program can check that ``text`` breaks (empty: it passes)."""
    breaches: list[Breach] = []
    for sentence in sentences(text):
        plain = PLACEHOLDER.sub("X", sentence)
        if len(plain) > MAX_SENTENCE_CHARS:
            breaches.append(Breach("sentence-length", sentence, f"{len(plain)} > {MAX_SENTENCE_CHARS}"))
        kanji = len(KANJI.findall(plain))
        if kanji > MAX_KANJI:
            breaches.append(Breach("kanji", sentence, f"{kanji} > {MAX_KANJI}"))
        if plain.endswith("。") and not POLITE_ENDING.search(plain[:-1]):
            breaches.append(Breach("polite-form", sentence))
        found = DOUBLE_NEGATIVES.search(plain)
        if found:
            breaches.append(Breach("double-negative", sentence, found.group(0)))
        found = TWENTY_FOUR_HOUR.search(plain)
        if found:
            breaches.append(Breach("24-hour-time", sentence, found.group(0)))
        for era in ERA_YEAR.finditer(plain):
            if not WESTERN_YEAR.search(plain):
                breaches.append(Breach("era-without-western-year", sentence, era.group(0)))
                break
        for word in HARD_LOANWORDS:
            if word in plain:
                breaches.append(Breach("hard-loanword", sentence, word))
    return breaches

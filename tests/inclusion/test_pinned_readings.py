"""Readings of the city's vocabulary: a regression list of words and phrases residents meet.

Each entry is a text from the procedures, pages or notices and its whole reading in hiragana.
When a resident or a test finds a wrong reading, pin it in ``idx.common.furigana`` (a local
name, a city word, or a reading in context) and add the text here.
"""

from __future__ import annotations

import pytest

from idx.common.furigana import annotate, reading

READINGS = [
    # 方 is かた after a word for people, ほう after an adjective.
    ("同一世帯の方", "どういつせたいのかた"),
    ("申請者の方", "しんせいしゃのかた"),
    ("65歳以上の方", "65さいいじょうのかた"),
    ("本人以外の方が代わりに申請できます", "ほんにんいがいのかたがかわりにしんせいできます"),
    ("第2号被保険者の方は", "だい2ごうひほけんしゃのかたは"),
    ("預貯金等が一定以下の方の負担", "よちょきんとうがいっていいかのかたのふたん"),
    ("生計を維持する程度の高い方", "せいけいをいじするていどのたかいほう"),
    ("原則として所得の高い方", "げんそくとしてしょとくのたかいほう"),
    ("窓口の方へお越しください", "まどぐちのほうへおこしください"),
    ("この方法で", "このほうほうで"),
    # The city's words.
    ("受付票", "うけつけひょう"),
    ("受付票を印刷してください", "うけつけひょうをいんさつしてください"),
    ("受付番号", "うけつけばんごう"),
    ("領収番号", "りょうしゅうばんごう"),
    ("別居監護申立書", "べっきょかんごもうしたてしょ"),
    ("住民票の写し", "じゅうみんひょうのうつし"),
    ("現況届", "げんきょうとどけ"),
    ("認定請求", "にんていせいきゅう"),
    ("罹災証明書", "りさいしょうめいしょ"),
    ("公金受取口座", "こうきんうけとりこうざ"),
    ("整理券", "せいりけん"),
    ("続柄", "ぞくがら"),
    ("申込", "もうしこみ"),
    # Place names of 伊賀市 and 度会町.
    ("伊賀市四十九町", "いがししじゅうくちょう"),
    ("阿保", "あお"),
    ("柘植町", "つげちょう"),
    ("島ヶ原", "しまがはら"),
    ("度会町棚橋", "わたらいちょうたなはし"),
]


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_reading(text: str, expected: str) -> None:
    assert reading(text) == expected


def test_a_pinned_reading_sits_over_its_own_kanji_only() -> None:
    html = str(annotate("同一世帯の方"))
    assert "<ruby>方<rp>(</rp><rt>かた</rt><rp>)</rp></ruby>" in html
    assert "の<ruby>" in html  # の stays outside the ruby

"""Japanese data on a page in another language carries lang="ja" (names, procedure titles, values read)."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

TEMPLATE = Template("{% load idx_lang %}<td{{ value|lang_attr }}>{{ value }}</td>")


def cell(value: str, language: str) -> str:
    with translation.override(language):
        return TEMPLATE.render(Context({"value": value}))


def test_japanese_text_is_marked_on_pages_in_other_languages():
    assert cell("伊賀太郎", "en") == '<td lang="ja">伊賀太郎</td>'
    assert cell("イガ タロウ", "vi") == '<td lang="ja">イガ タロウ</td>'
    assert cell("Iga Taro", "en") == "<td>Iga Taro</td>"
    assert cell("伊賀太郎", "ja") == "<td>伊賀太郎</td>"  # the page's own language needs no mark
    assert cell("伊贺市", "zh-hans") == "<td>伊贺市</td>"  # kanji alone are Chinese on a Chinese page
    assert cell('<b>"x"</b>', "en") == "<td>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</td>"

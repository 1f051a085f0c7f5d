"""Furigana: pinned readings of every procedure name and of the local names, the page switch,
and Japanese shown for want of a translation (with readings and a note)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from idx.common.furigana import annotate, annotate_html, reading
from idx.procedures.services import shipped_definitions
from tests.conftest import IGA_HOST

# Read by a person against the names; the tests fail if a dictionary update changes one.
PROCEDURE_NAMES = {
    "粗大ごみ収集の申込": "そだいごみしゅうしゅうのもうしこみ",
    "介護保険負担限度額認定申請": "かいごほけんふたんげんどがくにんていしんせい",
    "介護保険負担割合証の再交付申請": "かいごほけんふたんわりあいしょうのさいこうふしんせい",
    "被保険者証の再交付申請": "ひほけんしゃしょうのさいこうふしんせい",
    "住所移転後の要介護・要支援の認定申請": "じゅうしょいてんごのようかいご・ようしえんのにんていしんせい",
    "要介護・要支援認定の申請": "ようかいご・ようしえんにんていのしんせい",
    "要介護・要支援状態区分変更認定の申請": "ようかいご・ようしえんじょうたいくぶんへんこうにんていのしんせい",
    "要介護・要支援更新認定の申請": "ようかいご・ようしえんこうしんにんていのしんせい",
    "居住（介護予防）サービス計画作成（変更）依頼の届出": "きょじゅう（かいごよぼう）さーびすけいかくさくせい（へんこう）いらいのとどけで",
    "児童手当等の額の改定の請求及び届出": "じどうてあてとうのがくのかいていのせいきゅうおよびとどけで",
    "児童手当等の受給資格及び児童手当の額についての認定請求": "じどうてあてとうのじゅきゅうしかくおよびじどうてあてのがくについてのにんていせいきゅう",
    "氏名変更／住所変更等の届出": "しめいへんこう／じゅうしょへんこうとうのとどけで",
    "児童手当に係る寄付変更等の申出": "じどうてあてにかかるきふへんこうとうのもうしで",
    "児童手当に係る寄付の申出": "じどうてあてにかかるきふのもうしで",
    "受給事由消滅の届出": "じゅきゅうじゆうしょうめつのとどけで",
    "受給資格者の申出による学校給食費等の徴収等の変更等の申出": "じゅきゅうしかくしゃのもうしでによるがっこうきゅうしょくひとうのちょうしゅうとうのへんこうとうのもうしで",
    "受給資格者の申出による学校給食費等の徴収等の申出": "じゅきゅうしかくしゃのもうしでによるがっこうきゅうしょくひとうのちょうしゅうとうのもうしで",
    "児童手当等の現況届": "じどうてあてとうのげんきょうとどけ",
    "未支払の児童手当等の請求": "みしはらいのじどうてあてとうのせいきゅう",
    "児童扶養手当の現況届の事前送信": "じどうふようてあてのげんきょうとどけのじぜんそうしん",
    "支給認定の申請": "しきゅうにんていのしんせい",
    "保育施設等の利用申込": "ほいくしせつとうのりようもうしこみ",
    "保育施設等の現況届": "ほいくしせつとうのげんきょうとどけ",
    "罹災証明書の発行申請": "りさいしょうめいしょのはっこうしんせい",
    "イベント・講座の申込": "いべんと・こうざのもうしこみ",
    "高額介護（予防）サービス費の支給申請": "こうがくかいご（よぼう）さーびすひのしきゅうしんせい",
    "居宅介護（介護予防）住宅改修費の支給申請": "きょたくかいご（かいごよぼう）じゅうたくかいしゅうひのしきゅうしんせい",
    "妊娠の届出": "にんしんのとどけで",
    "住民票の写し等の交付請求": "じゅうみんひょうのうつしとうのこうふせいきゅう",
    "居宅介護（介護予防）福祉用具購入費の支給申請": "きょたくかいご（かいごよぼう）ふくしようぐこうにゅうひのしきゅうしんせい",
}
LOCAL_NAMES = {
    "伊賀市": "いがし",
    "上野": "うえの",
    "阿山": "あやま",
    "大山田": "おおやまだ",
    "青山": "あおやま",
    "島ヶ原": "しまがはら",
    "柘植": "つげ",
    "柘植町": "つげちょう",
    "阿保": "あお",
    "比自岐": "ひじき",
    "四十九町": "しじゅうくちょう",
    "度会町": "わたらいちょう",
    "名張市": "なばりし",
    "三重県伊賀市上野丸之内116番地": "みえけんいがしうえのまるのうち116ばんち",
}


def test_every_shipped_procedure_name_is_pinned():
    names = {definition["name"]["ja"] for definition in shipped_definitions()}
    assert names == set(PROCEDURE_NAMES)


@pytest.mark.parametrize(("name", "expected"), sorted(PROCEDURE_NAMES.items()))
def test_procedure_name_readings(name, expected):
    assert reading(name) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(LOCAL_NAMES.items()))
def test_local_name_readings(name, expected):
    assert reading(name) == expected


def test_okurigana_stays_outside_the_ruby():
    assert str(annotate("申し込み")) == (
        "<ruby>申<rp>(</rp><rt>もう</rt><rp>)</rp></ruby>し<ruby>込<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>み"
    )


def test_text_is_escaped():
    assert str(annotate("<b>市</b>")) == "&lt;b&gt;<ruby>市<rp>(</rp><rt>し</rt><rp>)</rp></ruby>&lt;/b&gt;"


def test_html_keeps_tags_and_form_controls():
    page = (
        '<html><head><title>申請</title></head><body><p class="x">申請 &amp; 受付</p>'
        "<select><option>日本語</option></select><textarea>住所</textarea>"
        "<script>var a = '市';</script></body></html>"
    )
    out = annotate_html(page)
    assert "<title>申請</title>" in out
    assert "<option>日本語</option>" in out and "<textarea>住所</textarea>" in out
    assert "<script>var a = '市';</script>" in out
    assert '<p class="x"><ruby>申請' in out and "&amp;" in out


def test_kana_only_leaves_chinese_alone():
    out = annotate_html("<body><p>手续列表</p><p>児童手当の申請</p></body>", kana_only=True)
    assert "<p>手续列表</p>" in out
    assert "<ruby>児童手当" in out


@pytest.mark.django_db
def test_furigana_switch(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    assert "<ruby>" not in client.get("/").content.decode()
    switched = client.post("/i18n/furigana/", {"furigana": "on", "next": "/"})
    assert switched.status_code == 302 and switched.cookies["idx_furigana"].value == "on"
    page = client.get("/").content.decode()
    assert "<ruby>児童手当<rp>(</rp><rt>じどうてあて</rt>" in page
    # The switch says what it does, not what it is: with readings shown it offers to hide them.
    assert "ふりがなを消す" in switch_text(page) and "aria-pressed" not in page
    client.post("/i18n/furigana/", {"furigana": "off", "next": "/"})
    page = client.get("/").content.decode()
    assert "<ruby>" not in page
    assert "ふりがなを表示" in switch_text(page)


def switch_text(page: str) -> str:
    """The text of the ふりがな switch as read (readings and tags removed)."""
    form = re.search(r'<form[^>]*class="furigana-form".*?</form>', page, re.S)
    assert form is not None
    return re.sub(r"<[^>]+>", "", re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>", "", form.group(0)))


@pytest.mark.django_db
def test_easy_japanese_has_readings_by_default(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja-easy"
    assert "<ruby>" in client.get("/").content.decode()
    client.cookies["idx_furigana"] = "off"
    assert "<ruby>" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_japanese_shown_for_a_missing_translation_gets_readings_and_a_note(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    page = client.get("/procedures/child-allowance-certification/").content.decode()
    assert 'class="fallback-note"' in page
    assert re.search(r"<ruby>[^<]+<rp>\(</rp><rt>", page)
    # In English every text exists: no note, no readings.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/procedures/child-allowance-certification/").content.decode()
    assert 'class="fallback-note"' not in page and "<ruby>" not in page

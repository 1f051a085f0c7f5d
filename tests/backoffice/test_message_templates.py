"""The message templates screen: purposes by name, the standard wording, placeholder help, a
preview per channel, errors that name the field and keep the text, and reset with confirmation."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from idx.backoffice.message_templates import SMS_LIMIT, sms_segments
from idx.notifications.models import MessageTemplate
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

EDIT = "/staff/templates/booking_confirmation/ja/"
RESET = EDIT + "reset/"


def _ja(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    return client


@pytest.fixture
def admin(city_admin):
    return _ja(signed_in(city_admin))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_names_each_purpose_and_says_when_it_is_sent(admin):
    page = _text(admin.get("/staff/templates/"))
    assert "予約の確認" in page
    assert "予約の前日に送ります。" in page
    assert "申請の受付・修正のお願い・結果のお知らせ" in page
    assert "災害・緊急のお知らせ" in page
    assert ">application_status<" not in page
    assert "標準の文面" in page
    assert page.index("申請の受付・修正のお願い・結果のお知らせ") < page.index("災害・緊急のお知らせ")


def test_the_edit_page_shows_the_standard_wording_and_the_placeholders(admin):
    page = _text(admin.get(EDIT))
    assert '<a href="/staff/templates/">通知の文面</a> › 予約の確認（日本語）' in page
    assert "<h1>予約の確認（日本語）</h1>" in page
    # the standard wording is prefilled for the city to start from
    assert "【{municipality}】予約を受け付けました：{service} {date} {time}" in page
    assert "<code>{code}</code></th><td>窓口で示す予約番号</td><td>B-4821</td>" in page
    assert "<code>{date}</code></th><td>予約の日</td><td>2026年6月10日（水）</td>" in page


def test_preview_fills_sample_values_for_every_channel(admin):
    body = "{name} 様\n{service}の予約を受け付けました。\n予約番号：{code}"
    response = admin.post(
        EDIT, {"action": "preview", "subject": "【{municipality}】予約の確認", "body": body}
    )
    assert response.status_code == 200
    page = _text(response)
    assert "【伊賀市】予約の確認" in page
    assert "伊賀 太郎 様 マイナンバーカードの受け取りの予約を受け付けました。 予約番号：B-4821" in page
    length, parts, _ucs2 = sms_segments(
        "伊賀 太郎 様\nマイナンバーカードの受け取りの予約を受け付けました。\n予約番号：B-4821"
    )
    assert parts == 1
    assert f"{length}文字、1通で送ります。" in page
    assert "<h3>LINE</h3>" in page and "プッシュ通知" in page
    assert not MessageTemplate.objects.exists()  # a preview saves nothing


def test_sms_segments():
    assert sms_segments("a" * 160) == (160, 1, False)
    assert sms_segments("a" * 161) == (161, 2, False)
    assert sms_segments("あ" * 70) == (70, 1, True)
    assert sms_segments("あ" * 71) == (71, 2, True)
    assert sms_segments("あ" * 670) == (670, 10, True)


def test_a_text_too_long_for_sms_is_named(admin):
    body = "{name} 様\n" + "あ" * SMS_LIMIT
    page = _text(admin.post(EDIT, {"action": "preview", "subject": "予約の確認", "body": body}))
    assert "本文：SMSには長すぎます" in page


def test_an_unknown_placeholder_names_the_field_and_keeps_the_text(admin):
    typed = "{name} 様\n{secret_code} をお持ちください。"
    response = admin.post(EDIT, {"action": "save", "subject": "予約の確認 {nope}", "body": typed})
    assert response.status_code == 422
    page = response.content.decode()
    assert "<title>エラー：予約の確認（日本語）" in page
    assert '<a href="#template-subject">件名：差し込み項目 {nope} はありません。' in page
    assert "使えるもの：{code}、{date}、{department}" in page
    assert '<a href="#template-body">本文：差し込み項目 {secret_code} はありません。' in page
    assert f">{typed}</textarea>" in page
    assert 'value="予約の確認 {nope}"' in page
    assert not MessageTemplate.objects.exists()
    empty = admin.post(EDIT, {"action": "save", "subject": "", "body": typed})
    assert '<a href="#template-subject">件名：件名を入力してください。</a>' in empty.content.decode()


def test_save_then_reset_after_confirmation(admin, iga):
    response = admin.post(
        EDIT, {"action": "save", "subject": "【{municipality}】ご予約", "body": "{name} 様\n{date} {time}"}
    )
    assert response.status_code == 302
    saved = MessageTemplate.objects.get(municipality=iga, purpose="booking_confirmation", language="ja")
    assert saved.body == "{name} 様\n{date} {time}"
    listing = _text(admin.get("/staff/templates/"))
    assert "市独自の文面" in listing and "【{municipality}】ご予約" in listing
    confirm = admin.get(RESET)
    assert confirm.status_code == 200
    page = _text(confirm)
    assert "標準の文面に戻しますか" in page
    assert MessageTemplate.objects.filter(pk=saved.pk).exists()  # asking deletes nothing
    done = admin.post(RESET)
    assert done.status_code == 302 and done["Location"] == "/staff/templates/"
    assert not MessageTemplate.objects.filter(pk=saved.pk).exists()
    assert admin.get(RESET).status_code == 404  # nothing left to reset


def test_only_city_administrators_and_only_their_city(clerk, supervisor, iga, watarai, municipalities):
    from idx.notifications.services import template_save

    template_save(
        municipality=iga, purpose="booking_confirmation", language="ja", subject="件名", body="{name} 様"
    )
    for user in (clerk, supervisor):
        client = signed_in(user)
        assert client.get(EDIT).status_code == 404
        assert client.get(RESET).status_code == 404
        assert client.post(RESET).status_code == 404
    assert MessageTemplate.objects.filter(municipality=iga).count() == 1
    assert not MessageTemplate.objects.filter(municipality=watarai).exists()


def test_unknown_purpose_or_language(admin):
    assert admin.get("/staff/templates/no_such_purpose/ja/").status_code == 404
    assert admin.get("/staff/templates/booking_confirmation/xx/").status_code == 404

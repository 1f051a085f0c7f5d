"""A city administrator at a 1280×800 desk downloads decided cases in the layout for people
(form labels, labels) as a ZIP with the code list and README, then words the booking
confirmation: an unknown placeholder is named, the preview fills sample values for each channel,
and going back to the standard wording asks first. Every page is checked with axe-core."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_reauthenticate, staff_sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@staff.iga.example.jp"


def test_export_in_the_layout_for_people(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, ADMIN)
    page.goto("/staff/exports/")
    if "/staff/reauth/" in page.url:
        staff_reauthenticate(page, ADMIN)
    assert page.locator("h1").inner_text() == "処理済み案件の出力"
    assert_accessible(page, "staff-export-layouts")
    page.select_option("#procedure", "child-allowance-certification")
    page.check("#headers-label")
    page.check("#values-labels")
    page.check("#format-zip")
    with page.expect_download() as download_info:
        page.locator("main form button[type=submit]").click()
    download = download_info.value
    assert download.suggested_filename == "child-allowance-certification-decided.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert archive.namelist() == ["data.csv", "codes.csv", "README.txt"]
    header = next(csv.reader(io.StringIO(archive.read("data.csv").decode("utf-8-sig"))))
    assert header[:4] == ["受付番号", "手続コード", "様式版", "状態"]
    assert "請求者_氏名" in header
    assert "列名：申請画面の項目名" in archive.read("README.txt").decode("utf-8-sig")


def test_word_preview_and_reset_a_message(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, ADMIN)
    page.goto("/staff/templates/")
    assert "予約の確認" in page.locator("main").inner_text()
    assert_accessible(page, "staff-message-templates")
    click_and_wait(page, page.locator("a[href='/staff/templates/booking_confirmation/ja/']"))
    assert page.locator("h1").inner_text() == "予約の確認（日本語）"
    assert "{service}" in page.input_value("#template-subject")  # the standard wording to start from
    assert_accessible(page, "staff-message-template-edit")

    page.fill(
        "#template-body", "{name} 様\n{service}のご予約を承りました。\n{ticket_number} をお持ちください。"
    )
    click_and_wait(page, page.locator("button[value=save]"))
    summary = page.locator("#error-summary").inner_text()
    assert "本文：差し込み項目 {ticket_number} はありません。" in summary
    assert "{ticket_number} をお持ちください。" in page.input_value("#template-body")
    assert_accessible(page, "staff-message-template-error")
    screenshot(page, "staff-message-template-error")

    page.fill(
        "#template-body", "{name} 様\n{service}のご予約を承りました。\n予約番号 {code} をお持ちください。"
    )
    click_and_wait(page, page.locator("button[value=preview]"))
    preview = page.locator("section.template-preview").inner_text()
    assert "伊賀 太郎 様" in preview and "B-4821" in preview
    assert "1通で送ります" in preview
    assert_accessible(page, "staff-message-template-preview")
    screenshot(page, "staff-message-template-preview")

    click_and_wait(page, page.locator("button[value=save]"))
    assert "文面を保存しました。" in page.locator("main").inner_text()
    click_and_wait(page, page.locator("a[href='/staff/templates/booking_confirmation/ja/']"))
    click_and_wait(page, page.locator("a[href='/staff/templates/booking_confirmation/ja/reset/']"))
    assert page.locator("h1").inner_text() == "標準の文面に戻しますか"
    assert_accessible(page, "staff-message-template-reset")
    screenshot(page, "staff-message-template-reset")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "標準の文面に戻しました。" in page.locator("main").inner_text()

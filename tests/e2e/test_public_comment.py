"""パブリックコメント on a phone and at the staff desk.

A resident reads the open draft (伊賀市地域公共交通計画（案）) section by section, writes on one
section, checks it and sends it, and sees the receipt number (390×844, in ja, ja-easy and en);
a resident reads the published 「意見の概要と市の考え方」 of the closed DX plan; 交通政策課's head
writes the result of the cycling plan per section and publishes it after the second look
(1280×800). axe on every page on the way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

OPEN = "伊賀市地域公共交通計画（案）"
CLOSED = "伊賀市DX推進計画（案）"
PENDING = "伊賀市自転車活用推進計画（案）"


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_a_resident_comments_on_a_section_and_gets_a_receipt(
    new_context: Any, server: Any, language: str
) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/public-comment/")
    assert_accessible(page, f"public-comment-list-{language}")
    click_and_wait(page, page.locator("main .card-list").first.locator("h3 a").first)
    assert "/public-comment/" in page.url
    assert page.locator(".pc-section").count() == 6
    assert_accessible(page, f"public-comment-case-{language}")
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    click_and_wait(page, page.locator("#section-4 a.button"))
    assert page.url.endswith("#id_opinion_4")
    assert_accessible(page, f"public-comment-form-{language}")
    # Sending nothing names the field.
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#error-summary a[href='#id_opinion_1']").count() == 1
    assert_accessible(page, f"public-comment-form-error-{language}")
    page.fill("#id_opinion_4", "島ヶ原から病院へ行くバスを残してください。<script>alert(1)</script>")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/opinion/confirm/" in page.url
    assert "<script>alert(1)</script>" in page.locator(".pc-written").inner_text()
    assert_accessible(page, f"public-comment-confirm-{language}")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/opinion/done/" in page.url
    receipt = page.locator("#receipt-number").inner_text()
    assert re.fullmatch(r"PC-\d{4}-\d{6}", receipt.strip()), receipt
    assert_accessible(page, f"public-comment-receipt-{language}")


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_a_resident_reads_the_citys_view(new_context: Any, server: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/public-comment/")
    closed = page.locator("main .card-list").nth(1).locator("h3 a[href$='/result/']")
    assert closed.count() >= 1
    click_and_wait(page, closed.first)
    text = page.locator("main").inner_text()
    assert page.locator(".pc-section").count() == 4
    if language == "ja":
        assert "市の考え方" in text and "修正あり" in text and "土日の開催を計画に追加しました" in text
        assert "母は80歳でスマホを持っていません" not in text  # opinions are never shown as written
    if language == "en":
        assert "The city's view" in text and "Draft changed" in text
        assert "Weekend classes are now in the plan." in text
        assert "土日の開催を計画に追加しました" not in text
    if language == "ja-easy":
        assert "土曜日と 日曜日の 教室を 計画に 入れました。" in page.locator("main").evaluate(
            "e => { const c = e.cloneNode(true); c.querySelectorAll('rt, rp').forEach(x => x.remove());"
            " return c.textContent; }"
        )
    # Japanese shown for want of the reader's language is marked as such.
    for paragraph in page.locator(".pc-section p").all():
        words = paragraph.inner_text()
        if language == "en" and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]{4}", words):
            assert paragraph.get_attribute("lang") == "ja", words
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, f"public-comment-result-{language}")


def test_staff_write_and_publish_a_result_after_a_second_look(new_context: Any, server: Any) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "kotsu-seisaku-admin@staff.iga.example.jp")
    staff.goto("/staff/public-comment/")
    assert_accessible(staff, "public-comment-staff-list")
    click_and_wait(staff, staff.get_by_role("link", name=PENDING))
    assert_accessible(staff, "public-comment-staff-case")
    click_and_wait(staff, staff.get_by_role("link", name="意見を読む"))
    assert "道幅の確保" in staff.locator("main").inner_text()
    assert_accessible(staff, "public-comment-staff-opinions")
    staff.go_back()
    click_and_wait(staff, staff.get_by_role("link", name="結果を作成する"))
    assert_accessible(staff, "public-comment-staff-result")
    # Publishing with a section unanswered is refused, naming the section.
    click_and_wait(staff, staff.locator("#review-result"))
    assert staff.locator("#error-summary").count() == 1
    for number, summary, view, changed in (
        (
            1,
            "路面表示だけでなく道幅の確保を求める意見がありました。",
            "歩道と車道の再配分を検討し、計画に追記しました。",
            "yes",
        ),
        (
            2,
            "電動アシスト付きの貸し出しを求める意見がありました。",
            "電動アシスト付き自転車を導入します。",
            "yes",
        ),
        (
            3,
            "ヘルメット購入への補助を求める意見がありました。",
            "補助は別途検討します。計画の修正は行いません。",
            "no",
        ),
    ):
        staff.fill(f"#id_summary_{number}", summary)
        staff.fill(f"#id_view_{number}", view)
        staff.check(f"#id_changed_{number}_{0 if changed == 'yes' else 1}")
    staff.fill("#id_notes_ja", "3人の方から4件の意見をいただき、第1章と第2章を修正しました。")
    click_and_wait(staff, staff.locator("#review-result"))
    assert "/result/publish/" in staff.url
    assert "電動アシスト付き自転車を導入します。" in staff.locator("main").inner_text()
    assert_accessible(staff, "public-comment-staff-result-review")
    click_and_wait(staff, staff.locator("#publish-result"))
    assert "結果公表済み" in staff.locator("main").inner_text()

    resident = new_context(width=390, height=844, language="ja").new_page()
    resident.goto(staff.url.replace("/staff/public-comment/", "/public-comment/") + "result/")
    assert "電動アシスト付き自転車を導入します。" in resident.locator("main").inner_text()
    assert_accessible(resident, "public-comment-result-published-now")

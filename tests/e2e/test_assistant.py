"""Ask without visiting: a question in one's own words → the answer → the procedure to apply for;
the same through the chat panel; and an inquiry when the assistant is unsure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e


def test_ask_open_answer_follow_to_procedure(new_context: Any) -> None:
    page = new_context(width=390, language="ja").new_page()
    page.goto("/ask/")
    assert_accessible(page, "assistant-start")
    page.fill("#assist-q", "いらなくなったソファを捨てたいです")
    with page.expect_navigation():
        page.click("#assist-form button[type=submit]")
    assert_accessible(page, "assistant-answers")
    first = page.locator(".assist-answers > li").first
    assert first.locator(".confidence").count() == 1
    with page.expect_navigation():
        first.locator("h3 a").click()
    assert re.search(r"/faq/garbage-[a-z0-9-]+/", page.url), page.url
    assert_accessible(page, "assistant-faq")
    apply = page.locator("a[href='/procedures/bulky-waste-collection/']").first
    with page.expect_navigation():
        apply.click()
    assert page.url.endswith("/procedures/bulky-waste-collection/")
    assert page.locator("h1").inner_text().strip() == "粗大ごみ収集の申込"


def test_chat_panel_and_unsure_question_to_inquiry(new_context: Any) -> None:
    page = new_context(width=1280, language="en").new_page()
    page.goto("/")
    page.click("#assist-toggle")
    assert page.get_attribute("#assist-toggle", "aria-expanded") == "true"
    page.fill("#assist-panel-q", "How do I get my My Number Card after applying?")
    page.press("#assist-panel-q", "Enter")
    page.wait_for_selector("#assist-panel-log li.chat-bot a")
    links = page.locator("#assist-panel-log li.chat-bot ul a").all_inner_texts()
    assert links, "the panel shows answers"
    assert_accessible(page, "assistant-panel-open")

    page.goto("/ask/?q=" + "What time does the ramen shop near the station open")
    assert page.locator(".panel-warning").count() == 1
    with page.expect_navigation():
        page.locator(".panel-warning a").click()
    assert "/inquiries/new/" in page.url
    page.select_option("#inquiry-department", "jumin")
    page.fill("#inquiry-name", "Ana Silva")
    page.fill("#inquiry-email", "ana@example.jp")
    page.fill("#inquiry-subject", "Question")
    with page.expect_navigation():
        page.click("form button[type=submit].button-large")
    assert re.search(r"/inquiries/Q[0-9A-Z]{9}/\?t=", page.url), page.url
    assert page.locator(".receipt-number").inner_text().startswith("Q")
    assert_accessible(page, "inquiry-sent")
    number = page.locator(".receipt-number").inner_text().strip()

    # The department answers it in the back office, with FAQ suggestions on the page.
    staff = new_context(width=1280, language="ja").new_page()
    staff_sign_in(staff, "jumin@staff.iga.example.jp")
    staff.goto("/staff/inquiries/")
    assert number in staff.locator("main table").inner_text()
    assert_accessible(staff, "inquiry-staff-queue")
    staff.goto(f"/staff/inquiries/{number}/")
    assert_accessible(staff, "inquiry-staff-detail")
    staff.fill("#answer-body", "駅前のお店については市ではお答えできません。")
    click_and_wait(staff, staff.locator("form[action$='/answer/'] button[type=submit]"))
    assert "駅前のお店" in staff.locator(".thread").inner_text()
    # The resident's page shows the answer.
    page.reload()
    assert "駅前のお店" in page.locator(".thread").inner_text()

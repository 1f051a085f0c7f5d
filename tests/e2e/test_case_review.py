"""A こども家庭課 clerk at a 1280×800 desk opens a case, starts the review and approves it through
the confirmation page; every page is checked with axe-core and photographed."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "kodomo-katei@staff.iga.example.jp"


def test_clerk_approves_a_case_after_the_confirmation(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, CLERK)
    page.goto("/staff/?status=submitted")
    assert_accessible(page, "staff-case-queue")
    click_and_wait(page, page.locator("table.cases tbody a[href^='/staff/cases/']").first)
    assert page.locator("section.answer-step h3").count() > 1
    assert_accessible(page, "staff-case-submitted")
    click_and_wait(page, page.locator("form[action$='/start-review/'] button"))
    assert "審査を始めました。" in page.locator("main").inner_text()
    assert page.locator("ol.history").inner_text().count("審査開始") == 1
    screenshot(page, "staff-case-in-review")

    click_and_wait(page, page.locator("a[href*='decision=approve']"))
    assert page.locator("h1").inner_text().startswith("この申請を承認しますか")
    assert page.locator("#decision-summary").is_visible()
    assert_accessible(page, "staff-case-approve-confirmation")
    screenshot(page, "staff-case-approve-confirmation")
    page.fill("#decision-reason", "審査の結果、認定しました。")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    main = page.locator("main").inner_text()
    assert "承認しました" in main
    assert "保存しました" not in main
    assert page.locator("a[href*='decision=approve']").count() == 0
    assert_accessible(page, "staff-case-approved")
    screenshot(page, "staff-case-approved")

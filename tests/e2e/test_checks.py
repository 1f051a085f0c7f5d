"""A こども家庭課 supervisor at a 1280×800 desk reads the automated checks of a failing and a passing
claim, then approves the claims that passed every check in bulk after the second look; every page
is checked with axe-core and photographed."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor@staff.iga.example.jp"


def test_supervisor_reads_the_checks_and_approves_the_passed_claims_in_bulk(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, SUPERVISOR)

    # A claim naming a child past the age limit (the demo's 青山 健一).
    page.goto("/staff/?status=open&q=" + "青山")
    click_and_wait(page, page.locator("table.cases tbody a[href^='/staff/cases/']").first)
    checks = page.locator("#checks")
    assert "自動チェック" in checks.inner_text()
    assert "不適合" in checks.inner_text()
    assert "1人の年齢が要件の範囲外です。" in checks.inner_text()
    checks.scroll_into_view_if_needed()
    assert_accessible(page, "staff-case-checks-failed")
    screenshot(page, "staff-case-checks-failed")

    # The claims that passed every check, from the menu.
    click_and_wait(page, page.locator("nav a[href='/staff/checks/passed/']").first)
    assert page.locator("h1").inner_text() == "全チェック適合の案件"
    chosen = page.locator("table.cases tbody tr").count()
    assert chosen >= 3
    assert_accessible(page, "staff-checks-passed")
    screenshot(page, "staff-checks-passed")

    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("h1").inner_text().startswith("これらの案件を決裁（承認）しますか")
    assert page.locator("section.bulk-case").count() == chosen
    assert_accessible(page, "staff-checks-approve")
    screenshot(page, "staff-checks-approve")

    # Without the tick nothing is approved, and the page says why.
    click_and_wait(page, page.locator("button[name=approve]"))
    assert "案件と確認結果を見たことを確認してください。" in page.locator("main").inner_text()
    page.check("#bulk-confirm")
    click_and_wait(page, page.locator("button[name=approve]"))
    assert "件を承認しました。" in page.locator("main").inner_text()
    assert page.locator("table.cases").count() == 0
    assert_accessible(page, "staff-checks-approved")

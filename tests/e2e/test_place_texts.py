"""A city administrator types a department's texts in another language at 1280×800: a text too
long is refused with the field named and kept, then saved; the resident-facing fallback is shown
per language. Every page visited is checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

CITY_ADMIN = "admin@staff.iga.example.jp"


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_city_admin_edits_department_texts_in_every_language(new_context: Any, language: str) -> None:
    page = new_context(width=1280, height=800, language=language).new_page()
    staff_sign_in(page, CITY_ADMIN)
    page.goto("/staff/place-texts/")
    assert_accessible(page, f"staff-place-texts-{language}")
    click_and_wait(page, page.locator("main a[href$='/place-texts/departments/kodomo-katei/']"))
    assert page.locator("#t-name-ja").input_value() == "こども家庭課"
    assert_accessible(page, f"staff-place-text-edit-{language}")

    typed = "Quầy số 12, tầng 1 " * 12
    page.fill("#t-counter-vi", typed)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#error-summary a[href='#t-counter-vi']").count() == 1
    assert "Tiếng Việt" in page.locator("#error-summary").inner_text()
    assert page.locator("#t-counter-vi").input_value() == typed  # what was typed is kept
    assert_accessible(page, f"staff-place-text-error-{language}")

    page.fill("#t-counter-vi", "Tầng 1 tòa thị chính, quầy số 12")
    page.fill("#t-counter_hours-fil", "")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#error-summary").count() == 0
    assert page.locator("#t-counter-vi").input_value() == "Tầng 1 tòa thị chính, quầy số 12"
    # Filipino hours now empty: residents reading Filipino see the Japanese (its fallback).
    assert "日本語" in page.locator("#t-counter_hours-fil-status").inner_text()
    screenshot(page, f"staff-place-text-edit-{language}")

"""An alert with a second look, at a 1280×800 desk in Japanese: the crisis-management clerk's form
starts with no mode chosen and says so when none is picked (keeping what was typed); the
confirmation page states the mode, the kind, the areas and how many residents it reaches on each
channel; sending issues it once (the browser's back button and a second send add nothing); the
portal lists the exercise marked 【訓練】 and never shows it as the emergency banner. axe on every
page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

ISSUER = "kiki-kanri@staff.iga.example.jp"
HEADLINE = "避難所開設 訓練 二度見 E2E"


def test_exercise_alert_form_confirmation_issued(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, ISSUER)
    page.goto("/staff/alerts/new/")
    assert page.locator("input[name=mode]:checked").count() == 0
    page.select_option("#alert-kind", "shelter_open")
    page.check("#alert-area-ueno-seibu")
    page.check("#alert-area-aoyama")
    page.fill("#alert-ja-headline", HEADLINE)
    page.fill("#alert-ja-description", "上野西部地区と青山地区で避難所開設の訓練を行います。")
    assert_accessible(page, "alert-second-look-01-form")
    screenshot(page, "alert-second-look-01-form")

    # No mode: refused, the field named, nothing typed lost.
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "区分" in page.locator("#error-summary").inner_text()
    assert page.locator("#error-summary a[href='#alert-mode-actual']").count() == 1
    assert page.locator("#alert-mode-error").count() == 1
    assert page.locator("#alert-ja-headline").input_value() == HEADLINE
    assert page.locator("#alert-area-aoyama").is_checked()
    assert_accessible(page, "alert-second-look-02-no-mode")
    screenshot(page, "alert-second-look-02-no-mode")

    page.check("#alert-mode-exercise")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    confirmation = page.locator("#alert-confirmation")
    assert confirmation.count() == 1
    assert "訓練" in page.locator("#alert-confirmation-mode").inner_text()
    areas = page.locator("#alert-confirmation-areas").inner_text()
    assert "上野西部地区" in areas and "青山地区" in areas
    reach = page.locator("#alert-reach tbody tr")
    assert reach.count() == 4
    assert "ポータルのお知らせ" in reach.nth(0).inner_text()
    residents = int(re.search(r"(\d+)人", page.locator("#alert-confirmation-reach").inner_text()).group(1))
    assert residents >= 1  # the demo residents subscribed to these areas
    assert f"{residents}" in reach.nth(0).inner_text()
    assert_accessible(page, "alert-second-look-03-confirmation")
    screenshot(page, "alert-second-look-03-confirmation")

    click_and_wait(page, page.locator("main form button.button-warning"))
    assert page.url.endswith("/staff/alerts/"), page.url
    row = page.locator("tr", has_text=HEADLINE)
    assert row.count() == 1 and "【訓練】" in row.inner_text()
    assert_accessible(page, "alert-second-look-04-issued")
    screenshot(page, "alert-second-look-04-issued")

    # Back to the confirmation and send again: refused, still one alert.
    page.go_back()
    click_and_wait(page, page.locator("main form button.button-warning"))
    assert page.url.endswith("/staff/alerts/"), page.url
    assert "すでに使われた" in page.locator("main").inner_text()
    assert page.locator("tr", has_text=HEADLINE).count() == 1

    resident = new_context(width=1280, height=800, language="ja").new_page()
    resident.goto("/")
    assert resident.locator(".emergency-banner", has_text=HEADLINE).count() == 0
    resident.goto("/alerts/")
    card = resident.locator(".card", has_text=HEADLINE)
    assert "【訓練】" in card.inner_text()
    assert_accessible(resident, "alert-second-look-05-portal")

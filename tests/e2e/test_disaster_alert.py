"""A disaster alert end to end: a crisis-management clerk issues a レベル4 evacuation order, a
second authorized person confirms it, the emergency banner appears on the portal; after 取消 it
is gone; a 訓練 alert never shows as real."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

ISSUER = "kiki-kanri@staff.iga.example.jp"
CONFIRMER = "kiki-kanri-supervisor@staff.iga.example.jp"
HEADLINE = "避難指示 上野西部地区 E2E"


def _issue(page: Any, *, kind: str, mode: str, headline: str) -> None:
    page.goto("/staff/alerts/new/")
    page.select_option("#alert-kind", kind)
    page.check(f"#alert-mode-{mode}")
    page.check("#alert-area-ueno-seibu")
    page.fill("#alert-ja-headline", headline)
    page.fill("#alert-ja-instruction", "直ちに避難所へ避難してください。")
    page.fill("#alert-ja-easy-headline", "にげてください")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    # The confirmation page: nothing goes out before its button.
    assert page.locator("#alert-confirmation").count() == 1
    click_and_wait(page, page.locator("main form button.button-warning"))
    assert page.url.endswith("/staff/alerts/"), page.url


def test_alert_banner_after_confirmation_and_gone_after_cancel(new_context: Any) -> None:
    resident = new_context(width=390, height=844).new_page()
    resident.goto("/")
    assert resident.locator(".emergency-banner").count() == 0

    issuer = new_context(width=1280, height=900).new_page()
    issuer.goto("/staff/login/")
    staff_sign_in(issuer, ISSUER)
    issuer.goto("/staff/alerts/new/")
    assert_accessible(issuer, "alert-01-form")
    _issue(issuer, kind="level4", mode="actual", headline=HEADLINE)
    assert_accessible(issuer, "alert-02-awaiting")
    resident.reload()
    assert resident.locator(".emergency-banner").count() == 0  # not before the second person

    confirmer = new_context(width=1280, height=900).new_page()
    confirmer.goto("/staff/login/")
    staff_sign_in(confirmer, CONFIRMER)
    confirmer.goto("/staff/alerts/")
    click_and_wait(confirmer, confirmer.locator("main a[href$='/confirm/']").first)
    click_and_wait(confirmer, confirmer.locator("main form button.button-warning"))

    resident.reload()
    banner = resident.locator(".emergency-banner")
    assert banner.count() == 1 and HEADLINE in banner.inner_text()
    assert_accessible(resident, "alert-03-banner")
    click_and_wait(resident, banner.locator("a"))
    assert resident.url.endswith("/alerts/"), resident.url
    assert_accessible(resident, "alert-04-alerts-page")

    issuer.goto("/staff/alerts/")
    row = issuer.locator("tr", has_text=HEADLINE).filter(has=issuer.locator("a[href$='/cancel/']"))
    click_and_wait(issuer, row.locator("a[href$='/cancel/']"))
    click_and_wait(issuer, issuer.locator("main form button.button-warning"))
    resident.goto("/")
    assert resident.locator(".emergency-banner").count() == 0

    # An exercise reaches the list as an exercise, never the banner.
    _issue(issuer, kind="shelter_open", mode="exercise", headline="避難所開設 訓練 E2E")
    resident.goto("/")
    assert resident.locator(".emergency-banner").count() == 0
    resident.goto("/alerts/")
    exercise = resident.locator(".card", has_text="避難所開設 訓練 E2E")
    assert re.search("訓練|Exercise", exercise.inner_text())

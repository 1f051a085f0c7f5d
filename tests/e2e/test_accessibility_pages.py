"""axe-core (WCAG 2.2 AA rules) on the main pages, on a phone and a desktop, in Japanese and English."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, staff_reauthenticate, staff_sign_in

pytestmark = pytest.mark.e2e

PROCEDURE = "child-allowance-certification"
RESIDENT = "resident1@iga.example.jp"
CITY_ADMIN = "admin@staff.iga.example.jp"


def _choose_language(page: Any, language: str, via_form: bool) -> None:
    """Switch language with the header form (as a person would) or trust the cookie set up front."""
    page.goto("/")
    if via_form:
        page.select_option("#language-select", language)
        click_and_wait(page, page.locator("form.language-form button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == language


def _visit(page: Any, path: str, label: str, language: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, label)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_accessibility_pages(new_context: Any, width: int, language: str) -> None:
    prefix = f"a11y-{language}-{width}"
    via_form = width == 1280  # one way on the phone, the other on the desktop
    context = new_context(width=width, height=900, language=None if via_form else language)
    page = context.new_page()
    _choose_language(page, language, via_form)

    # ---- anyone --------------------------------------------------------------------------
    _visit(page, "/", f"{prefix}-catalog", language)
    _visit(
        page,
        "/?q=%E5%85%90%E7%AB%A5%E6%89%8B%E5%BD%93&category=childcare",
        f"{prefix}-catalog-filtered",
        language,
    )
    _visit(page, f"/procedures/{PROCEDURE}/", f"{prefix}-procedure", language)
    _visit(page, "/accounts/login/", f"{prefix}-signin", language)
    _visit(page, "/accounts/signup/", f"{prefix}-signup", language)
    _visit(page, "/staff/login/", f"{prefix}-staff-signin", language)
    _visit(page, "/accessibility/", f"{prefix}-accessibility-policy", language)
    _visit(page, "/counter/", f"{prefix}-counter-tablet", language)
    _visit(page, "/alerts/", f"{prefix}-alerts", language)
    _visit(page, "/ask/", f"{prefix}-ask", language)
    _visit(page, "/ask/?q=%E7%B2%97%E5%A4%A7%E3%81%94%E3%81%BF", f"{prefix}-ask-answers", language)
    _visit(page, "/inquiries/new/", f"{prefix}-inquiry-new", language)
    _visit(page, "/booking/", f"{prefix}-booking-services", language)
    _visit(page, "/demo-line/?user=U" + "0" * 32, f"{prefix}-demo-line", language)

    # A sign-up with mistakes shows the error summary: that page must be accessible too.
    page.goto("/accounts/signup/")
    page.fill("#id_email", "not-an-address")
    page.fill("#id_password", "123")
    # Wait for the answer to the post itself: "load" alone may still be the page before it.
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, f"{prefix}-signup-errors")

    # ---- a resident ------------------------------------------------------------------------
    page.goto("/accounts/login/")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/my/applications/" in page.url
    _visit(page, "/my/applications/", f"{prefix}-my-applications", language)
    _visit(page, "/my/notifications/", f"{prefix}-notifications", language)
    _visit(page, "/my/notifications/settings/", f"{prefix}-notification-settings", language)
    _visit(page, "/my/inquiries/", f"{prefix}-my-inquiries", language)
    _visit(page, "/my/payments/", f"{prefix}-my-payments", language)
    page.goto(f"/procedures/{PROCEDURE}/")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    assert "/steps/" in page.url
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, f"{prefix}-first-step")
    # The same step after "next" with nothing filled in: error summary and inline errors.
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, f"{prefix}-first-step-errors")
    draft_path = page.url.split("/steps/")[0]
    # Leave no half-made drafts behind for the other tests.
    click_and_wait(page, page.locator('button[name="action"][value="save_exit"]'))
    _visit(page, f"{draft_path}/review/", f"{prefix}-review", language)
    _visit(page, f"{draft_path}/", f"{prefix}-application-draft", language)
    # A submitted application of the demo data: its page and its receipt.
    page.goto("/my/applications/")
    submitted = page.locator(".card:has(.status-submitted) a[href*='/my/applications/']").first
    if submitted.count():
        detail = submitted.get_attribute("href")
        _visit(page, detail, f"{prefix}-application-submitted", language)
        _visit(page, f"{detail}receipt/", f"{prefix}-receipt", language)
    click_and_wait(page, page.locator("form.inline-form button[type=submit]"))  # sign out

    # ---- the city administrator ---------------------------------------------------------------
    page.goto("/staff/login/")
    staff_sign_in(page, CITY_ADMIN, lambda p, name: assert_accessible(p, f"{prefix}-{name}"))
    assert page.url.endswith("/staff/"), page.url
    _visit(page, "/staff/?status=", f"{prefix}-queue", language)
    case_link = page.locator("table.cases tbody a").first
    case_path = case_link.get_attribute("href")
    assert case_path and "/staff/cases/" in case_path
    _visit(page, case_path, f"{prefix}-case", language)
    # Exports ask to re-authenticate first (password and a new code), then show the page.
    page.goto("/staff/exports/")
    staff_reauthenticate(page, CITY_ADMIN, lambda p, name: assert_accessible(p, f"{prefix}-{name}"))
    assert page.url.endswith("/staff/exports/"), page.url
    _visit(page, "/staff/exports/", f"{prefix}-exports", language)
    _visit(page, "/staff/procedures/", f"{prefix}-procedures", language)
    _visit(page, "/staff/audit/", f"{prefix}-audit-export", language)
    # The counter (窓口) is the clerks' (serve_counter): test_staff_pages_axe walks it as a clerk.
    _visit(page, "/staff/notices/", f"{prefix}-notices", language)
    _visit(page, "/staff/faqs/", f"{prefix}-faqs", language)
    _visit(page, "/staff/faqs/new/", f"{prefix}-faq-new", language)
    _visit(page, "/staff/faqs/gaps/", f"{prefix}-faq-gaps", language)
    _visit(page, "/staff/faqs/import/", f"{prefix}-faq-import", language)
    _visit(page, "/staff/faqs/synonyms/", f"{prefix}-faq-synonyms", language)
    _visit(page, "/staff/booking/manage/", f"{prefix}-booking-manage", language)
    _visit(page, "/staff/booking/manage/services/new/", f"{prefix}-booking-service-new", language)
    _visit(page, "/staff/payments/", f"{prefix}-payments", language)
    payment_link = page.locator("main table tbody a").first
    if payment_link.count():
        _visit(page, payment_link.get_attribute("href"), f"{prefix}-payment", language)
    _visit(page, "/staff/payments/settlements/", f"{prefix}-settlements", language)
    _visit(page, "/staff/payments/finance-export/", f"{prefix}-finance-export", language)
    _visit(page, f"/staff/procedures/{PROCEDURE}/edit/", f"{prefix}-procedure-edit", language)
    # The editor's preview renders the form as residents see it.
    click_and_wait(page, page.locator('main button[name="action"][value="preview"]'))
    assert page.locator("section.preview").count() == 1
    assert_accessible(page, f"{prefix}-procedure-preview")

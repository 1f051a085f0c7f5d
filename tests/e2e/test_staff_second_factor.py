"""Staff sign-in with a second factor in the browser: TOTP at sign-in, and enrolment of a new clerk."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "kodomo-katei@staff.iga.example.jp"
NEWCOMER = "newcomer@staff.iga.example.jp"  # made without a second factor by the e2e server fixture


def test_clerk_signs_in_with_password_and_totp(new_context: Any) -> None:
    page = new_context(width=1280).new_page()
    page.goto("/staff/")
    assert "/staff/login/" in page.url
    # A wrong code first: refused with an accessible error, still not signed in.
    page.fill("#email", CLERK)
    page.fill("#password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/second-factor/" in page.url
    assert page.locator("script[src*='webauthn']").count() == 0  # no passkey registered: no script
    page.fill("#code", "000000")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, "staff-second-factor-error")
    page.goto("/staff/")
    assert "/staff/login/" in page.url  # the password alone reaches no back-office page
    staff_sign_in(page, CLERK)
    assert page.url.endswith("/staff/"), page.url
    assert page.locator("table.cases").count() == 1


def test_new_clerk_enrols_an_authenticator(new_context: Any) -> None:
    page = new_context(width=390).new_page()
    page.goto("/staff/login/")
    page.fill("#email", NEWCOMER)
    page.fill("#password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.url.endswith("/staff/login/enrol/"), page.url
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1
    assert_accessible(page, "staff-enrol")
    secret = re.sub(r"\s", "", page.locator("#totp-secret").inner_text())
    page.fill("#code", pyotp.TOTP(secret).now())
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.url.endswith("/staff/"), page.url
    assert page.locator("table.cases").count() == 1

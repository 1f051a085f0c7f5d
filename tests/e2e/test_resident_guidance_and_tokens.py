"""At 390×844, signed out first, in Japanese, やさしい日本語 and English: the procedure page links
sign-in and sign-up and comes back after sign-in; the inquiry form offers 「わからない」; the
disaster information page leads with shelters, the hazard map and how to receive alerts; an
online consultation booking shows its own meeting link and does not send the resident to the
counter; a personal access token is created on the account page, shown once, works within its
scope and stops working when revoked. axe-core checks every page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

PROCEDURE = "/procedures/pregnancy-notification/"
RESIDENTS = {
    "ja": "resident3@iga.example.jp",
    "ja-easy": "resident4@iga.example.jp",
    "en": "resident5@iga.example.jp",
}
COUNTER_SENTENCES = ("Show the booking number at the counter", "窓口で予約番号を", "窓口で予約番号を見せて")


def api_status(origin: str, method: str, path: str, token: str, body: dict[str, str] | None = None) -> int:
    """Call the API with the token alone (no browser cookies)."""
    request = urllib.request.Request(  # noqa: S310 - the test server's own http URL
        origin + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_guidance_pages_and_a_personal_access_token(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    name = f"guidance-{language}-390"

    # Signed out: the procedure page says sign-in is needed and links both ways back to it.
    page.goto(PROCEDURE)
    sign_in = page.locator("#sign-in-needed a[href^='/accounts/login/?next=']")
    sign_up = page.locator("#sign-in-needed a[href^='/accounts/signup/?next=']")
    assert sign_in.is_visible() and sign_up.is_visible()
    assert_accessible(page, f"{name}-01-procedure-signed-out")

    # The alerts page leads with what residents need; the feed comes last.
    page.goto("/alerts/")
    tops = [
        page.locator(selector).bounding_box()["y"]
        for selector in ("#shelters", "#receive", "#issued", "#feed")
    ]
    assert tops == sorted(tops), tops
    assert page.locator(".shelter-list li").count() >= 2
    assert page.locator("#hazard-map + p + p a").get_attribute("href", timeout=2000).startswith("https://")
    assert_accessible(page, f"{name}-02-alerts")

    # The inquiry form offers 「わからない」.
    page.goto("/inquiries/new/")
    assert page.locator("#inquiry-department option[value='unsure']").count() == 1
    assert_accessible(page, f"{name}-03-inquiry-form")

    # Sign in from the procedure page's link: back on the procedure.
    page.goto(PROCEDURE)
    click_and_wait(page, sign_in)
    page.fill("#id_email", RESIDENTS[language])
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert page.url.endswith(PROCEDURE), page.url
    assert page.locator("#sign-in-needed").count() == 0

    # An online consultation: its own meeting link, nothing about the counter.
    page.goto("/booking/kosodate-soudan/")
    page.locator(".slot label").first.click()
    page.check("#online")
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert "/booking/my/" in page.url, page.url
    link = page.locator("a.meeting-link")
    assert link.is_visible() and link.get_attribute("href").startswith(
        "https://meet.example.jp/iga/kosodate-soudan/"
    )
    text = page.inner_text("main")
    assert not any(sentence in text for sentence in COUNTER_SENTENCES), text
    assert_accessible(page, f"{name}-04-online-booking")

    # A personal access token: created, shown once, scoped, revoked.
    page.goto("/my/account/")
    assert_accessible(page, f"{name}-05-account")
    page.fill("#id_name", f"家計簿アプリ {language}")
    page.check("input[name='scopes'][value='applications:read']")
    page.check("input[name='expires_in_days'][value='30']")
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    token = page.locator("#raw-token").input_value()
    assert token.startswith("idx_")
    assert_accessible(page, f"{name}-06-token-created")
    origin = page.url.split("/my/", 1)[0]
    assert api_status(origin, "GET", "/api/v1/applications", token) == 200
    assert (
        api_status(origin, "POST", "/api/v1/applications", token, {"procedure": "pregnancy-notification"})
        == 403
    )

    page.goto("/my/account/")
    assert token not in page.content()
    assert_accessible(page, f"{name}-07-account-token-listed")
    click_and_wait(page, page.locator(".token-item a.button-danger").first)
    assert_accessible(page, f"{name}-08-token-revoke")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/my/account/" in page.url
    assert api_status(origin, "GET", "/api/v1/applications", token) == 401


@pytest.mark.parametrize("language", ["ja", "en"])
def test_staff_keep_the_disaster_page_and_the_general_desk(new_context: Any, language: str) -> None:
    """At 1280 px: crisis-management staff edit shelters, hazard map and alert channels (a bad
    line is named), residents see them; a city administrator chooses the general desk."""
    staff = new_context(width=1280, height=800, language=language).new_page()
    staff_sign_in(staff, "kiki-kanri-supervisor@staff.iga.example.jp")
    staff.goto("/staff/alerts/")
    click_and_wait(staff, staff.locator("a[href='/staff/alerts/guide/']"))
    assert_accessible(staff, f"guidance-staff-{language}-1280-01-guide")
    shelters = staff.locator("#guide-shelters")
    kept = shelters.input_value()
    shelters.fill(kept + "\n名前だけ")
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    assert staff.locator("#error-summary a[href='#guide-shelters']").is_visible()
    assert_accessible(staff, f"guidance-staff-{language}-1280-02-guide-error")
    shelters.fill(
        kept + f"\n柘植公民館 {language} | 三重県伊賀市柘植町 | 地震・洪水 | https://maps.example.jp/tsuge"
    )
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    assert staff.locator("#error-summary").count() == 0

    resident = new_context(width=390, height=844, language=language).new_page()
    resident.goto("/alerts/")
    # Untranslated, the name shows in Japanese (with readings on an English page): compare without them.
    names = resident.eval_on_selector_all(
        ".shelter-list h3",
        "nodes => nodes.map((node) => { const copy = node.cloneNode(true);"
        " copy.querySelectorAll('rt, rp').forEach((reading) => reading.remove());"
        " return copy.textContent.trim(); })",
    )
    assert names.count(f"柘植公民館 {language}") == 1, names

    admin = new_context(width=1280, height=800, language=language).new_page()
    staff_sign_in(admin, "admin@staff.iga.example.jp")
    admin.goto("/staff/inquiries/desk/")
    assert_accessible(admin, f"guidance-staff-{language}-1280-03-inquiry-desk")
    admin.select_option("#desk-department", "jumin")
    click_and_wait(admin, admin.locator("main form button[type=submit]"))
    assert admin.locator("#desk-department").input_value() == "jumin"
    # Put the demo's desk back for the other tests.
    admin.select_option("#desk-department", "shimin-seikatsu")
    click_and_wait(admin, admin.locator("main form button[type=submit]"))

"""A resident signs in with My Number Card through the demo identity provider on a phone, finds
基本4情報 prefilled and marked verified, fills in the rest, signs with the card's signing
certificate and submits; a clerk signs in with password and TOTP and sees the signature verified.
The back channel (discovery, JWKS, token with private_key_jwt, userinfo, the sign transaction and
its JWE result, the CRL) runs over real HTTP between the server's own workers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import assert_accessible, assert_no_form_errors, click_and_wait, fill_answers, staff_sign_in

pytestmark = pytest.mark.e2e

CARD_BUTTON = re.compile("マイナンバーカードでログイン|Sign in with My Number Card")
VERIFIED = re.compile("マイナンバーカードで確認済み|Verified by My Number Card")
CLERK = "kodomo-katei@staff.iga.example.jp"
DEFINITION = (
    Path(__file__).resolve().parents[2] / "src/idx/procedures/definitions/child-allowance-certification.yaml"
)


def test_sign_in_with_my_number_card(new_context: Any, server: Any) -> None:
    page = new_context(width=390, height=844).new_page()

    page.goto("/accounts/login/")
    assert_accessible(page, "card-01-sign-in")
    click_and_wait(page, page.get_by_role("button", name=CARD_BUTTON))

    # The demo provider's page: choose a card holder, enter the PIN.
    assert "/demo-idp/authorize/" in page.url, page.url
    assert_accessible(page, "card-02-demo-idp")
    page.check("#holder-iga-hanako")
    page.fill("#pin", "12")
    click_and_wait(page, page.locator("button[value=sign_in]"))
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, "card-03-demo-idp-error")
    page.check("#holder-iga-hanako")
    page.fill("#pin", "4321")
    click_and_wait(page, page.locator("button[value=sign_in]"))

    # Back, signed in as a new verified resident.
    assert page.url.endswith("/my/applications/"), page.url
    assert page.locator("form[action$='/accounts/logout/']").count() == 1
    assert_accessible(page, "card-04-signed-in")

    # The child allowance claim starts with the claimant's 基本4情報 filled in and locked.
    page.goto("/procedures/child-allowance-certification/")
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert "/steps/claimant/" in page.url, page.url
    main = page.locator("main")
    assert main.get_by_text(VERIFIED).count() == 4
    text = main.inner_text()
    for value in ("伊賀 花子", "三重県伊賀市上野丸之内116番地", "1985"):
        assert value in text, value
    assert page.locator("[name='f.claimant.name']").count() == 0
    assert page.locator("[name='f.claimant.phone']").count() == 1
    assert_accessible(page, "card-05-prefilled")

    # ---- the rest of the claim, then sign with the card and submit --------------------------
    fill_claim(page)
    assert "/review/" in page.url, page.url
    page.check("#declaration")
    click_and_wait(page, page.locator("main form button[data-once]"))
    assert "/demo-idp/authorize/" in page.url and "sign_transaction_id" in page.url, page.url
    assert_accessible(page, "card-06-demo-idp-sign")
    page.check("#holder-iga-hanako")
    page.fill("#pin", "hanako2026")
    click_and_wait(page, page.locator("button[value=sign]"))
    assert page.url.endswith("/receipt/"), page.url
    assert page.locator(".signature-status").count() == 1
    receipt_number = page.locator(".receipt-number strong").inner_text().strip()
    assert_accessible(page, "card-07-signed-receipt")

    # ---- the clerk sees the signature verified -----------------------------------------------
    clerk = new_context(width=1280, height=900).new_page()
    clerk.goto("/staff/login/")
    staff_sign_in(clerk, CLERK)
    clerk.fill("#q", receipt_number)
    click_and_wait(clerk, clerk.locator("form.filter-form button[type=submit]"))
    click_and_wait(clerk, clerk.get_by_role("link", name=receipt_number))
    status = clerk.locator(".signature-status").inner_text()
    assert re.search("検証済み|Verified", status), status
    assert_accessible(clerk, "card-08-case-signature-verified")


def fill_claim(page: Any) -> None:
    """Answer every remaining step with the definition's example (the card's facts stay locked)."""
    example = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"]
    while re.search(r"/steps/[^/]+/$", page.url):
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)

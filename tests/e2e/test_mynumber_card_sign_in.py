"""A resident signs in with My Number Card through the demo identity provider on a phone, and
finds 基本4情報 prefilled and marked verified. The back channel (discovery, JWKS, token with
private_key_jwt, userinfo) runs over real HTTP between the server's own workers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait

pytestmark = pytest.mark.e2e

CARD_BUTTON = re.compile("マイナンバーカードでログイン|Sign in with My Number Card")
VERIFIED = re.compile("マイナンバーカードで確認済み|Verified by My Number Card")


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

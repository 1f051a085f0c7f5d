"""書かない窓口 with two browsers: a clerk (password and TOTP) fills in an application for a
resident at the counter, prefilled from the card's facts; the resident's tablet opens the summary
with the six-digit code and confirms with a tap; the clerk sees the receipt number."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import assert_accessible, assert_no_form_errors, click_and_wait, fill_answers, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "kodomo-katei@staff.iga.example.jp"
PROCEDURE = "child-allowance-donation"
DEFINITION = Path(__file__).resolve().parents[2] / f"src/idx/procedures/definitions/{PROCEDURE}.yaml"


def test_assisted_application_confirmed_on_the_residents_screen(new_context: Any) -> None:
    example = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"]

    # ---- the clerk at the counter --------------------------------------------------------------
    clerk = new_context(width=1280, height=900).new_page()
    clerk.goto("/staff/login/")
    staff_sign_in(clerk, CLERK)
    click_and_wait(clerk, clerk.locator("nav a[href='/staff/counter/']"))
    assert_accessible(clerk, "counter-01-start")
    clerk.select_option("#counter-procedure", PROCEDURE)
    clerk.fill("#counter-full_name", "窓口 花子")
    clerk.fill("#counter-birthdate", "昭和60年4月1日")
    clerk.fill("#counter-address", "三重県伊賀市上野丸之内116番地")
    clerk.check("#counter-gender-female")
    clerk.check("#counter-identity_checked")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert "/staff/counter/" in clerk.url and "/steps/" in clerk.url, clerk.url
    assert_accessible(clerk, "counter-02-step")
    while re.search(r"/steps/[^/]+/$", clerk.url):
        fill_answers(clerk, example)
        click_and_wait(clerk, clerk.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(clerk)
    assert clerk.url.endswith("/review/"), clerk.url
    assert "窓口 花子" in clerk.inner_text("main")
    assert_accessible(clerk, "counter-03-review")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    code = re.sub(r"\D", "", clerk.locator("#counter-code").inner_text())
    assert len(code) == 6, code
    assert clerk.locator(".counter-qr svg").count() == 1
    assert_accessible(clerk, "counter-04-code")

    # ---- the resident's tablet -------------------------------------------------------------------
    tablet = new_context(width=768, height=1024).new_page()
    tablet.goto("/counter/")
    assert_accessible(tablet, "counter-05-tablet-code")
    tablet.fill("#code", code[:3] + " " + code[3:])
    click_and_wait(tablet, tablet.locator("main form button[type=submit]"))
    assert tablet.url.endswith("/counter/confirm/"), tablet.url
    summary = tablet.inner_text("main")
    assert "窓口 花子" in summary
    assert_accessible(tablet, "counter-06-tablet-summary")
    tablet.check("#declaration")
    click_and_wait(tablet, tablet.locator("button[value=confirm]"))
    assert tablet.url.endswith("/counter/done/"), tablet.url
    receipt_number = tablet.locator(".receipt-number strong").inner_text().strip()
    assert re.fullmatch(r"IGA-\d{4}-\d{6}", receipt_number), receipt_number
    assert_accessible(tablet, "counter-07-tablet-done")

    # ---- back at the clerk's screen ----------------------------------------------------------------
    click_and_wait(clerk, clerk.locator("main a.button"))
    assert clerk.locator(".receipt-number").inner_text().strip() == receipt_number
    click_and_wait(clerk, clerk.get_by_role("link", name=re.compile("Open the case|案件を開く")))
    assisted = clerk.locator(".assisted-status").inner_text()
    assert "こども家庭課" in assisted or "担当" in assisted, assisted
    assert_accessible(clerk, "counter-08-case")

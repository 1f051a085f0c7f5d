"""Pay any way: apply for 住民票の写し, pay through the demo payment service's checkout, see the
application submitted and the payment paid, download the 領収書; the clerk sees it paid."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    DEMO_PASSWORD,
    RECEIPT_PATTERN,
    assert_accessible,
    assert_no_form_errors,
    click_and_wait,
    fill_answers,
    staff_sign_in,
)

pytestmark = pytest.mark.e2e

DEFINITION = (
    Path(__file__).resolve().parents[2] / "src/idx/procedures/definitions/residence-certificate-request.yaml"
)
RESIDENT = "resident4@iga.example.jp"
CLERK = "jumin@staff.iga.example.jp"


def test_pay_for_a_residence_certificate(new_context: Any) -> None:
    example = copy.deepcopy(yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"])
    page = new_context(width=390, language="ja").new_page()
    page.goto("/accounts/login/")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))

    page.goto("/procedures/residence-certificate-request/")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    step_url = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/]+)/$")
    match = step_url.search(page.url)
    assert match, page.url
    public_id = match.group("id")
    while step_url.search(page.url):
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    assert page.url.endswith(f"/my/applications/{public_id}/review/"), page.url
    assert "600" in page.locator(".fee").inner_text()  # 300 yen × 2 copies, shown before submission
    page.check("input[name=declaration][value=yes]")
    click_and_wait(page, page.locator("main form button[type=submit]").last)

    # Choose how to pay: the online checkout (card and QR wallets).
    assert page.url.endswith(f"/my/applications/{public_id}/pay/"), page.url
    assert_accessible(page, "payment-choose")
    page.check("#provider-hosted")
    click_and_wait(page, page.locator("main form button[type=submit]"))

    # The demo payment service's checkout page: pay with the demo card.
    assert "/demo-pay/checkout/" in page.url, page.url
    assert_accessible(page, "payment-checkout")
    page.check("#method-card")
    page.fill("#card_number", "4242 4242 4242 4242")
    click_and_wait(page, page.locator("button[name=action][value=pay]"))

    # Back on the portal: paid, the application submitted, the receipt downloadable.
    assert "/my/payments/" in page.url, page.url
    for _attempt in range(20):  # the signed return is applied at once; the webhook may also race it
        if page.locator("#receipt-download").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.locator("#payment-status").get_attribute("class").endswith("status-paid")
    assert_accessible(page, "payment-paid")
    with page.expect_download() as download_info:
        page.click("#receipt-download")
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    page.goto(f"/my/applications/{public_id}/")
    receipt_number = RECEIPT_PATTERN.search(page.locator("main").inner_text())
    assert receipt_number, "the paid application was submitted and numbered"

    # The clerk of 住民課 sees the case with its fee paid.
    staff = new_context(width=1280, language="ja").new_page()
    staff_sign_in(staff, CLERK)
    staff.goto(f"/staff/cases/{public_id}/")
    assert "領収" in staff.locator("main").inner_text() or "R-IGA-" in staff.locator("main").inner_text()
    staff.goto("/staff/payments/?status=paid")
    assert_accessible(staff, "payment-staff-list")
    click_and_wait(staff, staff.locator("main table tbody a").first)
    assert "/staff/payments/" in staff.url
    assert_accessible(staff, "payment-staff-detail")

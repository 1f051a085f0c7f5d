"""Values as a resident types and reads them, on a 390×844 phone: 住民票の写し typed with
hiragana フリガナ and full-width digits, a review page without ISO dates, raw booleans or 必須 on
optional tick boxes (ja, en, やさしい日本語), and after paying a completion panel with the 領収番号
and the 領収書 (ja). Every page is checked with axe (docs/content-style.md)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    DEMO_PASSWORD,
    assert_accessible,
    assert_no_form_errors,
    click_and_wait,
    fill_answers,
    screenshot,
)

pytestmark = pytest.mark.e2e

DEFINITION = (
    Path(__file__).resolve().parents[2] / "src/idx/procedures/definitions/residence-certificate-request.yaml"
)
RESIDENT = "resident5@iga.example.jp"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/]+)/$")


def _to_review(page: Any, language: str) -> str:
    """Sign in, start 住民票の写し and answer every step as a person types; return the id."""
    example = copy.deepcopy(yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"])
    example["requester"]["name_kana"] = "いが はなこ"  # hiragana: converted, not refused
    example["copies"] = "２"  # full-width digit
    page.goto("/accounts/login/")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    page.goto("/procedures/residence-certificate-request/")
    assert_accessible(page, f"values-procedure-{language}")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    match = STEP_URL.search(page.url)
    assert match, page.url
    while STEP_URL.search(page.url):
        step = STEP_URL.search(page.url).group("step")  # type: ignore[union-attr]
        if step == "content":
            # Optional tick boxes carry no 必須 mark; the agreement that must be ticked does.
            label = page.locator('label[for="f-include-household-head"]')
            assert label.locator(".required").count() == 0
        assert_accessible(page, f"values-step-{step}-{language}")
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    public_id = match.group("id")
    assert page.url.endswith(f"/my/applications/{public_id}/review/"), page.url
    return public_id


@pytest.mark.parametrize("language", ["ja", "en", "ja-easy"])
def test_the_review_page_reads_as_people_write(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    _to_review(page, language)
    main = page.locator("main").inner_text()
    assert "イガ ハナコ" in main
    assert not ISO_DATE.search(main), ISO_DATE.search(main)
    for raw in ("true", "false", "residence_certificate_copy"):
        assert not re.search(rf"(^|\s){raw}(\s|$)", main), raw
    if language == "ja":
        assert "（平成" in main or "（昭和" in main or "（令和" in main  # answer dates with their era
    assert_accessible(page, f"values-review-{language}")
    screenshot(page, f"values-review-{language}")


def test_after_paying_the_resident_sees_the_receipt_number_and_what_happens_next(new_context: Any) -> None:
    page = new_context(width=390, height=844, language="ja").new_page()
    public_id = _to_review(page, "ja-pay")
    page.check("input[name=declaration][value=yes]")
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert page.url.endswith(f"/my/applications/{public_id}/pay/"), page.url
    page.check("#provider-hosted")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/demo-pay/checkout/" in page.url, page.url
    page.check("#method-card")
    page.fill("#card_number", "4242 4242 4242 4242")
    click_and_wait(page, page.locator("button[name=action][value=pay]"))
    assert "/my/payments/" in page.url, page.url
    for _attempt in range(20):
        if page.locator("#payment-complete").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    panel = page.locator("#payment-complete").inner_text()
    assert "お支払いが完了しました" in panel and "600円" in panel
    assert re.search(r"領収番号：R-IGA-\d{4}-\d{6}", panel.replace("\n", "")), panel
    assert "受付番号" not in panel
    download = page.locator("#receipt-download")
    assert download.inner_text().strip() == "領収書をダウンロード（PDF）"
    badge = page.locator("#payment-status")
    colour = badge.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), colour  # a meaning colour
    assert_accessible(page, "values-payment-complete")
    screenshot(page, "values-payment-complete")
    with page.expect_download() as download_info:
        download.click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")

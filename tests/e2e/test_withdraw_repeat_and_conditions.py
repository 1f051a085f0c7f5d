"""Three parts of the resident's way through an application, on a 390×844 phone with axe-core on
every page: withdrawing a paid 住民票の写し after a warning page that says what happens to the fee
(and the fee shown on the application afterwards), 「児童を追加」 leaving the keyboard focus on the
new child's first input, and the spouse questions of 児童手当 appearing step by step without
JavaScript and at once with it. Every wait is bounded: a slow machine fails, it never hangs."""

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
)

pytestmark = pytest.mark.e2e

DEFINITIONS = Path(__file__).resolve().parents[2] / "src" / "idx" / "procedures" / "definitions"
CERTIFICATE = "residence-certificate-request"
CHILD_ALLOWANCE = "child-allowance-certification"
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/?#]+)/")
WAIT_MS = 20_000  # the longest any single wait may take


def _example(code: str) -> dict[str, Any]:
    data = yaml.safe_load((DEFINITIONS / f"{code}.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(data["example"])


MIRRORS: dict[int, Any] = {}


def _check(page: Any, name: str) -> None:
    """axe-core on the page as it is shown (for a page without JavaScript: on a copy of it)."""
    mirror = MIRRORS.get(id(page))
    if mirror is None:
        assert_accessible(page, name)
        return
    mirror.goto(page.url.split("#")[0], wait_until="domcontentloaded")
    mirror.set_content(page.content(), wait_until="load")
    assert_accessible(mirror, name)


@pytest.fixture
def phone(browser: Any, server: Any) -> Any:
    """A factory for 390×844 pages in Japanese, with or without JavaScript, every wait bounded."""
    contexts: list[Any] = []

    def make(*, javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            base_url=server.base_url,
            locale="ja-JP",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        context.add_cookies([{"name": "idx_language", "value": "ja", "domain": "127.0.0.1", "path": "/"}])
        contexts.append(context)
        page = context.new_page()
        if not javascript:
            # axe-core runs as a script: a page without JavaScript is checked as a copy of its
            # markup in a page with it, at the same address and size.
            mirror = browser.new_context(
                viewport={"width": 390, "height": 844}, base_url=server.base_url, locale="ja-JP"
            )
            mirror.set_default_timeout(WAIT_MS)
            contexts.append(mirror)
            MIRRORS[id(page)] = mirror.new_page()
        return page

    yield make
    for context in contexts:
        context.close()


def _start_signed_out(page: Any, code: str, email: str) -> str:
    """From the procedure page while signed out: 「申請を始める」, sign in, start; the new draft's id."""
    page.goto(f"/procedures/{code}/")
    _check(page, f"journeys-{code}-procedure")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    assert "/accounts/login/" in page.url and "next=" in page.url, page.url
    _check(page, f"journeys-{code}-sign-in")
    page.fill("#id_email", email)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form").last.locator("button[type=submit]"))
    assert page.url.endswith(f"/procedures/{code}/start/"), page.url
    _check(page, f"journeys-{code}-start")
    click_and_wait(page, page.locator("main form[action$='/start/'] button[type=submit]"))
    match = STEP_URL.search(page.url)
    assert match, page.url
    return match.group("id")


def _through_steps(page: Any, example: dict[str, Any]) -> None:
    for _ in range(12):
        if not STEP_URL.search(page.url):
            return
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    raise AssertionError(f"still on a step after every step was filled: {page.url}")


def test_withdraw_a_paid_certificate_request(phone: Any) -> None:
    """Apply, pay online, 「申請を取り下げる」: a warning page about the paid fee, then the fee on the application."""
    example = _example(CERTIFICATE)
    page = phone()
    public_id = _start_signed_out(page, CERTIFICATE, "resident5@iga.example.jp")
    _through_steps(page, example)
    assert page.url.endswith(f"/my/applications/{public_id}/review/"), page.url
    page.check("input[name=declaration][value=yes]")
    click_and_wait(page, page.locator("main form button[type=submit]").last)

    # Pay 600 yen (2 copies) through the demo payment service's checkout.
    assert page.url.endswith(f"/my/applications/{public_id}/pay/"), page.url
    _check(page, "journeys-withdraw-01-pay")
    page.check("#provider-hosted")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/demo-pay/checkout/" in page.url, page.url
    page.check("#method-card")
    page.fill("#card_number", "4242 4242 4242 4242")
    click_and_wait(page, page.locator("button[name=action][value=pay]"))
    assert "/my/payments/" in page.url, page.url
    for _attempt in range(20):  # bounded: the signed return is applied at once, the webhook may race it
        if page.locator("#payment-status.status-paid").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.locator("#payment-status.status-paid").count() == 1, page.locator("main").inner_text()
    _check(page, "journeys-withdraw-02-paid")

    # The application: submitted and paid, with the withdraw button.
    page.goto(f"/my/applications/{public_id}/")
    assert page.locator(".status-submitted").count() == 1
    _check(page, "journeys-withdraw-03-application")
    click_and_wait(page, page.get_by_role("link", name="申請を取り下げる"))
    assert page.url.split("?")[0].endswith(f"/my/applications/{public_id}/withdraw/"), page.url

    # Confirmation first, in warning style, saying what happens to the 600 yen already paid.
    warning = page.locator("#withdraw-warning.panel-warning")
    assert warning.count() == 1
    text = warning.inner_text()
    assert "元に戻せません" in text, text
    assert "600" in text and "返金" in text, text
    assert "担当課" in text or "お問い合わせ" in text, text
    assert page.locator(".status-withdrawn").count() == 0  # nothing happened yet
    _check(page, "journeys-withdraw-04-confirm")
    page.fill("textarea[name=reason]", "提出先の手続きが不要になったため")
    click_and_wait(page, page.locator("main form button.button-warning[type=submit]"))

    # Afterwards: withdrawn, and the fee paid is still explained on the application.
    assert page.url.split("#")[0].endswith(f"/my/applications/{public_id}/"), page.url
    assert page.locator(".status-withdrawn").count() == 1
    assert "申請は取り下げられました" in page.locator("body").inner_text()
    fee = page.locator("#fee-after-withdrawal")
    assert fee.count() == 1
    fee_text = fee.inner_text()
    assert "600" in fee_text and "返金" in fee_text, fee_text
    assert page.get_by_role("link", name="申請を取り下げる").count() == 0
    _check(page, "journeys-withdraw-05-withdrawn")


def _focus_state(page: Any, element_id: str) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """id => {
                const active = document.activeElement;
                const box = document.getElementById(id).getBoundingClientRect();
                return {active: active ? active.id : '', top: box.top, bottom: box.bottom,
                        height: window.innerHeight};
            }""",
            element_id,
        )
    )


def test_add_child_focuses_the_new_entry(phone: Any) -> None:
    """「児童を追加」: the keyboard focus is on the new child's first input, and that input is on screen."""
    example = _example(CHILD_ALLOWANCE)
    page = phone()
    _start_signed_out(page, CHILD_ALLOWANCE, "resident1@iga.example.jp")
    for _ in range(6):
        if page.url.endswith("/steps/children/"):
            break
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    assert page.url.endswith("/steps/children/"), page.url
    fill_answers(page, {"children": example["children"][:1]})
    add = page.locator('button[name="action"][value="add:children"]')
    assert "児童を追加" in add.inner_text()
    click_and_wait(page, add)
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'f-children-1-name'",
        timeout=WAIT_MS,
    )
    state = _focus_state(page, "f-children-1-name")
    assert state["active"] == "f-children-1-name", state
    assert state["top"] >= 0 and state["bottom"] <= state["height"], state
    # The first child's answers were kept.
    assert page.locator('[name="f.children.0.name"]').input_value() == example["children"][0]["name"]
    _check(page, "journeys-child-added")
    # Typing goes straight into the new entry.
    page.keyboard.type("伊賀 花子")
    assert page.locator('[name="f.children.1.name"]').input_value() == "伊賀 花子"


def _to_spouse_step(page: Any, example: dict[str, Any]) -> None:
    fill_answers(page, {"claimant": example["claimant"]})
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)
    assert page.url.endswith("/steps/spouse/"), page.url


SPOUSE_INPUTS = ("f.spouse.name", "f.spouse.name_kana", "f.spouse.birth_date")


def _spouse_shown(page: Any) -> bool:
    wrap = page.locator("#f-spouse-wrap")
    if wrap.count() == 0 or not wrap.is_visible():
        return False
    return all(page.locator(f'[name="{name}"]').first.is_visible() for name in SPOUSE_INPUTS)


def test_spouse_questions_step_by_step_without_javascript(phone: Any) -> None:
    example = _example(CHILD_ALLOWANCE)
    page = phone(javascript=False)
    public_id = _start_signed_out(page, CHILD_ALLOWANCE, "resident3@iga.example.jp")
    _to_spouse_step(page, example)
    # Not answered yet: no spouse question (and none marked 必須) is shown.
    assert not _spouse_shown(page)
    assert page.locator("#f-has-spouse-yes").is_checked() is False
    _check(page, "journeys-nojs-01-spouse-unanswered")

    # はい, then 「次へ」: the same step again, now with the spouse questions, and no error.
    page.locator("#f-has-spouse-yes").check()
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert page.url.split("#")[0].endswith("/steps/spouse/"), page.url
    assert_no_form_errors(page)
    assert page.locator(".field-error, .error-text").count() == 0
    assert _spouse_shown(page)
    assert page.locator("#f-has-spouse-yes").is_checked()
    _check(page, "journeys-nojs-02-spouse-revealed")

    # いいえ, then 「次へ」: on to the children; back on this step the spouse questions are gone.
    page.locator("#f-has-spouse-no").check()
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)
    assert page.url.endswith("/steps/children/"), page.url
    _check(page, "journeys-nojs-03-children")
    page.goto(f"/my/applications/{public_id}/steps/spouse/")
    assert page.locator("#f-has-spouse-no").is_checked()
    assert not _spouse_shown(page)
    _check(page, "journeys-nojs-04-spouse-no")

    # はい again and the spouse answered on the same page: on to the children without a stop.
    page.locator("#f-has-spouse-yes").check()
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert page.url.split("#")[0].endswith("/steps/spouse/"), page.url
    fill_answers(page, {"spouse": example["spouse"]})
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)
    assert page.url.endswith("/steps/children/"), page.url


def test_spouse_questions_react_at_once_with_javascript(phone: Any) -> None:
    example = _example(CHILD_ALLOWANCE)
    page = phone()
    _start_signed_out(page, CHILD_ALLOWANCE, "resident3@iga.example.jp")
    _to_spouse_step(page, example)
    assert not _spouse_shown(page)
    _check(page, "journeys-js-01-spouse-unanswered")
    page.locator("#f-has-spouse-yes").check()
    page.wait_for_function("() => !document.getElementById('f-spouse-wrap').hidden", timeout=WAIT_MS)
    assert _spouse_shown(page)
    assert page.locator(".field-error, .error-text").count() == 0
    _check(page, "journeys-js-02-spouse-shown")
    page.locator("#f-has-spouse-no").check()
    page.wait_for_function("() => document.getElementById('f-spouse-wrap').hidden", timeout=WAIT_MS)
    assert not _spouse_shown(page)
    # With いいえ the step goes straight on: the spouse questions were never required.
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)
    assert page.url.endswith("/steps/children/"), page.url

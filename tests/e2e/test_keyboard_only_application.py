"""A resident completes a short application with the keyboard alone (Tab, arrows, Space, Enter, typing)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, RECEIPT_PATTERN, assert_accessible

pytestmark = pytest.mark.e2e

RESIDENT = "resident2@iga.example.jp"
PROCEDURE_NAME = "イベント・講座の申込"


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has focus (it must be in the tab order)."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            focus_visible = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 || s.boxShadow !== 'none' }"
            )
            assert focus_visible, f"{selector} has focus but no visible focus indicator"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab on {page.url}")


def type_into(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_enter_on(page: Any, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def choose_with_arrows(page: Any, selector: str, value: str) -> None:
    tab_to(page, selector)
    for _ in range(20):
        if page.eval_on_selector(selector, "e => e.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {value} in {selector} with the arrow keys")


def test_keyboard_only_application(new_context: Any) -> None:
    page = new_context(width=1280).new_page()

    page.goto("/accounts/login/")
    type_into(page, "#id_email", RESIDENT)
    type_into(page, "#id_password", DEMO_PASSWORD)
    press_enter_on(page, "main form button[type=submit]")
    assert "/my/applications/" in page.url

    # The skip link is the first stop and leads to the content.
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    type_into(page, "#q", "イベント")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    press_enter_on(page, "a[href$='/procedures/event-registration/']")
    assert page.locator("h1").inner_text() == PROCEDURE_NAME
    press_enter_on(page, "form[action$='/start/'] button[type=submit]")

    # Step 1: the event, from a select, with the arrow keys.
    assert page.url.endswith("/steps/event/"), page.url
    choose_with_arrows(page, "#f-event", "parent_child_cooking")
    press_enter_on(page, 'button[name="action"][value="next"]')

    # Step 2: one participant and a note.
    assert page.url.endswith("/steps/participants/"), page.url
    type_into(page, "#f-participants-0-name", "伊賀 花子")
    type_into(page, "#f-participants-0-name-kana", "イガ ハナコ")
    type_into(page, "#f-participants-0-age", "36")
    type_into(page, "#f-accessibility-needs", "車いすで参加します。")
    press_enter_on(page, 'button[name="action"][value="next"]')
    assert page.locator("#error-summary").count() == 0

    # Step 3: contact details; Enter in the last field submits the step.
    assert page.url.endswith("/steps/contact/"), page.url
    type_into(page, "#f-contact-name", "伊賀 花子")
    type_into(page, "#f-contact-email", "hanako@example.jp")
    type_into(page, "#f-contact-phone", "090-1234-5678")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/review/"), page.url
    assert "車いすで参加します。" in page.inner_text("main")

    # Review: tick the declaration with Space, submit with Enter.
    tab_to(page, "#declaration")
    page.keyboard.press("Space")
    assert page.is_checked("#declaration")
    press_enter_on(page, "main form button[data-once]")
    assert page.url.endswith("/receipt/"), page.url
    receipt_number = page.locator(".receipt-number strong").inner_text().strip()
    assert RECEIPT_PATTERN.fullmatch(receipt_number), receipt_number
    assert_accessible(page, "keyboard-receipt")


def test_enter_in_a_repeat_entry_keeps_the_entry(new_context: Any) -> None:
    page = new_context(width=1280).new_page()
    page.goto("/accounts/login/")
    type_into(page, "#id_email", "resident3@iga.example.jp")
    type_into(page, "#id_password", DEMO_PASSWORD)
    press_enter_on(page, "main form button[type=submit]")
    page.goto("/procedures/event-registration/")
    press_enter_on(page, "form[action$='/start/'] button[type=submit]")
    choose_with_arrows(page, "#f-event", "parent_child_cooking")
    press_enter_on(page, 'button[name="action"][value="next"]')
    type_into(page, "#f-participants-0-name", "伊賀 花子")
    type_into(page, "#f-participants-0-name-kana", "イガ ハナコ")
    type_into(page, "#f-participants-0-age", "36")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Enter should act like "Save and continue" (or at least keep what was typed).
    assert page.url.endswith("/steps/contact/") or page.input_value("#f-participants-0-name") == "伊賀 花子"

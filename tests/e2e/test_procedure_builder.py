"""A city administrator edits the 粗大ごみ収集の申込 form in the visual builder at 1280×800.

By keyboard only, a yes/no question is added and a later question is made to depend on it; the
やさしい日本語 check answers as the text is typed; a question is dragged to another step; the
phone preview and the delete confirmation are shown. Every builder page is checked with axe-core,
and the screenshots of docs/procedure-builder.md are written from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

CITY_ADMIN = "admin@staff.iga.example.jp"
CODE = "bulky-waste-collection"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images" / "builder"


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMAGES / f"{name}.png"), full_page=full_page)


def press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def test_builder_by_keyboard_with_condition_drag_and_preview(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, CITY_ADMIN)
    page.goto("/staff/procedures/")
    click_and_wait(page, page.locator(f"main a[href='/staff/procedures/{CODE}/builder/']"))
    assert page.locator("h1").inner_text() == "粗大ごみ収集の申込"
    assert_accessible(page, "staff-builder-overview")
    shot(page, "overview")

    # Keyboard only: add a yes/no question at the end of the first step.
    page.locator("#step-applicant a[href$='/builder/add/?step=applicant']").focus()
    press_and_wait(page, "Enter")
    assert_accessible(page, "staff-builder-add")
    page.locator("#type-yes_no").focus()
    assert page.locator("#type-yes_no").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "label_ja"
    page.keyboard.type("収集に立ち会いますか")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "label_ja_easy"
    page.keyboard.type("ごみを取りに行く時、家にいますか。17時までにいなければなりません。")
    page.locator("#label_ja_easy-advice p").first.wait_for()  # the live やさしい日本語 check
    assert "やさしい日本語" in page.locator("#label_ja_easy-advice").inner_text()
    shot(page, "add-question")
    page.keyboard.press("Control+a")
    page.keyboard.type("ごみを取りに行く時、家にいますか")
    page.keyboard.press("Tab")
    page.keyboard.type("Will you be present")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "position"  # 末尾, as it stands
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # 回答を必須にする
    assert page.locator("#required").is_checked()
    press_and_wait(page, "Enter")
    assert "/builder/items/will_you_be_present/" in page.url
    assert_accessible(page, "staff-builder-item")

    # Keyboard only: make the placement notes depend on the new question.
    page.goto(f"/staff/procedures/{CODE}/builder/items/placement_notes/")
    page.locator("#when_field").focus()
    page.keyboard.press("End")  # the earlier questions end with the two dates of this step,
    page.keyboard.press("ArrowUp")  # and before them (the repeated group cannot be a condition)
    page.keyboard.press("ArrowUp")  # the question just added
    assert page.locator("#when_field").input_value() == "will_you_be_present"
    page.locator("#when_value").focus()
    page.keyboard.press("ArrowDown")  # only the new question's answers are offered: はい first
    assert page.locator("#when_value").input_value() == "will_you_be_present:true"
    shot(page, "edit-question", full_page=True)
    page.locator("main form button.button-primary").focus()
    press_and_wait(page, "Enter")
    assert "/builder/" in page.url and "/items/" not in page.url
    row = page.locator("#item-placement-notes")
    assert "収集に立ち会いますか" in row.inner_text()

    # Drag the 郵便番号 question to the next step (the 移動先 form does the same without script).
    handle = page.locator("#item-collection-postal-code .builder-item-type")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 15, box["y"] + 15)  # the drag starts over the question itself
    target = page.locator("#step-items ol.builder-items")
    with page.expect_navigation():
        target.hover()
        page.mouse.up()
    assert page.locator("#step-items #item-collection-postal-code").count() == 1
    assert page.locator("#step-applicant #item-collection-postal-code").count() == 0

    # The phone preview, step by step.
    click_and_wait(page, page.locator(f"main a[href='/staff/procedures/{CODE}/builder/preview/']"))
    assert page.locator(".builder-phone").bounding_box()["width"] == pytest.approx(390, abs=1)
    assert_accessible(page, "staff-builder-preview")
    shot(page, "preview")
    click_and_wait(page, page.locator("main a[href='?step=2']").first)
    assert "出すもの" in page.locator(".builder-phone").inner_text()

    # Deleting asks first.
    page.goto(f"/staff/procedures/{CODE}/builder/items/will_you_be_present/delete/")
    assert_accessible(page, "staff-builder-delete")
    assert page.locator("h1").inner_text().startswith("質問「収集に立ち会いますか」")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    # It is refused, beside a clear reason: the notes depend on it.
    assert "出す場所についての補足" in page.locator("#error-summary").inner_text()
    assert_accessible(page, "staff-builder-delete-refused")

    page.goto(f"/staff/procedures/{CODE}/builder/steps/add/")
    assert_accessible(page, "staff-builder-step")

    # Without a mouse, a question moves through its own page: before any question of any step.
    page.goto(f"/staff/procedures/{CODE}/builder/items/area/move/")
    assert_accessible(page, "staff-builder-move")
    page.select_option("#target", "confirm:0")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("#step-confirm #item-area").count() == 1

"""A phone (390×844) in 日本語, やさしい日本語 and English: a compact header, no sideways scrolling,
the assistant never covering fields or buttons and closing with a visible control, the ふりがな
switch naming its action, Japanese words never split across lines; axe-core on every page."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait

pytestmark = pytest.mark.e2e

RESIDENT = "resident3@iga.example.jp"
WIDTH, HEIGHT = 390, 844
SWITCH = {"ja": "ふりがなを表示", "ja-easy": "ふりがなを けす", "en": "Show furigana"}


def choose_language(page: Any, language: str) -> None:
    page.goto("/")
    page.select_option("#language-select", language)
    click_and_wait(page, page.locator("form.language-form button[type=submit]"))


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide on a {WIDTH}px screen"


def boxes_overlap(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    if not a or not b:
        return False
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def assert_not_covered(page: Any, selector: str) -> None:
    """The assistant's button covers none of the elements, wherever the page is scrolled to them."""
    toggle = page.locator("#assist-toggle")
    for index in range(page.locator(selector).count()):
        target = page.locator(selector).nth(index)
        if not target.is_visible():
            continue
        target.scroll_into_view_if_needed()
        assert not boxes_overlap(toggle.bounding_box(), target.bounding_box()), (page.url, selector, index)


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_phone_pages_in_three_languages(new_context: Any, language: str) -> None:
    page = new_context(width=WIDTH, height=HEIGHT).new_page()
    choose_language(page, language)

    # A compact header: at most a fifth of the screen (it took 29–37 %).
    header = page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] <= HEIGHT * 0.2, header
    switch = page.locator("form.furigana-form button").inner_text().replace("\n", "")
    assert switch.replace(" ", "") == SWITCH[language].replace(" ", "")
    no_sideways_scroll(page)
    assert_accessible(page, f"phone-{language}-catalog")
    if language != "en":
        # Japanese headings break between phrases (the browser's BudouX model).
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('main h1')).wordBreak")
            == "auto-phrase"
        )
        # And in every browser: the server marked the phrase boundaries of headings and links.
        assert page.evaluate("() => document.querySelectorAll('main .phrases wbr').length") > 0
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('.phrases')).wordBreak")
            == "keep-all"
        )

    # The assistant: opens, has a visible close control, closes, and covers no field.
    page.click("#assist-toggle")
    close = page.locator("#assist-close")
    assert close.is_visible()
    assert_accessible(page, f"phone-{language}-assistant-open")
    close.click()
    assert page.locator("#assist-panel-body").is_hidden()
    assert page.evaluate("() => document.activeElement.id") == "assist-toggle"

    page.goto("/accounts/login/")
    assert_not_covered(page, "main input, main button")
    assert_accessible(page, f"phone-{language}-sign-in")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))

    page.goto("/booking/juminhyo/")
    assert_not_covered(page, "main button, main .slot, main input")
    no_sideways_scroll(page)
    assert_accessible(page, f"phone-{language}-booking-slots")

    page.goto("/my/notifications/")
    no_sideways_scroll(page)
    assert_accessible(page, f"phone-{language}-inbox")

"""The disaster information page in the resident's language at 390×844, signed out: shelters,
their addresses and disasters, and how to receive alerts in English and in やさしい日本語 (no
ordinary Japanese left); and the staff editor with the eight languages side by side at 1280×800.
Every page visited is checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

# The text a person reads, without the readings ふりがな adds above kanji.
READ_TEXT = """(selector) => {
  const copy = document.querySelector(selector).cloneNode(true);
  copy.querySelectorAll("rt, rp").forEach((node) => node.remove());
  return copy.textContent.replace(/\\s+/g, " ");
}"""

EXPECTED = {
    "en": {
        "shelters": ["Hightopia Iga", "Iga City Hall (main building)", "Ueno Civic Hall"],
        "texts": ["500 Ueno-Marunouchi, Iga, Mie", "Earthquakes, floods, landslides", "Area Mail"],
        "absent": ["ハイトピア", "三重県", "地震", "防災行政無線"],
    },
    "ja-easy": {
        "shelters": ["ハイトピア伊賀", "伊賀市役所 本庁舎", "上野総合市民館"],
        "texts": ["大きな火事", "山やがけがくずれるとき", "外のスピーカー"],
        "absent": ["大規模な火事", "土砂災害", "防災行政無線"],
    },
}


@pytest.mark.parametrize("language", ["en", "ja-easy"])
def test_shelters_in_the_residents_language(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/alerts/")
    expected = EXPECTED[language]
    # The demo's shelters come first (another browser test may have added an untranslated one).
    cards = [page.evaluate(READ_TEXT, f".shelter-list li:nth-child({index})") for index in range(1, 4)]
    names = [
        page.evaluate(READ_TEXT, f".shelter-list li:nth-child({index}) h3").strip() for index in range(1, 4)
    ]
    assert names == expected["shelters"], names
    text = " ".join([*cards, page.evaluate(READ_TEXT, "#receive + p + p")])
    for sentence in expected["texts"]:
        assert sentence in text, sentence
    for japanese in expected["absent"]:
        assert japanese not in text, japanese
    if language == "en":  # nothing shown in Japanese for want of English: nothing marked as Japanese
        for index in range(1, 4):
            assert page.locator(f".shelter-list li:nth-child({index}) [lang='ja']").count() == 0
        assert page.locator("#receive + p + p [lang='ja']").count() == 0
    # The shelter list fits the narrow screen: no card wider than the viewport.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert_accessible(page, f"shelter-languages-{language}-390")
    screenshot(page, f"shelter-languages-{language}-390")


def test_staff_edit_shelters_in_eight_languages(new_context: Any) -> None:
    staff = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(staff, "kiki-kanri-supervisor@staff.iga.example.jp")
    staff.goto("/staff/alerts/guide/")
    assert staff.locator("#guide-how_to_receive-en").input_value().startswith("The city calls")
    assert_accessible(staff, "shelter-languages-staff-ja-1280")
    # A shelter whose every language is filled is folded: open the first.
    first = staff.locator("details.shelter-texts").first
    assert first.get_attribute("open") is None
    first.locator("summary").click()
    name_vi = first.locator("input[name$='-name-vi']")
    name_vi.fill("Địa điểm " * 30)
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    summary = staff.locator("#error-summary")
    assert "Tiếng Việt" in summary.inner_text() and "名称" in summary.inner_text()
    assert name_vi.input_value() == "Địa điểm " * 30  # what was typed is kept
    assert_accessible(staff, "shelter-languages-staff-ja-1280-error")
    name_vi.fill("")
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    assert staff.locator("#error-summary").count() == 0
    assert first.get_attribute("open") is not None  # a shelter with a missing language stays open
    status = first.locator("[id$='-name-vi-status']").inner_text()
    assert "日本語" in status, status  # Vietnamese readers now see the Japanese name
    screenshot(staff, "shelter-languages-staff-ja-1280")
    name_vi.fill("Hightopia Iga")  # put the demo's name back for other tests
    click_and_wait(staff, staff.locator("main form button[type=submit]"))

"""On a phone (390×844): the catalog found by kana, the plain word ranked first, a next step when
nothing matches, 妊娠・出産 with the 児童手当 claim; the assistant answering a Chinese and an
English question in their languages and meeting a question outside the city's services with
"not sure" and the inquiry offer. In 日本語, やさしい日本語 and English, axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, screenshot

pytestmark = pytest.mark.e2e

HEADINGS = {"ja": "回答", "ja-easy": "こたえ", "en": "Answers"}


def _search(page: Any, query: str) -> list[str]:
    page.fill("#q", query)
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").first.click()
    return [
        (href or "").strip("/").split("/")[-1]
        for href in page.locator(".card-list .card h3 a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
    ]


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_catalog_search_on_a_phone(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/")
    codes = _search(page, "じどうてあて")
    assert "child-allowance-certification" in codes, codes
    assert_accessible(page, f"catalog-kana-{language}")
    screenshot(page, f"catalog-kana-{language}")

    assert _search(page, "住民票")[0] == "residence-certificate-request"

    assert _search(page, "ドローン飛行許可") == []
    none = page.locator(".catalog-none")
    assert none.is_visible()
    assert none.locator("a[href^='/inquiries/new/?q=']").count() == 1
    assert_accessible(page, f"catalog-none-{language}")
    screenshot(page, f"catalog-none-{language}")
    with page.expect_navigation():
        none.locator("a[href^='/ask/?q=']").click()
    assert "/ask/?q=" in page.url
    assert_accessible(page, f"catalog-none-to-assistant-{language}")

    page.goto("/?life_event=pregnancy_birth")
    cards = page.locator(".card-list .card h3 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert "/procedures/child-allowance-certification/" in cards
    assert "/procedures/pregnancy-notification/" in cards
    assert_accessible(page, f"catalog-pregnancy-birth-{language}")


def _ask(page: Any, question: str) -> None:
    page.fill("#assist-q", question)
    with page.expect_navigation():
        page.click("#assist-form button[type=submit]")


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_assistant_languages_and_out_of_scope_on_a_phone(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/ask/")

    _ask(page, "我想申请儿童补贴")
    assert page.locator("#assist-results h2").first.inner_text().strip() == HEADINGS[language]
    first = page.locator(".assist-answers > li").first
    assert first.locator("h3 a").get_attribute("lang") == "zh-Hans"
    assert "儿童补贴" in first.locator("h3").inner_text()
    assert first.locator(".fallback-note").count() == 0
    assert_accessible(page, f"assistant-chinese-{language}")
    screenshot(page, f"assistant-chinese-{language}")
    with page.expect_navigation():
        first.locator("h3 a").click()
    assert "/faq/childcare-child-allowance-apply/" in page.url
    assert "儿童补贴" in page.locator("h1").inner_text()
    assert_accessible(page, f"assistant-chinese-faq-{language}")

    page.goto("/ask/")
    _ask(page, "How do I get a copy of my residence certificate?")
    first = page.locator(".assist-answers > li").first
    assert "residence certificate" in first.locator("h3").inner_text().lower()
    if language != "en":
        assert first.locator("h3 a").get_attribute("lang") == "en"
    assert_accessible(page, f"assistant-english-{language}")

    # Confidence labels never rise down the list.
    order = {"confidence-low": 0, "confidence-medium": 1, "confidence-high": 2}
    levels = [
        next(order[c] for c in (cls or "").split() if c in order)
        for cls in page.locator(".assist-answers .confidence").evaluate_all(
            "els => els.map(e => e.getAttribute('class'))"
        )
    ]
    assert levels == sorted(levels, reverse=True), levels

    page.goto("/ask/")
    _ask(page, "明日の天気は？")
    warning = page.locator(".panel-warning")
    assert warning.count() == 1
    assert warning.locator("a[href^='/inquiries/new/?q=']").count() == 1
    assert page.locator(".assist-answer-text").count() == 0  # no unrelated answer shown as one
    assert page.locator(".confidence-high, .confidence-medium").count() == 0
    assert_accessible(page, f"assistant-out-of-scope-{language}")
    screenshot(page, f"assistant-out-of-scope-{language}")

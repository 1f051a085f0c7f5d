"""Every language at 390 px: the catalog and an application step in Japanese, やさしい日本語 with
furigana, Portuguese and Vietnamese (screenshots in the e2e output folder), axe-core on each; and
the large-text and high-contrast displays."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait

pytestmark = pytest.mark.e2e

RESIDENT = "resident2@iga.example.jp"
PROCEDURE = "residence-certificate-request"
HTML_LANG = {"ja": "ja", "ja-easy": "ja", "pt-br": "pt-BR", "vi": "vi"}


@pytest.mark.parametrize("language", ["ja", "ja-easy", "pt-br", "vi"])
def test_catalog_and_a_step_in_each_language(new_context: Any, language: str) -> None:
    page = new_context(width=390, height=844).new_page()
    page.goto("/")
    page.select_option("#language-select", language)
    click_and_wait(page, page.locator("form.language-form button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == HTML_LANG[language]
    if language == "ja-easy":
        assert page.locator("main ruby rt").count() > 10  # readings on by default
    if language in ("pt-br", "vi"):
        # Procedure names exist in these languages; the rest is Japanese with readings and a note.
        assert page.locator("main ruby").count() == 0 or page.locator(".fallback-note").count() == 1
    assert_accessible(page, f"lang-{language}-390-catalog")

    page.goto("/accounts/login/")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    page.goto(f"/procedures/{PROCEDURE}/")
    assert_accessible(page, f"lang-{language}-390-procedure")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    assert "/steps/" in page.url, page.url
    assert page.locator("html").get_attribute("lang") == HTML_LANG[language]
    assert_accessible(page, f"lang-{language}-390-step")
    if language in ("pt-br", "vi"):
        assert page.locator(".fallback-note").count() == 1
        assert page.locator("main ruby rt").count() > 0
    click_and_wait(page, page.locator('button[name="action"][value="save_exit"]'))


def test_large_text_and_high_contrast(new_context: Any) -> None:
    page = new_context(width=390, height=844).new_page()
    page.goto("/")
    page.check("#display-text-large")
    page.check("#display-contrast-high")
    click_and_wait(page, page.locator("form.display-form button[type=submit]"))
    classes = page.locator("html").get_attribute("class") or ""
    assert "text-large" in classes and "contrast-high" in classes
    root_size = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert root_size == "20px", root_size
    assert_accessible(page, "display-large-contrast-390-catalog")
    page.goto("/procedures/child-allowance-certification/")
    assert_accessible(page, "display-large-contrast-390-procedure")


def test_text_zoomed_to_200_percent_loses_nothing(new_context: Any) -> None:
    """WCAG 1.4.4: at 200% text size on a 1280 px screen, nothing is cut off or scrolls sideways."""
    page = new_context(width=1280, height=900).new_page()
    page.goto("/procedures/child-allowance-certification/")
    page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"horizontal overflow of {overflow}px at 200% text"
    assert page.locator("main h1").is_visible()

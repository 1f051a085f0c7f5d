"""A survey from the resident's phone to the staff's chart.

Signed out on a phone, 伊賀市's open website survey is listed and answered in Japanese,
やさしい日本語 and English: sent without the required answers it names each question and keeps
what was typed; answered, it thanks the resident. The published disaster-information survey shows
its charts. Staff see the counts as a chart and a table on a desktop screen. axe on every page.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

COMMENT = {
    "ja": "検索で目的のページが見つかりませんでした。",
    "ja-easy": "文字を 大きく してほしい。",
    "en": "Menus are hard to find.",
}


def test_resident_answers_and_staff_see_the_chart(new_context: Any, server: Any) -> None:
    for language in ("ja", "ja-easy", "en"):
        page = new_context(width=390, height=844, language=language).new_page()
        page.goto("/surveys/")
        assert_accessible(page, f"surveys-list-{language}")
        click_and_wait(page, page.locator("main a[href='/surveys/homepage-2026/']"))
        assert_accessible(page, f"surveys-answer-{language}")
        page.fill("textarea[name='f.q7']", COMMENT[language])
        click_and_wait(page, page.locator("main form button[type=submit].button-primary"))
        summary = page.locator("#error-summary li")
        assert summary.count() == 3, summary.all_inner_texts()
        assert page.locator("textarea[name='f.q7']").input_value() == COMMENT[language]
        assert_accessible(page, f"surveys-answer-errors-{language}")
        screenshot(page, f"surveys-answer-errors-{language}")
        page.check("input[name='f.q1'][value='c2']")
        page.check("input[name='f.q2'][value='c1']")
        page.check("input[name='f.q3'][value='4']")
        page.check("input[name='f.q4.c3']")
        page.fill("input[name='f.q6']", "10")
        click_and_wait(page, page.locator("main form button[type=submit].button-primary"))
        assert page.url.endswith("/surveys/homepage-2026/thanks/"), page.url
        assert_accessible(page, f"surveys-thanks-{language}")
        screenshot(page, f"surveys-thanks-{language}")

    public = new_context(width=390, height=844, language="ja").new_page()
    public.goto("/surveys/bousai-info-2026/results/")
    assert public.locator("svg.survey-chart").count() == 3
    assert_accessible(public, "surveys-results-public")
    screenshot(public, "surveys-results-public")

    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "admin@staff.iga.example.jp")
    staff.goto("/staff/surveys/")
    assert_accessible(staff, "surveys-staff-list")
    click_and_wait(staff, staff.locator("main table a[href='/staff/surveys/homepage-2026/']"))
    assert staff.locator("svg.survey-chart").count() == 5
    assert "63件" in staff.locator("main .summary-list").inner_text()
    assert staff.locator(".survey-answers-text li", has_text=COMMENT["ja"]).count() == 1
    assert_accessible(staff, "surveys-staff-results")
    screenshot(staff, "surveys-staff-results")
    click_and_wait(staff, staff.locator("main a[href='/staff/surveys/homepage-2026/close/']"))
    assert_accessible(staff, "surveys-staff-close-second-look")
    staff.goto("/staff/surveys/new/")
    assert_accessible(staff, "surveys-staff-new")
    screenshot(staff, "surveys-staff-new")

"""A survey from the resident's phone to the staff's chart.

Signed out on a phone, 伊賀市's open website survey is listed and answered in Japanese,
やさしい日本語 and English: sent without the required answers it names each question and keeps
what was typed; answered, it thanks the resident. The published disaster-information survey shows
its charts. Staff see the counts as a chart and a table on a desktop screen. axe on every page.

A second journey: staff make a signed survey, give a question a condition in the form builder,
look at it on a phone and start taking answers; residents in three languages are asked to sign
in, then answer, and the question with the condition appears only after the answer it needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, screenshot, staff_sign_in

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
        screenshot(page, f"surveys-list-{language}")
        click_and_wait(page, page.locator("main a[href='/surveys/homepage-2026/']"))
        assert_accessible(page, f"surveys-answer-{language}")
        screenshot(page, f"surveys-answer-{language}")
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

    for language in ("ja", "ja-easy", "en"):
        public = new_context(width=390, height=844, language=language).new_page()
        public.goto("/surveys/bousai-info-2026/results/")
        assert public.locator("svg.survey-chart").count() == 3
        assert public.locator("#small-counts").count() == 1
        assert_accessible(public, f"surveys-results-public-{language}")
        screenshot(public, f"surveys-results-public-{language}")

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


SIGNED = "gomi-e2e"
RESIDENTS = {
    "ja": "resident1@iga.example.jp",
    "ja-easy": "resident2@iga.example.jp",
    "en": "resident3@iga.example.jp",
}


def test_staff_build_a_signed_survey_with_a_condition_and_residents_answer(
    new_context: Any, server: Any
) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "admin@staff.iga.example.jp")
    staff.goto("/staff/surveys/new/")
    today = dt.date.today()
    fields = {
        "title_ja": "ごみの出し方アンケート",
        "title_ja_easy": "ごみの だしかた アンケート",
        "title_en": "Survey on putting out waste",
        "description_ja_easy": "ごみの だしかたを おしえて ください。",
        "code": SIGNED,
        "opens_on": (today - dt.timedelta(days=1)).isoformat(),
        "closes_on": (today + dt.timedelta(days=14)).isoformat(),
        "q1_label_ja": "分別は分かりやすいですか",
        "q1_label_ja_easy": "ごみの わけかたは わかりやすいですか",
        "q1_label_en": "Is sorting clear?",
        "q1_choices_ja": "はい\nいいえ",
        "q1_choices_ja_easy": "はい\nいいえ",
        "q1_choices_en": "Yes\nNo",
        "q2_label_ja": "分かりにくい点",
        "q2_label_ja_easy": "わかりにくい ところ",
        "q2_label_en": "What is unclear",
    }
    for name, value in fields.items():
        staff.fill(f"#id_{name}", value)
    staff.select_option("#id_q1_kind", "single")
    staff.select_option("#id_q2_kind", "text")
    staff.check("#id_q1_required")
    staff.check("#id_signed")
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    assert staff.url.endswith(f"/staff/surveys/{SIGNED}/"), staff.url
    assert_accessible(staff, "surveys-staff-draft")
    click_and_wait(staff, staff.locator(f"main a[href='/staff/surveys/{SIGNED}/edit/']"))
    assert_accessible(staff, "surveys-staff-edit")
    staff.goto(f"/staff/surveys/{SIGNED}/")
    click_and_wait(staff, staff.locator(f"main a[href='/staff/surveys/{SIGNED}/builder/']"))
    assert_accessible(staff, "surveys-builder-overview")
    staff.goto(f"/staff/surveys/{SIGNED}/builder/add/?step=page1")
    assert staff.locator("#type-file").count() == 0 and staff.locator("#type-radio").count() == 1
    assert_accessible(staff, "surveys-builder-add")
    staff.goto(f"/staff/surveys/{SIGNED}/builder/items/q2/")
    assert_accessible(staff, "surveys-builder-item")
    staff.select_option("#when_field", "q1")
    staff.select_option("#when_operator", "equals")
    staff.select_option("#when_value", "q1:c2")
    click_and_wait(staff, staff.locator("main form button[type=submit].button-primary"))
    assert staff.locator("#item-q2 .builder-item-meta").count() == 1
    screenshot(staff, "surveys-builder-overview")
    staff.goto(f"/staff/surveys/{SIGNED}/builder/preview/")
    assert_accessible(staff, "surveys-builder-preview")
    staff.goto(f"/staff/surveys/{SIGNED}/open/")
    click_and_wait(staff, staff.locator("main form button[type=submit]"))
    assert staff.locator(f"main a[href='/staff/surveys/{SIGNED}/builder/']").count() == 0

    for language, email in RESIDENTS.items():
        page = new_context(width=390, height=844, language=language).new_page()
        page.goto(f"/surveys/{SIGNED}/")
        assert_accessible(page, f"surveys-signed-sign-in-{language}")
        screenshot(page, f"surveys-signed-sign-in-{language}")
        click_and_wait(page, page.locator("main a[href^='/accounts/login/']"))
        page.fill("#id_email", email)
        page.fill("#id_password", DEMO_PASSWORD)
        click_and_wait(page, page.locator("main form").last.locator("button[type=submit]"))
        assert page.url.endswith(f"/surveys/{SIGNED}/"), page.url
        assert page.locator("textarea[name='f.q2']").is_hidden()
        page.check("input[name='f.q1'][value='c2']")
        assert page.locator("textarea[name='f.q2']").is_visible()
        assert_accessible(page, f"surveys-signed-answer-{language}")
        screenshot(page, f"surveys-signed-answer-{language}")
        page.fill("textarea[name='f.q2']", "曜日")
        click_and_wait(page, page.locator("main form button[type=submit].button-primary"))
        assert page.url.endswith(f"/surveys/{SIGNED}/thanks/"), page.url
        page.goto(f"/surveys/{SIGNED}/")
        assert page.locator("#already-answered").count() == 1
        screenshot(page, f"surveys-signed-already-{language}")

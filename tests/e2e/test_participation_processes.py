"""市民生活課's head drafts a theme at the staff desk (1280×800): Japanese, やさしい日本語 and English
texts, two phases with their dates, a look at a phase and its removal page (kept), then publishes
the theme after the second look, which lists the languages still missing; residents then find it
on the portal's list of themes. axe on every page on the way."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "shimin-seikatsu-admin@staff.iga.example.jp"
TITLE = "服部川の川辺づくり"
TITLE_EASY = "服部川の 川辺を どう するか"
TITLE_EN = "Shaping the banks of the Hattori River"


def _add_phase(page: Any, kind: str, first: dt.date, last: dt.date, rules: dict[str, str]) -> None:
    page.select_option("#id_new-kind", kind)
    page.fill("#id_new-starts_on", first.isoformat())
    page.fill("#id_new-ends_on", last.isoformat())
    for code, text in rules.items():
        page.fill(f"#id_new-rules-{code}", text)
    click_and_wait(page, page.locator("form:has(#id_new-kind) button[type=submit]"))


def test_staff_draft_a_theme_with_two_phases_and_publish_it_after_a_second_look(
    new_context: Any, server: Any
) -> None:
    page = new_context(width=1280, height=800).new_page()
    staff_sign_in(page, CLERK)
    page.goto("/staff/participation/")
    click_and_wait(page, page.locator("nav a[href='/staff/participation/themes/']").first)
    assert "上野地区の空き家活用" in page.locator("main").inner_text()
    assert_accessible(page, "participation-themes-01-list")

    click_and_wait(page, page.locator("main a[href$='/themes/new/']"))
    click_and_wait(page, page.locator("main form button[type=submit]"))  # nothing filled in
    assert page.locator("#error-summary a[href='#id_slug']").count() == 1
    assert_accessible(page, "participation-themes-02-new-error")
    page.fill("#id_slug", "hattori-kawabe")
    page.fill("#id_title-ja", TITLE)
    page.fill("#id_title-ja-easy", TITLE_EASY)
    page.fill("#id_title-en", TITLE_EN)
    page.fill("#id_description-ja", "服部川の川辺を、散歩や遊びの場としてどう整えるか、提案を募集します。")
    page.fill("#id_description-ja-easy", "服部川の 川辺を どう 使いたいか、アイデアを 教えてください。")
    page.fill(
        "#id_description-en",
        "Tell us how the banks of the Hattori River could become a place to walk and play.",
    )
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/edit/" in page.url, page.url

    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    _add_phase(
        page,
        "proposals",
        today,
        today + dt.timedelta(days=30),
        {
            "ja": "市内に住む方が提案できます。",
            "ja-easy": "伊賀市に 住んでいる 人が 提案 できます。",
            "en": "Residents of the city may propose.",
        },
    )
    _add_phase(
        page,
        "results",
        today + dt.timedelta(days=31),
        today + dt.timedelta(days=90),
        {
            "ja": "すべての提案に市が回答します。",
            "ja-easy": "市が すべての 提案に 答えます。",
            "en": "The city answers every proposal.",
        },
    )
    main = page.locator("main").inner_text()
    last = today + dt.timedelta(days=90)
    assert f"{last.year}年{last.month}月{last.day}日" in main
    assert last.isoformat() not in main
    assert page.locator("main table tbody tr").count() == 2
    assert_accessible(page, "participation-themes-03-edit")

    click_and_wait(page, page.locator("main table tbody tr").first.locator("a"))
    assert page.locator("#id_kind").input_value() == "proposals"
    assert_accessible(page, "participation-themes-04-phase")
    click_and_wait(page, page.locator("main a[href$='/remove/']"))
    assert_accessible(page, "participation-themes-05-phase-remove")
    click_and_wait(page, page.locator("main .form-actions a"))  # cancel: the phase stays

    page.goto(page.url.split("/phases/")[0] + "/edit/")
    click_and_wait(page, page.locator("main a[href$='/publish/']"))
    text = page.locator("main").inner_text()
    assert TITLE_EASY in text and TITLE_EN in text
    assert "Português (Brasil)" in text and "Filipino" in text  # still missing: residents read Japanese
    assert_accessible(page, "participation-themes-06-publish")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/edit/" in page.url
    assert page.locator("main a[href='/participation/hattori-kawabe/']").count() == 1

    resident = new_context(width=1280, height=800).new_page()
    resident.goto("/participation/")
    assert TITLE in resident.locator("main").inner_text()
    assert_accessible(resident, "participation-themes-07-portal")

"""A change to a form, from the builder to residents, with drafts started before it.

度会町's city administrator (1280×800) adds to 粗大ごみ収集の申込, with the builder alone, a yes/no
question shown only for one district and a repeated group of the people who will be there;
previews the draft on the phone frame, reads the difference from the published version and
publishes it after the confirmation. A resident (390×844) then applies with the new questions,
and a resident who had started on the earlier version finishes that draft unchanged. 度会町 keeps
this walk apart from the other browser tests, which change 伊賀市's copy of the form.
"""

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
    staff_sign_in,
)

pytestmark = pytest.mark.e2e

CODE = "bulky-waste-collection"
ADMIN = "admin@staff.watarai.example.jp"
EARLY_RESIDENT = "resident1@watarai.example.jp"
LATER_RESIDENT = "resident2@watarai.example.jp"
DEFINITION = (
    Path(__file__).resolve().parents[2] / "src" / "idx" / "procedures" / "definitions" / f"{CODE}.yaml"
)
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/?#]+)/")
QUESTION = "運び出しの手伝いが必要ですか"
GROUP = "当日立ち会う人"


def _example() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"])


def _start(page: Any, email: str) -> str:
    """Sign in from the procedure's page and land on the first step; the draft's address."""
    page.goto(f"/procedures/{CODE}/")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    page.fill("#id_email", email)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form").last.locator("button[type=submit]"))
    if STEP_URL.search(page.url) is None:
        click_and_wait(page, page.locator("main form[action$='/start/'] button[type=submit]"))
    match = STEP_URL.search(page.url)
    assert match, page.url
    return f"/my/applications/{match.group('id')}/"


def _next(page: Any) -> None:
    click_and_wait(page, page.locator("main form button[type=submit][name=action][value=next]"))
    assert_no_form_errors(page)


def _add_question(page: Any, link: Any, kind: str, labels: tuple[str, str, str], *, required: bool) -> None:
    click_and_wait(page, link)
    assert_accessible(page, f"journey-builder-add-{kind}")
    page.locator(f"#type-{kind}").check()
    page.fill("#label_ja", labels[0])
    page.fill("#label_ja_easy", labels[1])
    page.fill("#label_en", labels[2])
    page.locator("#required").set_checked(required)
    click_and_wait(page, page.locator("main form button.button-primary"))
    assert "/builder/items/" in page.url, page.url


def test_a_form_change_reaches_residents_and_old_drafts_still_work(new_context: Any, server: Any) -> None:
    watarai = server.url("", host="watarai.localhost").rstrip("/")
    answers = _example()

    # A resident starts on the published version and stops after the first step.
    early = new_context(width=390, height=844, language="ja", base_url=watarai).new_page()
    early_draft = _start(early, EARLY_RESIDENT)
    fill_answers(early, answers)
    _next(early)

    # The city administrator changes the form in the builder.
    admin = new_context(width=1280, height=800, language="ja", base_url=watarai).new_page()
    staff_sign_in(admin, ADMIN)
    admin.goto("/staff/procedures/")
    click_and_wait(admin, admin.locator(f"main a[href='/staff/procedures/{CODE}/builder/']"))
    assert_accessible(admin, "journey-builder-overview")
    builder = admin.url

    _add_question(
        admin,
        admin.locator("#step-schedule a[href$='/builder/add/?step=schedule']"),
        "yes_no",
        (QUESTION, "ごみを家の外に出すのを、手伝ってほしいですか", "Do you need help carrying the items out"),
        required=True,
    )
    # Shown only for one district, chosen from menus.
    admin.select_option("#when_field", "area")
    admin.select_option("#when_operator", "equals")
    admin.select_option("#when_value", "area:ayama")
    click_and_wait(admin, admin.locator("main form button.button-primary"))
    assert_no_form_errors(admin)

    admin.goto(builder)
    _add_question(
        admin,
        admin.locator("#step-schedule a[href$='/builder/add/?step=schedule']"),
        "repeat",
        (GROUP, "その日に家にいる人", "People who will be there"),
        required=False,
    )
    admin.goto(builder)
    _add_question(
        admin,
        admin.locator("main a[href*='group=people_who_will_be_there']").first,
        "name",
        ("氏名", "名前", "Name"),
        required=True,
    )
    admin.goto(builder)
    overview = admin.locator("main").inner_text()
    assert QUESTION in overview and GROUP in overview

    # The draft on a phone, step by step.
    click_and_wait(admin, admin.locator(f"main a[href='/staff/procedures/{CODE}/builder/preview/']"))
    assert_accessible(admin, "journey-builder-preview")
    for step in range(2, 5):
        if GROUP in admin.locator(".builder-phone").inner_text():
            break
        click_and_wait(admin, admin.locator(f"main a[href='?step={step}']").first)
    assert GROUP in admin.locator(".builder-phone").inner_text()

    # The difference from the published version, then publishing after the confirmation.
    admin.goto(f"/staff/procedures/{CODE}/publish/")
    assert_accessible(admin, "journey-publish")
    changes = admin.locator("main").inner_text()
    assert QUESTION in changes and GROUP in changes
    assert "阿山地区" in changes and "ayama" not in changes  # the condition in words, not codes
    admin.locator("input[name=when][value=now]").check()
    admin.locator("input[name=confirm]").check()
    click_and_wait(admin, admin.locator("main form button.button-primary"))
    assert "公開しました" in admin.locator("body").inner_text()

    # A resident of 阿山 applies with the new questions.
    later = new_context(width=390, height=844, language="ja", base_url=watarai).new_page()
    later_draft = _start(later, LATER_RESIDENT)
    fill_answers(later, {**answers, "area": "ayama"})
    _next(later)
    fill_answers(later, answers)
    _next(later)
    assert later.locator("body").inner_text().count(QUESTION) >= 1
    assert_accessible(later, "journey-resident-new-questions")
    fill_answers(
        later,
        {
            **answers,
            "do_you_need_help_carrying_the_items_out": True,
            "people_who_will_be_there": [{"name": "度会 花子"}],
        },
    )
    _next(later)
    fill_answers(later, answers)
    _next(later)
    assert "/review/" in later.url, later.url
    review = later.locator("main").inner_text()
    assert QUESTION in review and "度会 花子" in review
    later.locator("#declaration").check()
    click_and_wait(later, later.locator("main form button[type=submit]").last)
    assert_no_form_errors(later)
    later.goto(later_draft)
    assert "受付" in later.locator("main").inner_text()

    # The early draft stays on its version: none of the new questions, and it is sent.
    early.goto(f"{early_draft}steps/schedule/")
    assert QUESTION not in early.locator("main").inner_text()
    assert GROUP not in early.locator("main").inner_text()
    early.goto(f"{early_draft}steps/items/")
    fill_answers(early, answers)
    _next(early)
    fill_answers(early, answers)
    _next(early)
    fill_answers(early, answers)
    _next(early)
    assert "/review/" in early.url, early.url
    early.locator("#declaration").check()
    click_and_wait(early, early.locator("main form button[type=submit]").last)
    assert_no_form_errors(early)
    early.goto(early_draft)
    assert "受付" in early.locator("main").inner_text()

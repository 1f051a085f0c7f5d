"""A スマホ教室 from the waiting list to the door.

Signed out on a phone, the events and the full スマホ教室 read in Japanese, やさしい日本語 and
English. A resident signs in, asks in advance for help with signing in by My Number Card, finds
the class full and joins the waiting list. Two registrants cancel (a second look each); the
resident moves up and sees it, with the QR code, on their page. At the door, 介護高齢福祉課 sees
the help asked for and checks the resident in by typing the code under the QR; a second check-in
says so and changes nothing. axe on every page on the way.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

SMARTPHONE = {"ja": "スマホ", "ja-easy": "スマホ", "en": "Smartphone class"}  # the soonest is the class
HELP_NOTE = "マイナポータルで電子証明書の期限を確かめたいです。"


def _plain(locator: Any) -> str:
    """The text as read, without the readings (ruby) that the site adds above kanji."""
    return str(
        locator.evaluate(
            "e => { const c = e.cloneNode(true); c.querySelectorAll('rt, rp').forEach(x => x.remove());"
            " return c.textContent.replace(/\\s+/g, ''); }"
        )
    )


def _sign_in(page: Any, email: str) -> None:
    assert "/accounts/login/" in page.url, page.url
    page.fill("#id_email", email)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form").last.locator("button[type=submit]"))


def _class_link(page: Any, language: str) -> Any:
    return page.locator("main .ev-card h3 a", has_text=re.compile(SMARTPHONE[language])).first


def _cancel_own(new_context: Any, email: str, event_path: str) -> None:
    page = new_context(width=390, height=844).new_page()
    page.goto(event_path)
    click_and_wait(page, page.locator("main a[href^='/accounts/login/']"))
    _sign_in(page, email)
    click_and_wait(page, page.locator("main a[href^='/my/events/']"))
    click_and_wait(page, page.locator("main a[href$='/cancel/']"))
    assert_accessible(page, f"events-cancel-{email.split('@')[0]}")
    click_and_wait(page, page.locator("main form button[type=submit].button-danger"))
    assert "cancelled" in page.locator("#registration-status .status").get_attribute("class")


def test_waiting_list_promotion_and_check_in(new_context: Any, server: Any) -> None:
    event_path = ""
    for language in ("ja", "ja-easy", "en"):
        page = new_context(width=390, height=844, language=language).new_page()
        page.goto("/events/")
        assert_accessible(page, f"events-list-{language}")
        page.select_option("#id_category", "digital_support")
        click_and_wait(page, page.locator("form[role=search] button[type=submit]"))
        click_and_wait(page, _class_link(page, language))
        event_path = urlsplit(page.url).path
        assert page.locator(".ev-accessibility li").count() >= 3
        assert_accessible(page, f"events-detail-{language}")

    resident = new_context(width=390, height=844).new_page()
    resident.goto(event_path)
    click_and_wait(resident, resident.locator("main a[href^='/accounts/login/']"))
    _sign_in(resident, "resident1@iga.example.jp")
    assert event_path in resident.url, resident.url
    # Full: the page offers the waiting list instead of a place.
    assert resident.locator("main .ev-register button[type=submit]").count() == 1
    assert resident.locator("button[name=waitlist]").count() == 1
    resident.check("input[name=help_topics][value=mynumber_login]")
    resident.fill("#id_help_note", HELP_NOTE)
    assert_accessible(resident, "events-full-offer-waitlist")
    click_and_wait(resident, resident.locator("button[name=waitlist]"))
    assert "/my/events/" in resident.url
    assert "waitlisted" in resident.locator("#registration-status .status").get_attribute("class")
    assert_accessible(resident, "events-waitlisted")
    registration_path = resident.url.split("/my/events/", 1)[1]

    # 伊賀 二郎 was first in line: two cancellations move both of them up.
    _cancel_own(new_context, "resident3@iga.example.jp", event_path)
    _cancel_own(new_context, "resident4@iga.example.jp", event_path)

    resident.goto(f"/my/events/{registration_path}")
    assert "confirmed" in resident.locator("#registration-status .status").get_attribute("class")
    assert resident.locator(".ev-qr svg").count() == 1
    code = resident.locator("#check-in-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{10}", code), code
    assert_accessible(resident, "events-promoted-with-qr")
    assert HELP_NOTE.replace(" ", "") in _plain(resident.locator("main"))

    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "kaigo-koureifukushi@staff.iga.example.jp")
    staff.goto("/staff/events/")
    assert_accessible(staff, "events-staff-list")
    click_and_wait(staff, staff.locator("main table a", has_text="スマホ教室"))
    row = staff.locator("#participants tr", has_text=HELP_NOTE)
    assert row.count() == 1
    assert "マイナンバーカードでログインしたい" in row.inner_text()
    assert staff.locator("#count-confirmed").inner_text() == "3"
    assert_accessible(staff, "events-staff-participants")
    click_and_wait(staff, staff.locator("main a[href$='/check-in/']"))
    assert_accessible(staff, "events-staff-check-in")
    staff.fill("#id_code", code.lower())
    click_and_wait(staff, staff.locator("#check-in-form button[type=submit]"))
    result = staff.locator("#check-in-result")
    assert (
        "受付しました" in result.inner_text() and "マイナンバーカードでログインしたい" in result.inner_text()
    )
    assert_accessible(staff, "events-staff-checked-in")
    staff.fill("#id_code", code)
    click_and_wait(staff, staff.locator("#check-in-form button[type=submit]"))
    assert "受付済み" in staff.locator("#check-in-result").inner_text()
    screenshot(staff, "events-staff-checked-in-again")

    # Who manages events: a new event of the own department, and the second look before cancelling one.
    manager = new_context(width=1280, height=800).new_page()
    staff_sign_in(manager, "supervisor@staff.iga.example.jp")
    manager.goto("/staff/events/")
    click_and_wait(manager, manager.locator("main a[href='/staff/events/new/']"))
    assert_accessible(manager, "events-staff-new")
    manager.goto("/staff/events/")
    click_and_wait(manager, manager.locator("main table a").first)
    click_and_wait(manager, manager.locator("main a[href$='/cancel/']"))
    assert manager.locator("#id_reason").count() == 1
    assert_accessible(manager, "events-staff-cancel-second-look")
    admin = new_context(width=1280, height=800).new_page()
    staff_sign_in(admin, "admin@staff.iga.example.jp")
    admin.goto("/staff/events/managed/")
    assert admin.locator("main table tbody tr").count() >= 10
    assert_accessible(admin, "events-staff-managed")

    resident.reload()
    assert resident.locator("#registration-status .status-approved").count() == 1
    screenshot(resident, "events-resident-checked-in")


HELP_DESK = {"ja": "マイナンバーカード", "ja-easy": "マイナンバーカード", "en": "My Number Card"}
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")  # not the phone number 0595-22-9611
UNMARKED_JAPANESE = """() => {
  const bad = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.textContent.trim();
    if (!/[\\u3040-\\u30ff\\u4e00-\\u9fff]{2}/.test(text)) continue;
    const marked = node.parentElement.closest('[lang]');
    if (!marked || !marked.lang.startsWith('ja')) bad.push(text.slice(0, 40));
  }
  return bad;
}"""


@pytest.mark.parametrize(
    ("language", "email"),
    [
        ("ja", "resident3@iga.example.jp"),
        ("ja-easy", "resident4@iga.example.jp"),
        ("en", "resident5@iga.example.jp"),
    ],
)
def test_a_resident_asks_for_help_in_advance_in_their_language(
    new_context: Any, server: Any, language: str, email: str
) -> None:
    """Signed out, the help desk in the resident's language; signed in, help asked for, then their
    page with the QR code; no ISO date anywhere, and Japanese shown to an English reader marked lang="ja"."""
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/events/?category=digital_support")
    click_and_wait(page, page.locator("main .ev-card h3 a", has_text=HELP_DESK[language]).first)
    event_path = urlsplit(page.url).path
    main = page.locator("main")
    assert not ISO_DATE.search(main.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if language == "en":
        assert page.evaluate(UNMARKED_JAPANESE) == []
    assert_accessible(page, f"events-help-desk-signed-out-{language}")
    click_and_wait(page, page.locator("main a[href^='/accounts/login/']"))
    _sign_in(page, email)
    assert event_path in page.url, page.url
    page.check("input[name=help_topics][value=online_application]")
    page.fill("#id_help_note", "児童手当の現況届をオンラインで出してみたいです。")
    assert_accessible(page, f"events-help-desk-ask-{language}")
    click_and_wait(page, page.locator("main .ev-register button[type=submit]").first)
    assert "/my/events/" in page.url, page.url
    assert "confirmed" in page.locator("#registration-status .status").get_attribute("class")
    assert page.locator(".ev-qr svg").count() == 1
    assert not ISO_DATE.search(main.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if language == "en":
        assert page.evaluate(UNMARKED_JAPANESE) == []
    assert_accessible(page, f"events-help-desk-registered-{language}")


def test_the_department_changes_an_event_after_a_second_look(new_context: Any, server: Any) -> None:
    """More places and a new room for the 子育て講座: the registrants are told only after a second look."""
    manager = new_context(width=1280, height=800).new_page()
    staff_sign_in(manager, "supervisor@staff.iga.example.jp")
    manager.goto("/staff/events/")
    click_and_wait(manager, manager.locator("main table a").first)
    click_and_wait(manager, manager.locator("main a[href$='/edit/']"))
    assert_accessible(manager, "events-staff-edit")
    places = int(manager.input_value("#id_capacity"))
    manager.fill("#id_capacity", str(places + 5))
    manager.fill("#id_place_ja", (manager.input_value("#id_place_ja") or "ハイトピア伊賀") + "（会場変更）")
    click_and_wait(manager, manager.locator("main form button[type=submit].button-primary"))
    if manager.locator("button[name=confirmed], input[name=confirmed]").count():
        assert_accessible(manager, "events-staff-edit-second-look")
        click_and_wait(manager, manager.locator("main form button[type=submit].button-warning"))
    assert "/edit/" not in manager.url
    assert_accessible(manager, "events-staff-edited")

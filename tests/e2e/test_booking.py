"""Counter booking in the browser: a resident books a slot on a 360 px phone and the confirmation
with its .ics arrives at the local SMTP server; a clerk issues a walk-in ticket and its number
appears on the waiting-room display. Every page visited is checked with axe-core."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import pytest
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

RESIDENT = "resident3@iga.example.jp"
CLERK = "jumin@staff.iga.example.jp"


def _keep_raw_messages(mailbox: Any) -> list[email.message.EmailMessage]:
    """Let the session's mailbox also keep whole messages (it decodes only the text body)."""
    raw = getattr(mailbox, "raw_messages", None)
    if raw is not None:
        return raw
    raw = []
    original = mailbox.handle_DATA

    async def handle_data(server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw.append(email.message_from_bytes(content, policy=email.policy.default))
        return await original(server, session, envelope)

    mailbox.handle_DATA = handle_data  # aiosmtpd looks the hook up per connection
    mailbox.raw_messages = raw
    return raw


def test_resident_books_a_slot_and_gets_the_ics(new_context: Any, mailbox: Any) -> None:
    raw = _keep_raw_messages(mailbox)
    page = new_context(width=360, height=740).new_page()
    page.goto("/accounts/login/")
    page.fill("#id_email", RESIDENT)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    page.goto("/booking/")
    assert_accessible(page, "booking-01-services")
    click_and_wait(page, page.locator("a[href='/booking/mynumber-card/']"))
    assert_accessible(page, "booking-02-slots")
    # The tap target of a slot is its whole label, at least 44 px high.
    label = page.locator(".slot label").first
    box = label.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    chosen_time = label.inner_text().split()[0]
    label.click()
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert "/booking/my/" in page.url, page.url
    code = page.locator(".booking-code strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{8}", code), code
    assert_accessible(page, "booking-03-confirmed")

    mail = mailbox.wait_for(
        lambda m: RESIDENT in m.to and "マイナンバーカード受取" in m.subject, what="the booking confirmation"
    )
    assert code in mail.body
    message = next(item for item in raw if code in item.get_body(preferencelist=("plain",)).get_content())
    ics = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(ics) == 1 and ics[0].get_filename() == "booking.ics"
    text = ics[0].get_content()
    assert "METHOD:REQUEST" in text and "TZID=Asia/Tokyo" in text and "BEGIN:VTIMEZONE" in text
    assert f"T{chosen_time.replace(':', '')}00" in text  # DTSTART in the city's local time

    page.goto("/booking/my/")
    assert code in page.inner_text("main")
    assert_accessible(page, "booking-04-my-bookings")


def test_walk_in_ticket_appears_on_the_display(new_context: Any) -> None:
    clerk = new_context(width=1280, height=900).new_page()
    clerk.goto("/staff/login/")
    staff_sign_in(clerk, CLERK)
    click_and_wait(clerk, clerk.locator("nav a[href='/staff/booking/']"))
    assert_accessible(clerk, "booking-05-staff-day")
    clerk.goto("/staff/booking/counter/")
    option = clerk.locator("#walk-in-service option", has_text="住民票窓口").get_attribute("value")
    clerk.select_option("#walk-in-service", option)
    click_and_wait(clerk, clerk.locator("form[action='/staff/booking/counter/walk-in/'] button[type=submit]"))
    number = clerk.locator("#issued-number").inner_text().strip()
    ticket_code = clerk.locator("#issued-code").inner_text().strip()
    assert re.fullmatch(r"J-\d{3}", number), number
    assert_accessible(clerk, "booking-06-counter")

    screen = new_context(width=1280, height=800).new_page()
    screen.goto("/booking/display/")
    # Without JavaScript the page reloads itself (<noscript> meta refresh); with it, the numbers
    # are fetched in place (checked below when the clerk calls the number).
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in screen.content()
    assert screen.locator("body").get_attribute("data-refresh") == "10"
    assert number in screen.locator(".display-waiting").inner_text()
    assert_accessible(screen, "booking-07-display")
    screen.goto("/booking/display/?refresh=off")
    assert_accessible(screen, "booking-08-display-static")

    phone = new_context(width=360, height=740).new_page()
    phone.goto("/booking/ticket/")
    assert_accessible(phone, "booking-09-ticket-lookup")
    phone.fill("#code", ticket_code)
    click_and_wait(phone, phone.locator("main form button[type=submit]"))
    assert number in phone.locator(".ticket-number").inner_text()
    phone.goto(phone.url + "?refresh=off")
    assert_accessible(phone, "booking-10-ticket")

    # The clerk calls it: the display, open since before the call, shows it as called within one
    # refresh, updated in place without a reload.
    screen.goto("/booking/display/")
    screen.evaluate("() => { window.__kept = true }")
    clerk.goto("/staff/booking/counter/")
    click_and_wait(
        clerk, clerk.locator("form[action='/staff/booking/counter/call-next/'] button[type=submit]")
    )
    screen.wait_for_function(
        "n => document.querySelector('.display-calling') && document.querySelector('.display-calling').innerText.includes(n)",
        arg=number,
        timeout=25_000,
    )
    assert screen.evaluate("() => window.__kept === true"), (
        "the page was reloaded instead of updated in place"
    )

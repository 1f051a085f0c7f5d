"""Confirmation, cancellation and reminder messages; the .ics attachment; e-mail over real SMTP."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from icalendar import Calendar

from idx.booking import selectors
from idx.booking.messages import booking_notify
from idx.booking.models import Booking
from idx.booking.services import bookings as booking_services
from idx.notifications.models import Message
from idx.notifications.services import PLACEHOLDERS, TemplateInvalid, template_save
from tests.booking.conftest import NOW, at

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def _event(text: str):
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_confirmation_carries_an_ics_in_tokyo_time(service, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_services.booking_create(
            resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
        )
    email = Message.objects.get(recipient=resident, purpose="booking_confirmation", channel="email")
    assert Message.objects.filter(
        recipient=resident, purpose="booking_confirmation", channel="inbox"
    ).exists()
    assert email.attachment_name == "booking.ics"
    assert email.attachment_type == "text/calendar; method=REQUEST"
    assert booking.code in email.body and "試験相談" in email.subject
    calendar, event = _event(email.attachment_text)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == dt.datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)
    assert start.utcoffset() == dt.timedelta(hours=9) and end - start == dt.timedelta(minutes=30)
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert str(event["UID"]) == booking.ics_uid
    assert str(event["SUMMARY"]).startswith("試験相談")
    assert str(event["LOCATION"]) == service.department.counter
    assert booking.code in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(f"/booking/my/{booking.public_id}/")
    assert int(event["SEQUENCE"]) == 0


def test_cancellation_sends_method_cancel(service, resident, django_capture_on_commit_callbacks):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=resident, now=NOW)
    email = Message.objects.get(recipient=resident, purpose="booking_cancellation", channel="email")
    assert email.attachment_type == "text/calendar; method=CANCEL"
    calendar, event = _event(email.attachment_text)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == booking.ics_uid and int(event["SEQUENCE"]) == 1


def test_online_consultation_has_the_meeting_link(iga, resident, django_capture_on_commit_callbacks):
    from idx.booking.models import Service

    service = Service.objects.get(municipality=iga, code="kosodate-soudan")
    assert service.online_possible and service.meeting_url
    slot = next(slot for day in selectors.slot_days(service=service) for slot in day.slots if slot.free)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_services.booking_create(
            resident=resident, service=service, starts_at=slot.starts_at, online=True
        )
    email = Message.objects.get(recipient=resident, purpose="booking_confirmation", channel="email")
    assert booking.meeting_url.startswith(service.meeting_url + "/") and booking.meeting_url in email.body
    _calendar, event = _event(email.attachment_text)
    assert str(event["LOCATION"]) == booking.meeting_url


def test_messages_are_sent_once(service, resident):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    assert booking_notify(booking.pk, "confirmation", 0) == 2  # inbox and e-mail
    assert booking_notify(booking.pk, "confirmation", 0) == 0


def test_reminders_for_tomorrow_are_idempotent(service, resident, other_resident):
    tomorrow = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    later = booking_services.booking_create(
        resident=other_resident, service=service, starts_at=at("2026-12-03", "10:00"), now=NOW
    )
    call_command("booking_reminders", today="2026-12-01")
    call_command("booking_reminders", today="2026-12-01")
    reminders = Message.objects.filter(purpose="booking_reminder")
    assert set(reminders.values_list("recipient_id", "channel")) == {
        (resident.pk, "inbox"),
        (resident.pk, "email"),
    }
    assert reminders.count() == 2
    email = reminders.get(channel="email")
    assert "10:00" in email.subject and not email.attachment_name
    assert Booking.objects.get(pk=tomorrow.pk).reminded_at is not None
    assert Booking.objects.get(pk=later.pk).reminded_at is None


def test_cities_can_word_booking_messages(iga):
    assert {"booking_confirmation", "booking_cancellation", "booking_reminder"} <= set(PLACEHOLDERS)
    template_save(
        municipality=iga,
        purpose="booking_reminder",
        language="ja",
        subject="明日 {time}",
        body="{name}様 {code}",
    )
    with pytest.raises(TemplateInvalid):
        template_save(municipality=iga, purpose="booking_reminder", language="ja", subject="{nope}", body="x")


@pytest.mark.django_db(transaction=True)
def test_the_email_with_the_ics_arrives_at_the_smtp_server(iga, smtp_raw):
    from idx.booking.models import Service
    from tests.booking.conftest import make_service
    from tests.factories import ResidentFactory

    service = Service.objects.filter(municipality=iga, code="smtp-test").first() or make_service(
        iga, code="smtp-test"
    )
    person = ResidentFactory(municipality=iga, email="booker@iga.example.jp")
    booking = booking_services.booking_create(
        resident=person, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    deadline = time.monotonic() + 10
    while not smtp_raw.raw and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [message["to"] for message in smtp_raw.raw] == ["booker@iga.example.jp"]
    mail = smtp_raw.raw[0]
    parts = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_filename() == "booking.ics"
    assert parts[0].get_param("method") == "REQUEST"
    _calendar, event = _event(parts[0].get_content())
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)
    assert str(event["UID"]) == booking.ics_uid
    assert Message.objects.get(recipient=person, channel="email").status == "delivered"

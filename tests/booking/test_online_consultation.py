"""Online consultations: each booking has its own meeting room (not the service's one link), the
resident is never told to come to the counter, and the link is in the page, the messages, the
.ics and the API."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from icalendar import Calendar

from idx.booking.ics import booking_ics
from idx.booking.services import bookings as booking_services
from idx.identity.services import api_token_issue
from idx.notifications.models import Message
from tests.booking.conftest import NOW, at, make_service
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db

COUNTER_WORDS = ("Show the booking number at the counter", "窓口で予約番号を")
NOT_TO_THE_COUNTER = {
    "en": "You do not need to come to the counter",
    "ja": "窓口に来ていただく必要はありません",
    "ja-easy": "窓口に来なくてもいいです",
}


@pytest.fixture
def online_service(iga):
    return make_service(
        iga,
        code="test-online",
        online_possible=True,
        meeting_url="https://meet.example.jp/iga/kosodate",
        capacity=2,
    )


def test_each_online_booking_gets_its_own_room(online_service, resident, other_resident):
    mine = booking_services.booking_create(
        resident=resident, service=online_service, starts_at=at("2026-12-02", "10:00"), online=True, now=NOW
    )
    theirs = booking_services.booking_create(
        resident=other_resident,
        service=online_service,
        starts_at=at("2026-12-02", "10:00"),
        online=True,
        now=NOW,
    )
    assert mine.meeting_url.startswith("https://meet.example.jp/iga/kosodate/")
    assert theirs.meeting_url.startswith("https://meet.example.jp/iga/kosodate/")
    assert mine.meeting_url != theirs.meeting_url
    assert len(mine.meeting_url.rsplit("/", 1)[1]) >= 16  # not guessable
    # At the counter: no meeting room.
    visit = booking_services.booking_create(
        resident=resident, service=online_service, starts_at=at("2026-12-03", "10:00"), now=NOW
    )
    assert visit.meeting_url == ""
    # A rebooking keeps its room (the same meeting, at another time).
    moved = booking_services.booking_rebook(
        booking=mine, resident=resident, starts_at=at("2026-12-04", "10:00"), now=NOW
    )
    assert moved.meeting_url == mine.meeting_url


def test_the_resident_sees_their_link_and_is_not_sent_to_the_counter(
    online_service, resident, other_resident, resident_client
):
    mine = booking_services.booking_create(
        resident=resident, service=online_service, starts_at=at("2026-12-02", "10:00"), online=True, now=NOW
    )
    theirs = booking_services.booking_create(
        resident=other_resident,
        service=online_service,
        starts_at=at("2026-12-02", "10:00"),
        online=True,
        now=NOW,
    )
    for language, words in NOT_TO_THE_COUNTER.items():
        resident_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = resident_client.get(f"/booking/my/{mine.public_id}/").content.decode()
        assert f'href="{mine.meeting_url}"' in page
        assert theirs.meeting_url not in page
        assert words in re.sub(r"<rt>.*?</rt>|<rp>.*?</rp>|<[^>]+>", "", page)  # without the furigana
        assert not any(counter in page for counter in COUNTER_WORDS)


def test_counter_visits_still_show_the_counter(online_service, resident, resident_client):
    visit = booking_services.booking_create(
        resident=resident, service=online_service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    resident_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = resident_client.get(f"/booking/my/{visit.public_id}/").content.decode()
    assert "Show the booking number at the counter" in page and "meet.example.jp" not in page


def test_confirmation_reminder_and_ics_carry_the_booking_link(
    online_service, resident, django_capture_on_commit_callbacks
):
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_services.booking_create(
            resident=resident,
            service=online_service,
            starts_at=at("2026-12-02", "10:00"),
            online=True,
            now=NOW,
        )
    email = Message.objects.get(recipient=resident, purpose="booking_confirmation", channel="email")
    assert booking.meeting_url in email.body
    assert "Show the booking number at the counter" not in email.body
    assert "You do not need to come to the counter" in email.body
    event = Calendar.from_ical(email.attachment_text).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == booking.meeting_url
    assert booking.meeting_url in str(event["DESCRIPTION"])
    # The calendar file downloaded from the page says the same.
    ics = booking_ics(booking, method="REQUEST", summary="x", description="y")
    assert booking.meeting_url in ics.replace("\r\n ", "")

    from django.core.management import call_command

    call_command("booking_reminders", today="2026-12-01")
    reminder = Message.objects.get(recipient=resident, purpose="booking_reminder", channel="email")
    assert booking.meeting_url in reminder.body and "If you cannot come" not in reminder.body


def test_the_api_gives_the_booking_link(online_service, resident):
    from django.test import Client

    booking = booking_services.booking_create(
        resident=resident, service=online_service, starts_at=at("2026-12-02", "10:00"), online=True, now=NOW
    )
    client = Client(
        HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=resident, name='app')}"
    )
    body = client.get(f"/api/v1/booking/bookings/{booking.public_id}").json()
    assert body["online"] is True and body["meeting_url"] == booking.meeting_url

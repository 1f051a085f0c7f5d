"""The booking as an iCalendar object (RFC 5545 / iTIP RFC 5546) for the resident's calendar.

``METHOD:REQUEST`` with the confirmation (and a rebooking: same UID, higher SEQUENCE, so the
calendar moves the event), ``METHOD:CANCEL`` with a cancellation. Times are Asia/Tokyo with the
zone's VTIMEZONE, so calendars in any zone show the city hall's time correctly.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from idx.booking.models import Booking
from idx.booking.opening import TOKYO

PRODID = "-//IDX//Counter booking//JA"


def booking_url(booking: Booking) -> str:
    base = booking.municipality.public_url.rstrip("/")
    return f"{base}/booking/my/{booking.public_id}/"


def booking_ics(booking: Booking, *, method: str = "REQUEST", summary: str, description: str) -> str:
    """The .ics text of ``booking``; ``method`` is ``REQUEST`` or ``CANCEL``."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(method)
    service = booking.service
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking.ics_uid)
    event.add("sequence", booking.ics_sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC).replace(microsecond=0))
    event.add("dtstart", booking.starts_at.astimezone(TOKYO))
    event.add("dtend", booking.ends_at.astimezone(TOKYO))
    event.add("summary", summary)
    event.add(
        "location", booking.service.place if not booking.online else (booking.meeting_url or service.place)
    )
    event.add("description", description)
    event.add("url", booking_url(booking))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{service.department.email or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(f"{booking.municipality.name} {service.department.name}")
    event.add("organizer", organizer)
    if booking.resident.email:
        attendee = vCalAddress(f"mailto:{booking.resident.email}")
        attendee.params["cn"] = vText(booking.resident.full_name or booking.resident.email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")

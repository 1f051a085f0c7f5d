"""Messages to residents about their bookings: confirmation (with the .ics), cancellation,
and the reminder the day before. They go through the notification service (every channel the
resident chose, and the inbox), each idempotent per booking and calendar sequence."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from idx.booking.ics import booking_ics, booking_url
from idx.booking.models import Booking
from idx.booking.opening import TOKYO
from idx.common.dates import format_date

_COMMON = {
    "name": "the resident's name",
    "service": "the service booked",
    "date": "the day of the booking",
    "time": "the time of the booking (start–end)",
    "location": "where to come (the counter), or the online meeting",
    "code": "the booking number, to show at the counter",
    "url": "the booking's page (cancel or change it there)",
    "meeting_url": "the video meeting link of an online consultation (else empty)",
    "department": "the department's name",
    "phone": "the department's phone number",
    "municipality": "the municipality's name",
}
BOOKING_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "booking_confirmation": _COMMON,
    "booking_cancellation": _COMMON,
    "booking_reminder": _COMMON,
}
KINDS = {
    "confirmation": ("booking_confirmation", "REQUEST"),
    "cancellation": ("booking_cancellation", "CANCEL"),
    "reminder": ("booking_reminder", None),
}


def _placeholders(booking: Booking) -> dict[str, str]:
    service = booking.service
    start, end = booking.starts_at.astimezone(TOKYO), booking.ends_at.astimezone(TOKYO)
    return {
        "name": booking.resident.full_name,
        "service": service.name,
        "date": format_date(start.date()),
        "time": f"{start:%H:%M}–{end:%H:%M}",
        "location": booking.meeting_url if booking.online and booking.meeting_url else service.place,
        "code": booking.code,
        "url": booking_url(booking),
        "meeting_url": booking.meeting_url if booking.online else "",
        "department": service.department.name,
        "phone": service.department.phone,
        "municipality": booking.municipality.name,
    }


def booking_notify(booking_id: int, kind: str, sequence: int) -> int:
    """Tell the resident about ``booking_id`` on all their channels; returns the messages made.

    ``sequence`` is the booking's calendar sequence when the event happened: the key of the
    message, so a retried task sends nothing twice and a rebooking is a new message.
    """
    from idx.notifications.services import message_to_person, render_for

    purpose, method = KINDS[kind]
    booking = (
        Booking.objects.select_related("service", "service__department", "resident", "municipality")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return 0
    resident = booking.resident
    language = resident.preferred_language or "ja"
    with translation.override(language):
        placeholders = _placeholders(booking)
        subject, body = render_for(
            municipality=booking.municipality,
            purpose=purpose,
            language=language,
            placeholders=placeholders,
            context={"booking": booking, "kind": kind, **placeholders},
            shipped=f"booking/email/{kind}",
        )
        attachment = None
        if method is not None:
            summary = _("%(service)s (%(municipality)s)") % {
                "service": booking.service.name,
                "municipality": booking.municipality.name,
            }
            description = _("Booking number: %(code)s\nChange or cancel: %(url)s") % {
                "code": booking.code,
                "url": placeholders["url"],
            }
            if booking.online and booking.meeting_url:
                description += "\n" + _("Online meeting: %(url)s") % {"url": booking.meeting_url}
            ics = booking_ics(booking, method=method, summary=summary, description=description)
            attachment = ("booking.ics", f"text/calendar; method={method}", ics)
    return message_to_person(
        municipality=booking.municipality,
        recipient=resident,
        purpose=purpose,
        key=f"{booking.public_id}:{sequence}",
        subject=subject,
        body=body,
        language=language,
        attachment=attachment,
    )

"""Messages to residents about their event registrations: registered, on the waiting list, moved up
from it, cancelled (by them or by the city) and the reminder the day before. They go through the
notification service (every channel the resident chose, and the inbox), once per registration and kind."""

from __future__ import annotations

from django.utils import translation

from idx.common.dates import format_date
from idx.common.i18n import pick
from idx.events.models import Registration
from idx.events.selectors import TOKYO, registration_url

_COMMON = {
    "name": "the resident's name",
    "event": "the event's title",
    "date": "the day of the event",
    "time": "the time of the event (start–end)",
    "place": "where it takes place (or “online”)",
    "url": "the registration's page (QR code for check-in, join link, cancel)",
    "department": "the department's name",
    "phone": "the department's phone number",
    "municipality": "the municipality's name",
    "reason": "why the city cancelled the event (else empty)",
}
EVENT_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "event_registration": _COMMON,
    "event_waitlist_promotion": _COMMON,
    "event_cancellation": _COMMON,
    "event_reminder": _COMMON,
    "event_change": _COMMON,
}
PURPOSES = {
    "confirmed": "event_registration",
    "waitlisted": "event_registration",
    "promoted": "event_waitlist_promotion",
    "cancelled": "event_cancellation",
    "event_cancelled": "event_cancellation",
    "reminder": "event_reminder",
    "changed": "event_change",
}


def registration_notify(registration_id: int, kind: str) -> int:
    """Tell the registrant about ``kind``; returns the messages made (a repeat makes none).

    ``changed:<stamp>`` tells of a new date, time or place (once per change); a reminder is
    once per registration and day of the event (moved to another day, it is reminded again).
    """
    from idx.notifications.services import message_to_person, render_for

    registration = (
        Registration.objects.select_related("event", "event__department", "resident", "municipality")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        return 0
    event, resident = registration.event, registration.resident
    language = resident.preferred_language or "ja"
    kind, _sep, stamp = kind.partition(":")
    purpose = PURPOSES[kind]
    with translation.override(language):
        start, end = event.starts_at.astimezone(TOKYO), event.ends_at.astimezone(TOKYO)
        placeholders = {
            "name": resident.full_name,
            "event": pick(event.titles, language),
            "date": format_date(start.date()),
            "time": f"{start:%H:%M}–{end:%H:%M}",
            "place": pick(event.places, language),
            "url": registration_url(registration),
            "department": event.department.name,
            "phone": event.department.phone,
            "municipality": registration.municipality.name,
            "reason": pick(event.cancel_reasons, language) if kind == "event_cancelled" else "",
        }
        subject, body = render_for(
            municipality=registration.municipality,
            purpose=purpose,
            language=language,
            placeholders=placeholders,
            context={"registration": registration, "event": event, "kind": kind, **placeholders},
            shipped="events/email/registration",
        )
    return message_to_person(
        municipality=registration.municipality,
        recipient=resident,
        purpose=purpose,
        key=_key(registration, kind, stamp),
        subject=subject,
        body=body,
        language=language,
    )


def _key(registration: Registration, kind: str, stamp: str) -> str:
    if kind == "changed":
        return f"{registration.public_id}:changed:{stamp}"
    if kind == "reminder":
        day = registration.event.starts_at.astimezone(TOKYO).date().isoformat()
        return f"{registration.public_id}:reminder:{day}"
    return f"{registration.public_id}:{kind}"

"""Messages to residents about their inquiries (received, answered). They go through the
notification service; a city may word them per language with the placeholders below."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from idx.assist.models import Inquiry, InquiryMessage

INQUIRY_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "inquiry": {
        "name": "the resident's name",
        "tracking_number": "the inquiry's tracking number",
        "subject": "the inquiry's subject",
        "event": "received or answered, in words",
        "answer": "the department's answer (when answered)",
        "url": "the inquiry's page",
        "department": "the department's name",
        "phone": "the department's phone number",
        "municipality": "the municipality's name",
    },
}


def notify_inquiry(inquiry_id: int, event: str, *, token: str = "", message_id: int | None = None) -> int:
    """Tell the resident that the inquiry was received (with its link) or answered."""
    from idx.notifications.services import message_to_person, render_for

    inquiry = (
        Inquiry.objects.select_related("municipality", "department", "resident").filter(pk=inquiry_id).first()
    )
    if inquiry is None:
        return 0
    municipality = inquiry.municipality
    language = (inquiry.resident.preferred_language if inquiry.resident else "") or inquiry.language
    answer = (
        InquiryMessage.objects.filter(pk=message_id, inquiry=inquiry).values_list("body", flat=True).first()
        if message_id is not None
        else None
    )
    base = municipality.public_url.rstrip("/")
    url = f"{base}/inquiries/{inquiry.public_id}/" + (f"?t={token}" if token else "")
    with translation.override(language):
        subject, body = render_for(
            municipality=municipality,
            purpose="inquiry",
            language=language,
            placeholders={
                "name": inquiry.name,
                "tracking_number": inquiry.public_id,
                "subject": inquiry.subject,
                "event": str(_("received") if event == "received" else _("answered")),
                "answer": answer or "",
                "url": url,
                "department": inquiry.department.name,
                "phone": inquiry.department.phone,
                "municipality": municipality.name,
            },
            context={
                "inquiry": inquiry,
                "event": event,
                "url": url,
                "answer": answer,
                "municipality": municipality,
            },
            shipped="assist/email/inquiry",
        )
    return message_to_person(
        municipality=municipality,
        recipient=inquiry.resident,
        email=inquiry.email,
        purpose="inquiry",
        key=f"{inquiry.public_id}:{event}:{message_id or 0}",
        subject=subject,
        body=body,
        language=language,
    )

"""The message to applicants when their application changes status. It goes through the
notification service (every channel the applicant chose, and the inbox), idempotent per
application, status and row version; a city may word it per language (its placeholders below)."""

from __future__ import annotations

from django.utils import translation

from idx.applications.models import Application, Status
from idx.common.i18n import pick

APPLICATION_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "application_status": {
        "name": "the applicant's name",
        "procedure": "the procedure's name",
        "receipt_number": "the receipt number",
        "status": "the new status, in words",
        "url": "the application's page",
        "department": "the department's name",
        "phone": "the department's phone number",
        "municipality": "the municipality's name",
    },
}


def notify_application_status(application_id: int, status: str, row_version: int) -> int:
    """Tell the applicant about a status change on all their channels; returns messages made."""
    from idx.notifications.services import message_to_person, render_for

    application = (
        Application.objects.select_related("applicant", "procedure", "department", "municipality")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    applicant = application.applicant
    language = applicant.preferred_language or application.language
    with translation.override(language):
        procedure_name = pick(application.procedure.names, language)
        url = f"{application.municipality.public_url.rstrip('/')}/my/applications/{application.public_id}/"
        subject, body = render_for(
            municipality=application.municipality,
            purpose="application_status",
            language=language,
            placeholders={
                "name": application.applicant_name,
                "procedure": procedure_name,
                "receipt_number": application.receipt_number or "",
                "status": str(Status(status).label),
                "url": url,
                "department": application.department.name,
                "phone": application.department.phone,
                "municipality": application.municipality.name,
            },
            context={
                "application": application,
                "status": status,
                "procedure_name": procedure_name,
                "municipality": application.municipality,
                "department": application.department,
                "portal_url": application.municipality.public_url.rstrip("/"),
            },
            shipped="applications/email/status",
        )
    return message_to_person(
        municipality=application.municipality,
        recipient=applicant,
        purpose="application_status",
        key=f"{application.public_id}:{status}:{row_version}",
        subject=subject,
        body=body,
        language=language,
    )

"""Background work for applications: e-mails in the resident's language."""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from idx.applications.models import Application
from idx.procedures.i18n import pick

logger = logging.getLogger(__name__)


@task(queue_name="email")
def send_status_email(application_id: int, status: str) -> bool:
    """Tell the resident about a new status. Loads fresh state; a vanished application is skipped."""
    application = (
        Application.objects.select_related("applicant", "procedure", "department", "municipality")
        .filter(pk=application_id)
        .first()
    )
    if application is None or not application.applicant.email:
        return False
    language = application.applicant.preferred_language or application.language
    with translation.override(language):
        context = {
            "application": application,
            "status": status,
            "procedure_name": pick(application.procedure.names, language),
            "municipality": application.municipality,
            "department": application.department,
            "portal_url": application.municipality.public_url.rstrip("/"),
        }
        subject = render_to_string("applications/email/status_subject.txt", context).strip()
        body = render_to_string("applications/email/status_body.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[application.applicant.email])
    message.send()
    logger.info("status e-mail sent for application %s (%s)", application.pk, status)
    return True

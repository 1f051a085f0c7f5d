from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from idx.identity.models import User
from idx.identity.services import verification_token


@task(queue_name="email")
def send_verification_email(user_id: int) -> bool:
    user = (
        User.objects.select_related("municipality").filter(pk=user_id, email_verified_at__isnull=True).first()
    )
    if user is None:
        return False
    with translation.override(user.preferred_language):
        context = {
            "user": user,
            "municipality": user.municipality,
            "link": f"{user.municipality.public_url.rstrip('/')}/accounts/verify/{verification_token(user)}/",
        }
        subject = render_to_string("identity/email/verify_subject.txt", context).strip()
        body = render_to_string("identity/email/verify_body.txt", context)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return True

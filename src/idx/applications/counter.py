"""書かない窓口, the counter that writes for you: a clerk fills in a resident's draft at the counter
and the resident confirms it on the counter's screen (a six-digit code or a link), which submits it
in the resident's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from idx.applications.models import Application, CounterConfirmation, Status
from idx.applications.services import (
    ApplicationError,
    NotPermitted,
    application_submit,
    new_draft,
    require_clerk_for,
    require_owner,
    validate_for_submission,
)
from idx.audit.services import audit_record
from idx.identity.models import User
from idx.procedures.models import Procedure

COUNTER_CONFIRMATION_MINUTES = 10


class ConfirmationInvalid(ApplicationError):
    """The code or link is unknown, used, or expired."""

    code = "confirmation_invalid"


def assisted_application_start(
    *, staff: User, resident: User, procedure: Procedure, language: str = "ja"
) -> Application:
    """A draft a clerk fills in for ``resident`` at the counter (prefilled from verified facts)."""
    require_clerk_for(staff=staff, applicant=resident, procedure=procedure)
    with transaction.atomic():
        application = new_draft(
            resident=resident,
            procedure=procedure,
            language=language,
            actor=staff,
            action="application.assisted_start",
            audit_after={"procedure": procedure.code, "resident": resident.pk},
            assisted_by=staff,
            channel="counter",
        )
    return application


def _confirmation_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def counter_confirmation_open(*, application: Application, staff: User) -> tuple[str, str]:
    """Check the answers and open the summary for the resident's screen: (six-digit code, token).

    Opening a new one closes the earlier ones of the application.
    """
    if application.assisted_by_id != staff.pk:
        raise NotPermitted()
    require_owner(application, staff)
    validate_for_submission(application)
    now = timezone.now()
    with transaction.atomic():
        CounterConfirmation.objects.filter(application=application, confirmed_at__isnull=True).update(
            expires_at=now
        )
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            taken = CounterConfirmation.objects.filter(
                municipality_id=application.municipality_id,
                code_hash=_confirmation_hash(f"{application.municipality_id}:{code}"),
                confirmed_at__isnull=True,
                expires_at__gt=now,
            ).exists()
            if not taken:
                break
        token = secrets.token_urlsafe(32)
        CounterConfirmation.objects.create(
            application=application,
            municipality_id=application.municipality_id,
            code_hash=_confirmation_hash(f"{application.municipality_id}:{code}"),
            token_hash=_confirmation_hash(token),
            created_by=staff,
            expires_at=now + dt.timedelta(minutes=COUNTER_CONFIRMATION_MINUTES),
        )
        audit_record(
            municipality=application.municipality,
            actor=staff,
            action="application.assisted_shown",
            target_type="application",
            target_id=application.public_id,
        )
    return code, token


def counter_confirmation_by_code(*, municipality_id: int, code: str) -> CounterConfirmation:
    code = "".join(ch for ch in code if ch.isdigit())
    found = (
        CounterConfirmation.objects.select_related("application")
        .filter(
            municipality_id=municipality_id,
            code_hash=_confirmation_hash(f"{municipality_id}:{code}"),
            confirmed_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if found is None or len(code) != 6:
        raise ConfirmationInvalid()
    return found


def counter_confirmation_by_token(*, municipality_id: int, token: str) -> CounterConfirmation:
    found = (
        CounterConfirmation.objects.select_related("application", "application__applicant")
        .filter(
            municipality_id=municipality_id,
            token_hash=_confirmation_hash(token),
            confirmed_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if found is None or found.application.status != Status.DRAFT:
        raise ConfirmationInvalid()
    return found


def counter_confirm(*, confirmation: CounterConfirmation, declaration_accepted: bool) -> Application:
    """The resident's tap on the counter's screen: submit the application in their name."""
    with transaction.atomic():
        locked = CounterConfirmation.objects.select_for_update().get(pk=confirmation.pk)
        if locked.confirmed_at is not None or locked.expires_at <= timezone.now():
            raise ConfirmationInvalid()
        application = locked.application
        resident = application.applicant
        submitted = application_submit(
            application=application,
            actor=resident,
            declaration_accepted=declaration_accepted,
            counter_confirmation=locked,
        )
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
    return submitted

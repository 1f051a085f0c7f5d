"""Applications that reached the city on paper: once a clerk has verified what the machine read on a
scanned form (``idx.intake``), the form becomes a submitted case in the applicant's name, channel
``paper``, with the scanned pages attached (they answer no question of the form).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import filetype
from django.core.files.base import ContentFile
from django.db import transaction

from idx.applications.models import Application, Attachment, Channel
from idx.applications.services import (
    NotPermitted,
    application_save_answers,
    application_submit,
    new_draft,
    require_clerk_for,
)
from idx.audit.services import audit_record
from idx.identity.models import User
from idx.procedures.models import Procedure

# The ``field_path`` of a scanned page: not an item of any definition, so no answer points at it.
PAPER_SCAN_PATH = "paper_form"


def paper_application_submit(
    *,
    staff: User,
    procedure: Procedure,
    applicant: User,
    answers: Mapping[str, Any],
    scans: Sequence[tuple[str, bytes]],
    audit_after: dict[str, Any] | None = None,
) -> Application:
    """A submitted application (receipt number, due date) made from a verified paper form.

    The draft is started by the clerk, holds the answers as verified and the scanned pages, and
    is submitted in the applicant's name: the signed paper form stands for the declaration and
    the signature. The caller holds the transaction and has checked the answers.
    """
    require_clerk_for(staff=staff, applicant=applicant, procedure=procedure)
    with transaction.atomic():
        application = new_draft(
            resident=applicant,
            procedure=procedure,
            language=applicant.preferred_language or "ja",
            actor=staff,
            action="application.paper_start",
            audit_after={"procedure": procedure.code, "channel": Channel.PAPER.value, **(audit_after or {})},
            channel=Channel.PAPER,
        )
        application = application_save_answers(application=application, actor=applicant, answers=answers)
        for name, data in scans:
            _scan_add(application, staff, name, data)
        return application_submit(
            application=application, actor=applicant, declaration_accepted=True, paper_verified_by=staff
        )


def _scan_add(application: Application, staff: User, name: str, data: bytes) -> Attachment:
    """Keep one scanned page (an image the intake stored and rectified itself) with the case."""
    kind = filetype.guess(data)
    if kind is None or not kind.mime.startswith("image/"):
        raise NotPermitted()
    attachment = Attachment(
        municipality_id=application.municipality_id,
        public_id=f"att_{secrets.token_hex(16)}",
        application=application,
        field_path=PAPER_SCAN_PATH,
        original_name=name[-200:],
        content_type=kind.mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    attachment.file.save(attachment.public_id, ContentFile(data), save=False)
    attachment.save()
    audit_record(
        municipality=application.municipality,
        actor=staff,
        action="attachment.add",
        target_type="application",
        target_id=application.public_id,
        after={"field": PAPER_SCAN_PATH, "attachment": attachment.public_id, "type": kind.mime},
    )
    return attachment

"""Writes of inquiries: a resident asks a department, writes again; staff answer, close, or turn
a good answer into an FAQ. The resident hears of it by ``idx.assist.messages``."""

from __future__ import annotations

import datetime as dt
import secrets

import jpholiday
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from idx.assist.messages import notify_inquiry
from idx.assist.models import Faq, Inquiry, InquiryMessage, InquiryStatus
from idx.assist.selectors import token_hash
from idx.assist.services.faqs import FaqData, faq_save
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import Department, User

MAX_INQUIRY = 5000
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read out over the phone


class InquiryInvalid(DomainError):
    code = "invalid_inquiry"
    http_status = 422
    message = "Some fields need attention."

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def working_days_after(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` moved on by ``days`` working days (no weekends, public holidays or 12/29–1/3)."""
    local = timezone.localtime(start)
    moved = local
    remaining = days
    while remaining > 0:
        moved += dt.timedelta(days=1)
        day = moved.date()
        closed = (
            day.weekday() >= 5
            or jpholiday.is_holiday(day)
            or (day.month == 12 and day.day >= 29)
            or (day.month == 1 and day.day <= 3)
        )
        if not closed:
            remaining -= 1
    return moved


def _tracking_number() -> str:
    return "Q" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(9))


def inquiry_create(
    *,
    municipality: Municipality,
    department: Department | None,
    resident: User | None,
    name: str,
    email: str,
    subject: str,
    body: str,
    language: str,
) -> tuple[Inquiry, str]:
    """A new inquiry and the secret of its link (shown once, e-mailed, never stored in clear)."""
    errors: dict[str, str] = {}
    if department is None or department.municipality_id != municipality.pk:
        errors["department"] = _("Choose the department you want to ask.")
    if resident is not None:
        name = name or resident.full_name
        email = resident.email
    if not name.strip():
        errors["name"] = _("Enter your name.")
    if not email.strip():
        errors["email"] = _("Enter your e-mail address so that we can answer.")
    if not subject.strip():
        errors["subject"] = _("Enter a subject.")
    elif len(subject) > 150:
        errors["subject"] = _("The subject is too long (at most 150 characters).")
    if not body.strip():
        errors["body"] = _("Write your question.")
    elif len(body) > MAX_INQUIRY:
        errors["body"] = _("Your question is too long (at most 5,000 characters).")
    if "\x00" in body or "\x00" in subject:
        errors["body"] = _("Your question contains characters that cannot be stored.")
    if errors:
        raise InquiryInvalid(errors)
    assert department is not None
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    inquiry = Inquiry.objects.create(
                        municipality=municipality,
                        public_id=_tracking_number(),
                        department=department,
                        resident=resident,
                        name=name.strip()[:100],
                        email=email.strip(),
                        language=language,
                        subject=subject.strip(),
                        access_token_hash=token_hash(token),
                        due_at=working_days_after(now, settings.IDX_INQUIRY_RESPONSE_DAYS),
                        last_resident_at=now,
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 32**9 numbers
            raise RuntimeError("no free tracking number")
        InquiryMessage.objects.create(inquiry=inquiry, body=body.strip(), author=resident)
        inquiry_id = inquiry.pk
        transaction.on_commit(lambda: notify_inquiry(inquiry_id, "received", token=token))
    return inquiry, token


def inquiry_reply(*, inquiry: Inquiry, body: str, resident: User | None) -> InquiryMessage:
    """The resident writes again: the inquiry is open again with a new response-time target."""
    if not body.strip():
        raise InquiryInvalid({"body": _("Write your message.")})
    if len(body) > MAX_INQUIRY:
        raise InquiryInvalid({"body": _("Your message is too long (at most 5,000 characters).")})
    now = timezone.now()
    with transaction.atomic():
        message = InquiryMessage.objects.create(inquiry=inquiry, body=body.strip(), author=resident)
        inquiry.status = InquiryStatus.OPEN
        inquiry.last_resident_at = now
        inquiry.closed_at = None
        inquiry.due_at = working_days_after(now, settings.IDX_INQUIRY_RESPONSE_DAYS)
        inquiry.save(update_fields=["status", "last_resident_at", "closed_at", "due_at", "updated_at"])
    return message


def inquiry_answer(*, inquiry: Inquiry, staff: User, body: str, close: bool = False) -> InquiryMessage:
    if not body.strip():
        raise InquiryInvalid({"body": _("Write the answer.")})
    if len(body) > MAX_INQUIRY:
        raise InquiryInvalid({"body": _("The answer is too long (at most 5,000 characters).")})
    now = timezone.now()
    with transaction.atomic():
        message = InquiryMessage.objects.create(
            inquiry=inquiry, body=body.strip(), author=staff, from_staff=True
        )
        inquiry.status = InquiryStatus.CLOSED if close else InquiryStatus.ANSWERED
        inquiry.first_answered_at = inquiry.first_answered_at or now
        inquiry.closed_at = now if close else None
        inquiry.save(update_fields=["status", "first_answered_at", "closed_at", "updated_at"])
        audit_record(
            municipality=inquiry.municipality,
            actor=staff,
            action="inquiry.answer",
            target_type="inquiry",
            target_id=inquiry.public_id,
            after={"status": inquiry.status},
        )
        inquiry_id, message_id = inquiry.pk, message.pk
        transaction.on_commit(lambda: notify_inquiry(inquiry_id, "answered", message_id=message_id))
    return message


def inquiry_close(*, inquiry: Inquiry, staff: User) -> None:
    with transaction.atomic():
        inquiry.status = InquiryStatus.CLOSED
        inquiry.closed_at = timezone.now()
        inquiry.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            municipality=inquiry.municipality,
            actor=staff,
            action="inquiry.close",
            target_type="inquiry",
            target_id=inquiry.public_id,
        )


def inquiry_to_faq(
    *, inquiry: Inquiry, staff: User, key: str, category: str, question: str, answer: str
) -> Faq:
    """Turn a good answer into an FAQ in one step (Japanese; translations are added on the FAQ page)."""
    faq = faq_save(
        municipality=inquiry.municipality,
        actor=staff,
        data=FaqData(
            key=key,
            category=category,
            department_code=inquiry.department.code,
            procedures=[],
            texts={"ja": (question, answer)},
        ),
    )
    inquiry.faq = faq
    inquiry.save(update_fields=["faq", "updated_at"])
    return faq

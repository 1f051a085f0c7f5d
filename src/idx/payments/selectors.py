"""Reads of payments, for the payments app itself, the other domains and the front doors.

Nothing here writes; ``idx.payments.services`` holds the writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from idx.applications.models import Application, Status
from idx.identity.models import User
from idx.identity.policy import Action, Scope, scope_of
from idx.payments.models import Payment, PaymentFlag, PaymentStatus
from idx.procedures.definition import fee_for, fee_paid_before_submission


def answers_digest(answers: Mapping[str, Any]) -> str:
    canonical = json.dumps(answers, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Fee:
    amount: int
    before_submission: bool
    purpose: str


def fee_of(application: Application) -> Fee:
    """What the application costs now, and whether it must be paid before it counts as submitted."""
    from idx.common.i18n import pick

    definition = application.procedure_version.parsed
    amount = fee_for(definition, application.answers or {})
    name = pick(application.procedure_version.definition["name"], "ja")
    per_item = (definition.data.get("fee") or {}).get("per_item")
    count = (application.answers or {}).get(per_item) if per_item else None
    purpose = f"{name} {count}通" if isinstance(count, int) and per_item == "copies" else name
    return Fee(amount=amount, before_submission=fee_paid_before_submission(definition), purpose=purpose[:120])


def paid_for(application: Application) -> Payment | None:
    """The paid payment that covers the application's fee (for its current answers when paid before)."""
    payments = Payment.objects.filter(
        application=application, status__in=[PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED]
    ).exclude(flag=PaymentFlag.PAID_AFTER_EXPIRY)
    if application.status == Status.DRAFT:
        payments = payments.filter(answers_digest=answers_digest(application.answers or {}))
    return payments.order_by("paid_at").first()


def payment_due_before_submission(application: Application) -> int:
    """The amount still to pay before this draft may be submitted (0: nothing, or already paid)."""
    definition = application.procedure_version.parsed
    if not definition.data.get("fee") or not fee_paid_before_submission(definition):
        return 0  # most procedures: no fee, nothing to read (this runs on every submission)
    amount = fee_for(definition, application.answers or {})
    if amount <= 0:
        return 0
    return 0 if paid_for(application) is not None else amount


def pending_payment(application: Application) -> Payment | None:
    """A payment started and not yet over (the draft's answers are locked while it runs)."""
    return (
        Payment.objects.filter(
            application=application, status=PaymentStatus.PENDING, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


def payment_for_idempotency_key(*, payer: User, key: str) -> Payment | None:
    """The payment a request with this Idempotency-Key of ``payer`` started, if any."""
    return Payment.objects.filter(payer=payer, idempotency_key=key).select_related("application").first()


def payments_for_staff(staff: User) -> QuerySet[Payment]:
    """The payments ``staff`` may see for taking payments: the municipality's, or the department's."""
    scope = scope_of(staff.role, Action.TAKE_PAYMENT)
    if scope == Scope.NONE:
        return Payment.objects.none()
    payments = Payment.objects.filter(municipality_id=staff.municipality_id).select_related(
        "department", "application"
    )
    if scope == Scope.OWN_DEPARTMENT:
        payments = payments.filter(department_id=staff.department_id or 0)
    return payments


@dataclass(frozen=True)
class FeePaid:
    """What was paid for an application's fee and what has come back (for a withdrawal, 取下げ).

    ``refund``: ``"refunded"`` (all of it), ``"partly_refunded"``, or ``"ask_department"``:
    withdrawing starts no refund by itself (a certificate may already have been issued), so the
    department decides and the resident is told whom to ask.
    """

    paid_amount: int
    refunded_amount: int

    @property
    def refund(self) -> str:
        if self.refunded_amount >= self.paid_amount:
            return "refunded"
        if self.refunded_amount > 0:
            return "partly_refunded"
        return "ask_department"


def fee_paid_for(application: Application) -> FeePaid | None:
    """The fee paid for the application (all its payments together); None when nothing was paid."""
    totals = Payment.objects.filter(application=application, paid_amount__gt=0).aggregate(
        paid=Sum("paid_amount"), refunded=Sum("refunded_amount")
    )
    if not totals["paid"]:
        return None
    return FeePaid(paid_amount=int(totals["paid"]), refunded_amount=int(totals["refunded"] or 0))


def application_has_payments(application: Application) -> bool:
    """Whether any payment was ever started for the application (its record must then be kept)."""
    return Payment.objects.filter(application=application).exists()


def payments_for_payable(*, kind: str, payable_id: int) -> QuerySet[Payment]:
    """The payments started for a payable of another app (``idx.payments.payables``), newest first."""
    return Payment.objects.filter(payable_kind=kind, payable_id=payable_id).order_by("-created_at")

"""Writes of payments: start one, apply what providers report, refund, record counter payments, expire.

``payment_apply_event`` is the only place a payment's status changes. Every provider message is
stored once (``PaymentEvent``, unique per provider and event id) in the same transaction as its
effect, so a webhook delivered twice does nothing the second time; statuses only move forward, so
one delivered out of order cannot undo a later one; a refund that arrives before its payment is
kept and applied when the payment arrives. Amounts that do not match are flagged, never paid.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from idx.applications.models import Application, Status
from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.sequences import next_yearly_number
from idx.identity.models import User
from idx.payments.models import (
    Payment,
    PaymentEvent,
    PaymentFlag,
    PaymentMethod,
    PaymentStatus,
    ProviderConfig,
    ReceiptSequence,
)
from idx.payments.providers import PaymentProvider, ProviderError, ProviderEvent, Started, provider_for
from idx.payments.selectors import Fee, answers_digest, fee_of, paid_for, payment_for_idempotency_key

logger = logging.getLogger("idx.payments")

DEFAULT_EXPIRY_MINUTES = 60


class PaymentRefused(DomainError):
    http_status = 422

    """A payment cannot be started or changed as asked; ``code`` names why (for the API and pages)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


def _config(municipality_id: int, provider: str) -> ProviderConfig:
    config = ProviderConfig.objects.filter(
        municipality_id=municipality_id, provider=provider, enabled=True
    ).first()
    if config is None:
        raise PaymentRefused("provider_unavailable", f"payment provider {provider!r} is not enabled")
    return config


def payment_start(
    *,
    application: Application,
    actor: User,
    provider: str,
    base_url: str,
    idempotency_key: str | None = None,
) -> Payment:
    """Start paying the application's fee with ``provider``: the payment row first, then the provider.

    With an ``idempotency_key`` a retried request answers the payment the first one started (whatever
    its status now) instead of a second one; the same key for another application or provider is
    refused (``idempotency_key_reused``).
    """
    if application.applicant_id != actor.pk or application.municipality_id != actor.municipality_id:
        raise PaymentRefused("not_found")
    if idempotency_key:
        existing = payment_for_idempotency_key(payer=actor, key=idempotency_key)
        if existing is not None:
            if existing.application_id != application.pk or existing.provider != provider:
                raise PaymentRefused(
                    "idempotency_key_reused", "this Idempotency-Key was used for a different payment"
                )
            return existing
    fee = fee_of(application)
    if fee.amount <= 0:
        raise PaymentRefused("no_fee", "this application has no fee")
    if application.status == Status.DRAFT and not fee.before_submission:
        raise PaymentRefused("submit_first", "submit the application first; it is paid afterwards")
    if application.status in (Status.WITHDRAWN, Status.REJECTED):
        raise PaymentRefused("closed", "the application is closed")
    if paid_for(application) is not None:
        raise PaymentRefused("already_paid", "this fee has been paid")
    config = _config(application.municipality_id, provider)
    plugin = provider_for(config)
    if not plugin.online:
        raise PaymentRefused("provider_unavailable", "residents cannot choose this provider")
    default = int(getattr(plugin, "default_expires_minutes", DEFAULT_EXPIRY_MINUTES))
    minutes = int(config.config.get("expires_minutes", default))
    try:
        payment = _payment_create(
            application=application,
            actor=actor,
            fee=fee,
            provider=provider,
            minutes=minutes,
            idempotency_key=idempotency_key,
        )
    except IntegrityError:
        # The same key raced in from a replayed request: answer the payment the first one started.
        if not idempotency_key:
            raise
        return Payment.objects.get(payer=actor, idempotency_key=idempotency_key)
    return _checkout_open(payment, plugin=plugin, provider=provider, base_url=base_url)


def _payment_create(
    *,
    application: Application,
    actor: User,
    fee: Fee,
    provider: str,
    minutes: int,
    idempotency_key: str | None,
) -> Payment:
    with transaction.atomic():
        # One payment at a time: an older pending one of this application ends here.
        Payment.objects.filter(application=application, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.EXPIRED,
            failure_reason="replaced by a new payment",
            updated_at=timezone.now(),
        )
        return Payment.objects.create(
            municipality_id=application.municipality_id,
            application=application,
            payer=actor,
            department_id=application.department_id,
            purpose=fee.purpose,
            amount=fee.amount,
            provider=provider,
            expires_at=timezone.now() + dt.timedelta(minutes=minutes),
            idempotency_key=idempotency_key or None,
            answers_digest=answers_digest(application.answers or {})
            if application.status == Status.DRAFT
            else "",
        )


def _next_receipt_number(payment: Payment, now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    number = next_yearly_number(ReceiptSequence, payment.municipality_id, year)
    return f"R-{payment.municipality.receipt_prefix}-{year}-{number:06d}"


def _enqueue_paid_draft_submission(payment_id: int) -> None:
    from idx.payments.tasks import submit_paid_draft

    submit_paid_draft.enqueue(payment_id)


def paid_draft_submit(payment_id: int) -> str:
    """A fee paid before submission: the draft it was paid for counts as submitted now.

    Runs after the payment's transaction has committed (``idx.payments.tasks.submit_paid_draft``),
    in its own transaction, so a webhook never waits on the application's locks. Idempotent: a
    draft already submitted (by an earlier run, a duplicate webhook's task or the resident) is left
    as it is, and the note is added once to the event that marked the payment paid. Returns the note.
    """
    from idx.applications import services as applications
    from idx.applications.workflow import InvalidTransition

    payment = Payment.objects.select_related("application__applicant").get(pk=payment_id)
    application = payment.application
    if application is None or application.status != Status.DRAFT or not payment.answers_digest:
        return ""
    with transaction.atomic():
        if answers_digest(application.answers or {}) != payment.answers_digest:
            note = "; the answers changed after payment started: not submitted"
        else:
            try:
                with transaction.atomic():
                    applications.application_submit(
                        application=application, actor=application.applicant, declaration_accepted=True
                    )
            except InvalidTransition:
                return ""  # submitted meanwhile (another run of this task): nothing more to note
            except applications.ApplicationError as exc:
                logger.warning("paid application %s could not be submitted: %s", application.public_id, exc)
                note = f"; application not submitted: {type(exc).__name__}"
            else:
                note = "; application submitted"
        PaymentEvent.objects.filter(payment=payment, kind="paid", outcome="paid").update(
            outcome=("paid" + note)[:200]
        )
    return note


def payment_apply_event(
    *,
    provider: str,
    event: ProviderEvent,
    municipality_id: int | None = None,
    actor: User | None = None,
    reason: str = "",
) -> str:
    """Apply one provider message; returns what it did (kept on the event). Idempotent per event id.

    ``municipality_id`` (the webhook's host) keeps one city's provider from touching another's payments.
    """
    payments = Payment.objects.select_related("municipality", "application").filter(
        reference=event.payment_reference, provider=provider
    )
    if municipality_id is not None:
        payments = payments.filter(municipality_id=municipality_id)
    payment = payments.first()
    if payment is None:
        logger.warning(
            "payment event %s/%s for unknown payment %s", provider, event.event_id, event.payment_reference
        )
        return "unknown payment"
    # (payment id, amount, the second charge's reference or "" for the payment's own) to refund after commit
    follow_up: list[tuple[int, int, str | None]] = []
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = PaymentEvent.objects.create(
                    payment=payment,
                    provider=provider,
                    event_id=event.event_id,
                    kind=event.kind,
                    amount=event.amount,
                    occurred_at=event.occurred_at,
                    actor=actor,
                    reason=reason[:300],
                )
        except IntegrityError:
            return "duplicate: ignored"
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("municipality", "application")
            .get(pk=payment.pk)
        )
        outcome = _apply(payment, event, follow_up)
        record.outcome = outcome[:200]
        record.save(update_fields=["outcome"])
        if outcome == "paid" and payment.application_id is not None and payment.answers_digest:
            # Paid before submission: the draft is submitted once this transaction has committed,
            # so a webhook's transaction writes payments only (and its audit entry).
            transaction.on_commit(partial(_enqueue_paid_draft_submission, payment.pk))
        if payment.payable_kind and payment.payable_id is not None:
            settled = _payable_outcome(outcome, payment)
            if settled:
                # The payable's app learns of it after this transaction (it writes its own rows).
                transaction.on_commit(partial(_enqueue_payable_notice, payment.pk, settled))
        if payment.status == PaymentStatus.PAID:
            for deferred in PaymentEvent.objects.filter(
                payment=payment, kind="refunded", outcome__startswith="deferred"
            ):
                deferred.outcome = _apply(payment, _as_event(deferred), follow_up)[:200]
                deferred.save(update_fields=["outcome"])
        audit_record(
            municipality=payment.municipality,
            actor=actor,
            action=f"payment.{event.kind}",
            target_type="payment",
            target_id=payment.reference,
            after={
                "status": payment.status,
                "flag": payment.flag,
                "amount": event.amount,
                "outcome": outcome,
            },
        )
    for payment_id, amount, second_charge in follow_up:
        transaction.on_commit(partial(_automatic_refund, payment_id, amount, second_charge=second_charge))
    return outcome


def _payable_outcome(outcome: str, payment: Payment) -> str:
    if outcome == "paid":
        return "paid"
    if outcome in ("expired", "failed"):
        return "expired"
    if outcome.startswith("refunded") and payment.status == PaymentStatus.REFUNDED:
        return "refunded"
    return ""


def _enqueue_payable_notice(payment_id: int, outcome: str) -> None:
    from idx.payments.tasks import notify_payable

    notify_payable.enqueue(payment_id, outcome)


def payable_settle(payment_id: int, outcome: str) -> None:
    """Run the payable's callback for ``outcome`` (the task ``notify_payable``; idempotent callbacks)."""
    from idx.payments.payables import payable_notify

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not payment.payable_kind or payment.payable_id is None:
        return
    payable_notify(payment.payable_kind, outcome, payment.payable_id, payment.pk)


def payment_start_for_payable(
    *,
    kind: str,
    payable_id: int,
    municipality_id: int,
    department_id: int,
    payer: User,
    purpose: str,
    amount: int,
    provider: str,
    base_url: str,
) -> Payment:
    """Start paying a payable of another app (``idx.payments.payables``): the row first, then the provider.

    The owning app says what is owed (it has checked the payer and the amount); one payment runs at
    a time per payable, and a payable already paid is refused (``already_paid``).
    """
    from idx.payments.payables import payable_for

    if payable_for(kind) is None:
        raise PaymentRefused("unknown_payable", f"nothing registered as payable kind {kind!r}")
    if amount <= 0:
        raise PaymentRefused("no_fee", "nothing to pay")
    config = _config(municipality_id, provider)
    plugin = provider_for(config)
    if not plugin.online:
        raise PaymentRefused("provider_unavailable", "residents cannot choose this provider")
    default = int(getattr(plugin, "default_expires_minutes", DEFAULT_EXPIRY_MINUTES))
    minutes = int(config.config.get("expires_minutes", default))
    with transaction.atomic():
        mine = Payment.objects.filter(
            payable_kind=kind, payable_id=payable_id, municipality_id=municipality_id
        )
        if mine.filter(status__in=[PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED]).exists():
            raise PaymentRefused("already_paid", "this has been paid")
        mine.filter(status=PaymentStatus.PENDING).update(
            status=PaymentStatus.EXPIRED,
            failure_reason="replaced by a new payment",
            updated_at=timezone.now(),
        )
        payment = Payment.objects.create(
            municipality_id=municipality_id,
            payable_kind=kind,
            payable_id=payable_id,
            payer=payer,
            department_id=department_id,
            purpose=purpose[:120],
            amount=amount,
            provider=provider,
            expires_at=timezone.now() + dt.timedelta(minutes=minutes),
        )
    return _checkout_open(payment, plugin=plugin, provider=provider, base_url=base_url)


def _checkout_open(payment: Payment, *, plugin: PaymentProvider, provider: str, base_url: str) -> Payment:
    """Ask the provider for the checkout of a saved payment; a provider that fails marks it failed."""
    base = base_url.rstrip("/")
    try:
        started: Started = plugin.start(
            payment,
            return_url=f"{base}/my/payments/{payment.reference}/return/",
            webhook_url=f"{base}/payments/webhooks/{provider}/",
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED, failure_reason=str(exc)[:200], updated_at=timezone.now()
        )
        raise PaymentRefused("provider_error", str(exc)) from exc
    Payment.objects.filter(pk=payment.pk).update(
        provider_reference=started.provider_reference,
        checkout_url=started.redirect_url,
        qr_payload=started.qr_payload,
        updated_at=timezone.now(),
    )
    payment.refresh_from_db()
    return payment


def payable_refund(*, kind: str, payable_id: int, reason: str, actor: User | None = None) -> int:
    """Give back everything paid for a payable (an event cancelled by the city) and end what is still
    running; returns the yen refunded. A refund the provider refuses is logged and left to staff
    (the payment keeps its status, so the payments list shows it as paid and not refunded)."""
    refunded = 0
    payments = Payment.objects.filter(payable_kind=kind, payable_id=payable_id)
    for payment in payments.filter(status=PaymentStatus.PENDING):
        payment_apply_event(
            municipality_id=payment.municipality_id,
            provider=payment.provider,
            event=ProviderEvent(
                event_id=f"cancel:{payment.reference}",
                kind="expired",
                payment_reference=payment.reference,
                amount=0,
                occurred_at=timezone.now(),
            ),
            actor=actor,
            reason=reason,
        )
    for payment in payments.filter(status__in=[PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED]):
        amount = payment.refundable
        if amount <= 0:
            continue
        try:
            plugin = provider_for(_config(payment.municipality_id, payment.provider))
            event = plugin.refund(payment, amount=amount, reason=reason[:300] or "cancelled")
        except (ProviderError, PaymentRefused) as exc:
            logger.warning("refund of %s failed: %s", payment.reference, exc)
            continue
        payment_apply_event(
            provider=payment.provider,
            event=event,
            municipality_id=payment.municipality_id,
            actor=actor,
            reason=reason,
        )
        refunded += amount
    return refunded


def _as_event(record: PaymentEvent) -> ProviderEvent:
    return ProviderEvent(
        event_id=record.event_id,
        kind=record.kind,
        payment_reference=record.payment.reference,
        amount=record.amount,
        occurred_at=record.occurred_at,
    )


def _save(payment: Payment, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.row_version += 1
    payment.save(update_fields=[*fields, "row_version", "updated_at"])


def _apply(payment: Payment, event: ProviderEvent, follow_up: list[tuple[int, int, str | None]]) -> str:
    status = payment.status
    if event.kind == "paid":
        if event.amount != payment.amount:
            _save(payment, flag=PaymentFlag.AMOUNT_MISMATCH)
            return f"amount mismatch ({event.amount} yen, expected {payment.amount}): not marked paid"
        if status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
            # The same fee paid a second time (a second event id): give the second payment back.
            _save(payment, flag=PaymentFlag.DUPLICATE)
            follow_up.append((payment.pk, event.amount, event.provider_reference))
            return "paid twice: the second payment is refunded"
        method = event.method if event.method in PaymentMethod.values else payment.method
        late = status == PaymentStatus.EXPIRED or event.occurred_at > payment.expires_at
        _save(
            payment,
            status=PaymentStatus.PAID,
            paid_at=event.occurred_at,
            paid_amount=event.amount,
            method=method,
            provider_reference=event.provider_reference or payment.provider_reference,
            receipt_number=payment.receipt_number or _next_receipt_number(payment, event.occurred_at),
            flag=PaymentFlag.PAID_AFTER_EXPIRY if late else payment.flag,
        )
        if late:
            follow_up.append((payment.pk, event.amount, None))
            return "paid after expiry: refunded"
        return "paid"
    if event.kind == "failed":
        if status == PaymentStatus.PENDING:
            _save(payment, status=PaymentStatus.FAILED, failure_reason="declined by the provider")
            return "failed"
        return f"ignored: already {status}"
    if event.kind == "expired":
        if status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            _save(payment, status=PaymentStatus.EXPIRED)
            return "expired"
        return f"ignored: already {status}"
    if event.kind == "refunded_second_charge":
        # The money of a second charge went back; the first payment stays paid.
        return f"second charge of {event.amount} yen refunded"
    second_charge = (
        event.kind == "refunded"
        and payment.flag == PaymentFlag.DUPLICATE
        and bool(event.provider_reference)
        and event.provider_reference != payment.provider_reference
    )
    if second_charge:
        return f"second charge of {event.amount} yen refunded"
    if event.kind == "refunded":
        if status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
            if status == PaymentStatus.REFUNDED:
                return "ignored: already refunded"
            return "deferred: refund before payment"
        refunded = min(payment.refunded_amount + event.amount, payment.paid_amount)
        new_status = (
            PaymentStatus.REFUNDED if refunded >= payment.paid_amount else PaymentStatus.PARTIALLY_REFUNDED
        )
        _save(payment, refunded_amount=refunded, status=new_status)
        return f"refunded {event.amount} yen"
    return f"ignored: unknown kind {event.kind!r}"


def _automatic_refund(payment_id: int, amount: int, *, second_charge: str | None) -> None:
    """Give money back that must not stay: a payment after expiry (``second_charge`` None) or the
    second charge of a fee paid twice (its charge reference; the first payment stays paid)."""
    payment = Payment.objects.select_related("municipality").get(pk=payment_id)
    try:
        plugin = provider_for(_config(payment.municipality_id, payment.provider))
        event = plugin.refund(
            payment,
            amount=amount,
            reason="second charge" if second_charge is not None else "paid after expiry",
            provider_reference=second_charge or "",
        )
    except (ProviderError, PaymentRefused) as exc:
        # Staff see the flag on the payment and refund by other means.
        logger.warning("automatic refund of %s failed: %s", payment.reference, exc)
        return
    if second_charge is not None:
        # Same event id as the provider's refund: its webhook for this refund is then a duplicate.
        event = replace(event, kind="refunded_second_charge")
    payment_apply_event(provider=payment.provider, event=event, municipality_id=payment.municipality_id)


def payment_refund(*, payment: Payment, staff: User, amount: int, reason: str) -> str:
    """Refund (part of) a paid payment through its provider; authorized staff, with a reason, audited."""
    if not reason.strip():
        raise PaymentRefused("reason_required", "give the reason for the refund")
    if amount <= 0 or amount > payment.refundable:
        raise PaymentRefused("amount", f"between 1 and {payment.refundable} yen")
    plugin = provider_for(_config(payment.municipality_id, payment.provider))
    try:
        event = plugin.refund(payment, amount=amount, reason=reason)
    except ProviderError as exc:
        raise PaymentRefused("provider_error", str(exc)) from exc
    return payment_apply_event(
        provider=payment.provider,
        event=event,
        municipality_id=payment.municipality_id,
        actor=staff,
        reason=reason,
    )


def payment_record_counter(
    *, application: Application, staff: User, method: str, amount: int, slip_number: str
) -> Payment:
    """Cash or a card terminal at the counter: staff enter the amount and the slip (伝票) number."""
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD_TERMINAL):
        raise PaymentRefused("method", "cash or card terminal")
    fee = fee_of(application)
    if amount != fee.amount:
        raise PaymentRefused("amount", f"the fee is {fee.amount} yen")
    if paid_for(application) is not None:
        raise PaymentRefused("already_paid", "this fee has been paid")
    if not slip_number.strip():
        raise PaymentRefused("slip_number", "enter the slip number")
    with transaction.atomic():
        payment = Payment.objects.create(
            municipality_id=application.municipality_id,
            application=application,
            payer=application.applicant,
            department_id=application.department_id,
            purpose=fee.purpose,
            amount=amount,
            provider="counter",
            method=method,
            provider_reference=slip_number.strip()[:100],
            expires_at=timezone.now() + dt.timedelta(days=1),
            answers_digest=answers_digest(application.answers or {})
            if application.status == Status.DRAFT
            else "",
        )
        payment_apply_event(
            municipality_id=payment.municipality_id,
            provider="counter",
            event=ProviderEvent(
                event_id=f"counter:{payment.reference}",
                kind="paid",
                payment_reference=payment.reference,
                amount=amount,
                occurred_at=timezone.now(),
                provider_reference=slip_number.strip()[:100],
                method=method,
            ),
            actor=staff,
        )
    payment.refresh_from_db()
    return payment


def payment_cancel(*, payment: Payment, actor: User) -> str:
    """The resident stops a payment not yet made (to change the answers, or to pay another way).

    If the money arrives after all, it is a payment after expiry and goes back (refund path).
    """
    if payment.payer_id != actor.pk or payment.status != PaymentStatus.PENDING:
        return "ignored"
    if payment.application_id is None:
        return "ignored"  # a tax slip is owed whatever the resident does here
    return payment_apply_event(
        municipality_id=payment.municipality_id,
        provider=payment.provider,
        event=ProviderEvent(
            event_id=f"cancel:{payment.reference}",
            kind="expired",
            payment_reference=payment.reference,
            amount=0,
            occurred_at=timezone.now(),
        ),
        actor=actor,
    )


def payments_expire(*, now: dt.datetime | None = None) -> int:
    """Pending payments past their time end as expired (a late payment is then refunded)."""
    now = now or timezone.now()
    expired = 0
    # Tax slips stay owed after their due date (the tax system adds 延滞金); only payments started here expire.
    due = Payment.objects.filter(status=PaymentStatus.PENDING, expires_at__lt=now).exclude(provider="eltax")
    for payment in due.iterator():
        outcome = payment_apply_event(
            municipality_id=payment.municipality_id,
            provider=payment.provider,
            event=ProviderEvent(
                event_id=f"expiry:{payment.reference}",
                kind="expired",
                payment_reference=payment.reference,
                amount=0,
                occurred_at=now,
            ),
        )
        expired += outcome == "expired"
    return expired

"""Payments of fees and taxes: what is owed, how it was paid, what the payment service settled.

A ``Payment`` belongs to an application (a fee), to a *payable* of another app (an event's
registration: ``payable_kind`` + ``payable_id``, see ``idx.payments.payables``) or stands alone (a tax slip imported with its
eL番号). Its status only moves forward (pending → paid / failed / expired; paid → refunded), and
every message from a provider is kept once as a ``PaymentEvent`` keyed by the provider's event
id, so a webhook sent twice, late or out of order changes nothing it should not.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.models import TenantModel


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")


FINAL = {PaymentStatus.FAILED, PaymentStatus.EXPIRED, PaymentStatus.REFUNDED}


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Credit card")
    QR = "qr", _("QR code payment")
    CASH = "cash", _("Cash at the counter")
    CARD_TERMINAL = "card_terminal", _("Card at the counter")
    ELTAX = "eltax", _("地方税お支払サイト (eL-QR)")
    OTHER = "other", _("Other")


class PaymentFlag(models.TextChoices):
    NONE = "", _("None")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount does not match")
    PAID_AFTER_EXPIRY = "paid_after_expiry", _("Paid after it expired")
    DUPLICATE = "duplicate", _("Paid twice")


def new_payment_reference() -> str:
    # What the payment service and the settlement file carry back to us (no personal data).
    return "PAY-" + secrets.token_hex(8).upper()


class ProviderConfig(TenantModel):
    """A payment provider enabled for a municipality, with its settings (URLs, merchant ids, keys)."""

    provider = models.SlugField(max_length=40)
    enabled = models.BooleanField(default=True)
    label = models.CharField(max_length=80, blank=True)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "provider"], name="payment_provider_unique")
        ]

    def __str__(self) -> str:
        return self.provider


class Payment(TenantModel):
    reference = models.CharField(max_length=40, unique=True, default=new_payment_reference)
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    # Or what another app registered as payable (``idx.payments.payables``): its kind and row id.
    payable_kind = models.SlugField(max_length=40, blank=True, default="")
    payable_id = models.BigIntegerField(null=True, blank=True)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=120)  # 住民票の写し 2通, 市県民税 第1期 …
    amount = models.PositiveIntegerField()  # yen
    provider = models.SlugField(max_length=40)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    flag = models.CharField(max_length=20, choices=PaymentFlag.choices, blank=True, default="")
    provider_reference = models.CharField(max_length=100, blank=True)  # the checkout / transaction id
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_amount = models.PositiveIntegerField(default=0)
    refunded_amount = models.PositiveIntegerField(default=0)
    receipt_number = models.CharField(max_length=40, blank=True)  # 領収番号
    # Fee payments made before submission: the answers they were paid for (the draft is locked meanwhile).
    answers_digest = models.CharField(max_length=64, blank=True)
    # Where the resident pays: the hosted checkout's page, or the QR code payload of a slip.
    checkout_url = models.URLField(max_length=500, blank=True)
    qr_payload = models.TextField(blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    row_version = models.PositiveIntegerField(default=1)
    # Tax slips: the eL番号 and the eL-QR content as the tax system issued them (not generated here).
    el_number = models.CharField(max_length=40, blank=True)
    el_qr = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    # The client's Idempotency-Key of the request that started it (API): a retry finds this payment.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["municipality", "status", "-created_at"]),
            models.Index(fields=["provider", "provider_reference"]),
            models.Index(fields=["payable_kind", "payable_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "idempotency_key"], name="payment_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def refundable(self) -> int:
        return max(self.paid_amount - self.refunded_amount, 0)


class PaymentEvent(models.Model):
    """One message about a payment (webhook, return from checkout, counter entry, refund), kept once."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    provider = models.SlugField(max_length=40)
    event_id = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)  # paid, failed, expired, refunded, created …
    amount = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)  # what it changed, or why it changed nothing
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)  # refunds

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class ReceiptSequence(models.Model):
    """The last 領収番号 issued per municipality and year."""

    municipality = models.ForeignKey("common.Municipality", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="payment_receipt_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.year}: {self.last_number}"


class SettlementImport(TenantModel):
    """One settlement file from a payment service, matched against our payments."""

    provider = models.SlugField(max_length=40)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "file_sha256"], name="settlement_file_once")
        ]

    def __str__(self) -> str:
        return self.file_name


class MismatchKind(models.TextChoices):
    MISSING_HERE = "missing_here", _("Settled, but no such payment here")
    MISSING_THERE = "missing_there", _("Paid here, but not in the settlement")
    AMOUNT = "amount", _("Amount differs")
    DUPLICATE = "duplicate", _("Settled twice")


class SettlementLine(models.Model):
    settlement = models.ForeignKey(SettlementImport, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    provider_reference = models.CharField(max_length=100)
    payment_reference = models.CharField(max_length=40, blank=True)
    amount = models.IntegerField()
    settled_at = models.DateTimeField()
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="settlements"
    )
    mismatch = models.CharField(max_length=20, choices=MismatchKind.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["settlement", "line_number"]

    def __str__(self) -> str:
        return f"{self.settlement_id}:{self.line_number}"

"""The demo payment service's state: merchants (one per municipality), checkouts, refunds, webhooks.

A stand-in for a hosted-checkout payment service so the demo and the tests run the real HTTP flow
(API with a secret key, checkout page, signed webhooks). No money moves. Only reachable when
IDX_DEMO_PAY is on, which production settings refuse.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.models import Municipality


def _token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def new_checkout_id() -> str:
    return _token("co")


def new_refund_id() -> str:
    return _token("re")


class DemoPayMerchant(models.Model):
    """The municipality's account at the demo service: its fee and the chaos applied to its webhooks.

    Its keys are those of the municipality's ``hosted`` ProviderConfig row (demo data both sides).
    """

    municipality = models.OneToOneField(Municipality, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    # Settlement fee in hundredths of a percent (324 = 3.24 %), deducted in the settlement file.
    fee_basis_points = models.PositiveIntegerField(default=324)
    # Chaos for demos and tests; a checkout may override each of them.
    send_twice = models.BooleanField(default=False)
    delay_seconds = models.PositiveIntegerField(default=0)
    hold_paid_until_refund = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class CheckoutStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Declined")
    CANCELED = "canceled", _("Canceled")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")


class DemoCheckout(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_checkout_id)
    merchant = models.ForeignKey(DemoPayMerchant, on_delete=models.CASCADE, related_name="checkouts")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="JPY")
    reference = models.CharField(max_length=100)  # the merchant's payment reference
    description = models.CharField(max_length=200, blank=True)
    return_url = models.URLField(max_length=500)
    webhook_url = models.URLField(max_length=500)
    status = models.CharField(max_length=20, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    method = models.CharField(max_length=20, blank=True)  # card / qr
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)
    # Chaos per checkout; None follows the merchant.
    send_twice = models.BooleanField(null=True, blank=True)
    delay_seconds = models.PositiveIntegerField(null=True, blank=True)
    hold_paid_until_refund = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.public_id


class DemoRefund(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_refund_id)
    checkout = models.ForeignKey(DemoCheckout, on_delete=models.CASCADE, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.public_id


class DemoWebhook(models.Model):
    """One event as sent (kept so it can be delivered late, again, or replayed byte for byte)."""

    checkout = models.ForeignKey(DemoCheckout, on_delete=models.CASCADE, related_name="webhooks")
    event_id = models.CharField(max_length=80)
    event_type = models.CharField(max_length=40)
    body = models.BinaryField()
    # The IDX-Signature header of the last attempt (a replay sends exactly this again).
    signature = models.CharField(max_length=300, blank=True)
    deliver_after = models.DateTimeField()
    held = models.BooleanField(default=False)  # out of order: waits for a later event of the checkout
    released = models.BooleanField(default=False)  # was held: goes out after the event that released it
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deliver_after", "released", "pk"]

    def __str__(self) -> str:
        return f"{self.event_type}:{self.event_id}"

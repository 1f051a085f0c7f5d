"""What the demo payment service does: open checkouts, take (fake) payments, refund, settle.

Every change of a checkout queues the webhook a real service would send (``idx.demo_pay.webhooks``).
The event ids are stable per checkout (``<checkout>:paid``) and a refund's event id is the refund's
id, so the return from the checkout, a status query and the refund API's answer name the same event
as the webhook does, and IDX applies each only once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idx.common.errors import DomainError
from idx.common.models import Municipality, MunicipalityHost
from idx.common.spreadsheet import csv_text
from idx.demo_pay.models import CheckoutStatus, DemoCheckout, DemoPayMerchant, DemoRefund, DemoWebhook
from idx.payments import signing
from idx.payments.reconciliation import SETTLEMENT_COLUMNS as RECONCILED_COLUMNS

DEFAULT_EXPIRY_MINUTES = 60
MAX_AMOUNT = 10_000_000
DECLINED_CARD = "4000000000000002"
PAYING_CARD_PREFIX = "4242"
# The settlement file's header, as reconciliation reads it.
SETTLEMENT_COLUMNS = list(RECONCILED_COLUMNS)
PAID_LIKE = (CheckoutStatus.PAID, CheckoutStatus.PARTIALLY_REFUNDED, CheckoutStatus.REFUNDED)


class DemoPayError(DomainError):
    """A request the demo service refuses; ``status`` is the HTTP status of its API answer."""

    code = "demo_pay_refused"
    message: str = ""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status
        self.http_status = status


def _hosted_settings(municipality_id: int) -> dict[str, Any]:
    from idx.payments.models import ProviderConfig

    config = ProviderConfig.objects.filter(municipality_id=municipality_id, provider="hosted").first()
    return dict(config.config or {}) if config is not None else {}


def merchant_for(municipality: Municipality) -> DemoPayMerchant:
    merchant, _created = DemoPayMerchant.objects.get_or_create(
        municipality=municipality, defaults={"name": f"{municipality.name}（デモ）"}
    )
    return merchant


def merchant_for_key(municipality: Municipality, key: str) -> DemoPayMerchant | None:
    """The municipality's merchant when ``key`` is its secret API key (compared in constant time)."""
    expected = str(_hosted_settings(municipality.pk).get("secret_key") or "")
    if not expected or not key or not hmac.compare_digest(expected.encode(), key.encode()):
        return None
    return merchant_for(municipality)


def signing_secret(merchant: DemoPayMerchant) -> str:
    """The webhook secret the service signs with: the first (newest) one while they are rotated."""
    configured = _hosted_settings(merchant.municipality_id).get("webhook_secret") or ""
    if isinstance(configured, list):
        configured = configured[0] if configured else ""
    if not configured:
        raise DemoPayError("the merchant has no webhook secret", status=500)
    return str(configured)


def _own_url(merchant: DemoPayMerchant, url: str) -> bool:
    # The service only redirects to and calls back hosts of the merchant's municipality (no open
    # redirect, no requests to arbitrary addresses).
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return MunicipalityHost.objects.filter(
        municipality_id=merchant.municipality_id, hostname=parts.hostname.lower()
    ).exists()


def checkout_create(
    *,
    merchant: DemoPayMerchant,
    amount: object,
    currency: object,
    reference: object,
    return_url: object,
    webhook_url: object,
    description: object = "",
    expires_at: object = None,
) -> DemoCheckout:
    """Open a checkout from the API's JSON fields (checked here, since they come from outside)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise DemoPayError(f"amount must be a whole number of yen between 1 and {MAX_AMOUNT}")
    if currency != "JPY":
        raise DemoPayError("currency must be JPY")
    if not isinstance(reference, str) or not re.fullmatch(r"[\x21-\x7e]{1,100}", reference):
        raise DemoPayError("reference must be 1 to 100 printable ASCII characters")
    if not isinstance(description, str) or len(description) > 200:
        raise DemoPayError("description must be text of at most 200 characters")
    for name, url in (("return_url", return_url), ("webhook_url", webhook_url)):
        if not isinstance(url, str) or len(url) > 500 or not _own_url(merchant, url):
            raise DemoPayError(f"{name} must be an http(s) URL of the merchant's own site")
    now = timezone.now()
    expiry = now + dt.timedelta(minutes=DEFAULT_EXPIRY_MINUTES)
    if expires_at not in (None, ""):
        try:
            expiry = dt.datetime.fromisoformat(str(expires_at))
        except ValueError:
            raise DemoPayError("expires_at must be an ISO 8601 date and time") from None
        if timezone.is_naive(expiry) or expiry <= now:
            raise DemoPayError("expires_at must be a future time with a time zone")
    assert isinstance(return_url, str) and isinstance(webhook_url, str)
    return DemoCheckout.objects.create(
        merchant=merchant,
        amount=amount,
        currency="JPY",
        reference=reference,
        description=description,
        return_url=return_url,
        webhook_url=webhook_url,
        expires_at=expiry,
    )


def checkout_get(municipality: Municipality, public_id: str) -> DemoCheckout | None:
    return (
        DemoCheckout.objects.select_related("merchant__municipality")
        .filter(public_id=public_id, merchant__municipality=municipality)
        .first()
    )


def checkout_as_json(checkout: DemoCheckout, url: str) -> dict[str, object]:
    return {
        "id": checkout.public_id,
        "url": url,
        "status": checkout.status,
        "amount": checkout.amount,
        "currency": checkout.currency,
        "reference": checkout.reference,
        "description": checkout.description,
        "method": checkout.method,
        "paid_at": checkout.paid_at.isoformat() if checkout.paid_at else None,
        "refunded_amount": checkout.refunded_amount,
        "expires_at": checkout.expires_at.isoformat(),
        "paid_event_id": paid_event_id(checkout),
    }


def paid_event_id(checkout: DemoCheckout) -> str:
    return f"{checkout.public_id}:paid"


def card_digits(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "")


def _event_body(
    checkout: DemoCheckout, *, event_id: str, event_type: str, amount: int, occurred_at: dt.datetime
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "payment_reference": checkout.reference,
            "amount": amount,
            "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
            "provider_reference": checkout.public_id,
            "method": checkout.method,
        },
        separators=(",", ":"),
    ).encode()


def _queue(
    checkout: DemoCheckout, *, event_id: str, event_type: str, amount: int, now: dt.datetime
) -> DemoWebhook:
    merchant = checkout.merchant
    delay = checkout.delay_seconds if checkout.delay_seconds is not None else merchant.delay_seconds
    hold = (
        checkout.hold_paid_until_refund
        if checkout.hold_paid_until_refund is not None
        else merchant.hold_paid_until_refund
    )
    webhook = DemoWebhook.objects.create(
        checkout=checkout,
        event_id=event_id,
        event_type=event_type,
        body=_event_body(checkout, event_id=event_id, event_type=event_type, amount=amount, occurred_at=now),
        deliver_after=now + dt.timedelta(seconds=delay),
        held=hold and event_type == "payment.paid",
    )
    if event_type == "payment.refunded":
        # Out of order: a held payment.paid goes out only after this later event.
        DemoWebhook.objects.filter(checkout=checkout, held=True).update(
            held=False, released=True, deliver_after=webhook.deliver_after
        )
    return webhook


def expire_if_due(checkout: DemoCheckout, *, now: dt.datetime | None = None) -> bool:
    """An open checkout past its time expires (and says so by webhook)."""
    now = now or timezone.now()
    if checkout.status != CheckoutStatus.OPEN or checkout.expires_at > now:
        return False
    with transaction.atomic():
        locked = DemoCheckout.objects.select_for_update().select_related("merchant").get(pk=checkout.pk)
        if locked.status != CheckoutStatus.OPEN:
            return False
        locked.status = CheckoutStatus.EXPIRED
        locked.save(update_fields=["status"])
        _queue(
            locked, event_id=f"{locked.public_id}:expired", event_type="payment.expired", amount=0, now=now
        )
    checkout.refresh_from_db()
    _send_after_response(checkout)
    return True


def checkout_pay(*, checkout: DemoCheckout, method: str, card_number: str = "") -> DemoCheckout:
    """The resident pays (card or QR wallet). A declined card ends the checkout as failed."""
    if method not in ("card", "qr"):
        raise DemoPayError("method must be card or qr")
    digits = card_digits(card_number)
    if method == "card" and digits != DECLINED_CARD and not re.fullmatch(r"4242[0-9]{12}", digits):
        raise DemoPayError("unknown test card")
    now = timezone.now()
    with transaction.atomic():
        locked = DemoCheckout.objects.select_for_update().select_related("merchant").get(pk=checkout.pk)
        if locked.status != CheckoutStatus.OPEN or locked.expires_at <= now:
            raise DemoPayError("the checkout is not open", status=409)
        locked.method = method
        if method == "card" and digits == DECLINED_CARD:
            locked.status = CheckoutStatus.FAILED
            locked.save(update_fields=["status", "method"])
            _queue(
                locked, event_id=f"{locked.public_id}:failed", event_type="payment.failed", amount=0, now=now
            )
        else:
            locked.status = CheckoutStatus.PAID
            locked.paid_at = now
            locked.save(update_fields=["status", "method", "paid_at"])
            _queue(
                locked,
                event_id=paid_event_id(locked),
                event_type="payment.paid",
                amount=locked.amount,
                now=now,
            )
    _send_after_response(locked)
    return locked


def checkout_cancel(*, checkout: DemoCheckout) -> DemoCheckout:
    """The resident gives up: the checkout ends, and the merchant hears it failed (so it can start again)."""
    now = timezone.now()
    with transaction.atomic():
        locked = DemoCheckout.objects.select_for_update().select_related("merchant").get(pk=checkout.pk)
        if locked.status != CheckoutStatus.OPEN:
            raise DemoPayError("the checkout is not open", status=409)
        locked.status = CheckoutStatus.CANCELED
        locked.save(update_fields=["status"])
        _queue(
            locked, event_id=f"{locked.public_id}:canceled", event_type="payment.failed", amount=0, now=now
        )
    _send_after_response(locked)
    return locked


def checkout_refund(*, checkout: DemoCheckout, amount: object, reason: object = "") -> DemoRefund:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DemoPayError("amount must be a positive whole number of yen")
    if not isinstance(reason, str) or len(reason) > 300:
        raise DemoPayError("reason must be text of at most 300 characters")
    now = timezone.now()
    with transaction.atomic():
        locked = DemoCheckout.objects.select_for_update().select_related("merchant").get(pk=checkout.pk)
        if locked.status not in (CheckoutStatus.PAID, CheckoutStatus.PARTIALLY_REFUNDED):
            raise DemoPayError("only a paid checkout can be refunded", status=409)
        if amount > locked.amount - locked.refunded_amount:
            raise DemoPayError(f"at most {locked.amount - locked.refunded_amount} yen can be refunded")
        refund = DemoRefund.objects.create(checkout=locked, amount=amount, reason=reason)
        locked.refunded_amount += amount
        locked.status = (
            CheckoutStatus.REFUNDED
            if locked.refunded_amount >= locked.amount
            else CheckoutStatus.PARTIALLY_REFUNDED
        )
        locked.save(update_fields=["refunded_amount", "status"])
        _queue(locked, event_id=refund.public_id, event_type="payment.refunded", amount=amount, now=now)
    _send_after_response(locked)
    return refund


def _send_after_response(checkout: DemoCheckout) -> None:
    from idx.demo_pay import webhooks

    webhooks.dispatch(checkout_id=checkout.pk)


# ---- the return to the merchant's site --------------------------------------------------------


def return_canonical(*, checkout_id: str, status: str, reference: str, amount: str) -> bytes:
    """What the signature of the return parameters covers (with the timestamp, as in webhooks)."""
    return "|".join([checkout_id, status, reference, amount]).encode()


def signed_return_url(checkout: DemoCheckout, *, now: dt.datetime | None = None) -> str:
    stamp = int((now or timezone.now()).timestamp())
    amount = str(checkout.amount if checkout.status in PAID_LIKE else 0)
    canonical = return_canonical(
        checkout_id=checkout.public_id, status=checkout.status, reference=checkout.reference, amount=amount
    )
    header = signing.sign(canonical, signing_secret(checkout.merchant), timestamp=stamp)
    signature = header.split("v1=", 1)[1]
    query = urlencode(
        {
            "checkout": checkout.public_id,
            "status": checkout.status,
            "reference": checkout.reference,
            "amount": amount,
            "t": stamp,
            "sig": signature,
        }
    )
    separator = "&" if urlsplit(checkout.return_url).query else "?"
    return f"{checkout.return_url}{separator}{query}"


# ---- settlement ---------------------------------------------------------------------------------


def fee_for(merchant: DemoPayMerchant, amount: int) -> int:
    return (amount * merchant.fee_basis_points + 5000) // 10000


def settlement_csv(*, merchant: DemoPayMerchant, day: dt.date) -> str:
    """The day's captured payments (Japan time), as the merchant's reconciliation imports them."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())
    checkouts = DemoCheckout.objects.filter(
        merchant=merchant, status__in=PAID_LIKE, paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1)
    ).order_by("paid_at", "pk")
    rows: list[list[object]] = [list(SETTLEMENT_COLUMNS)]
    for checkout in checkouts:
        assert checkout.paid_at is not None
        rows.append(
            [
                day.isoformat(),
                checkout.public_id,
                checkout.reference,
                checkout.amount,
                timezone.localtime(checkout.paid_at).isoformat(),
                fee_for(merchant, checkout.amount),
            ]
        )
    return csv_text(rows)


# ---- setting the demo up ------------------------------------------------------------------------


def configure_for_municipality(municipality: Municipality) -> DemoPayMerchant | None:
    """Make the demo service the municipality's ``hosted`` provider (keys as ``idx.payments.demo`` sets them)."""
    from idx.payments.demo import configure_demo_payments

    if not settings.IDX_DEMO_PAY:
        return None
    if not _hosted_settings(municipality.pk):
        configure_demo_payments(municipality)
    return merchant_for(municipality)

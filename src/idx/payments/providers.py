"""Payment providers are plugins (like Open Forms' payment plugins): a registry of classes by id.

A municipality enables a provider with a ``ProviderConfig`` row (URLs, merchant ids, keys). The
plugin starts a payment (a redirect to a hosted checkout, or a QR code slip), reads what the
provider sends back (signed webhooks; the signed return from the checkout), refunds and asks for
the status. It never changes a payment itself: it turns the provider's messages into
``ProviderEvent`` values and ``idx.payments.services.payment_apply_event`` decides what they mean.

Shipped: ``hosted`` (a configurable hosted-checkout service: card and QR wallets behind its page),
``jpqr`` (a JPQR / EMVCo merchant-presented QR slip), ``counter`` (cash or card terminal entered by
staff) and ``eltax`` (tax slips with the eL番号 and eL-QR issued by the tax system).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from idx.common.errors import DomainError
from idx.common.registry import Registry

if TYPE_CHECKING:
    from idx.payments.models import Payment, ProviderConfig


class ProviderError(DomainError):
    """The provider could not do what was asked (unreachable, refused); nothing was changed here."""

    code = "provider_error"
    http_status = 502


class WebhookRejected(Exception):
    """A webhook that is forged, stale or malformed: answered 400/401 and logged, never applied."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Started:
    """How the resident pays: go to ``redirect_url``, or scan ``qr_payload`` (shown as a QR code)."""

    provider_reference: str = ""
    redirect_url: str = ""
    qr_payload: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """Something the provider says happened to a payment."""

    event_id: str  # unique per provider: a second delivery of the same event is ignored
    kind: str  # "paid", "failed", "expired", "refunded"
    payment_reference: str  # our Payment.reference, as given when the payment was started
    amount: int  # yen: paid or refunded by this event
    occurred_at: dt.datetime
    provider_reference: str = ""
    method: str = ""  # PaymentMethod value when the provider tells it


class PaymentProvider:
    identifier: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Residents may choose it online (counter and tax slips are not chosen by residents).
    online: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig):
        self.config = config
        self.settings: Mapping[str, Any] = config.config or {}

    def check_config(self) -> list[str]:
        """Problems with the configuration, in words for an administrator; empty when fine."""
        return []

    def start(self, payment: Payment, *, return_url: str, webhook_url: str) -> Started:
        raise NotImplementedError

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], now: dt.datetime
    ) -> list[ProviderEvent]:
        raise WebhookRejected("this provider sends no webhooks")

    def parse_return(self, params: Mapping[str, str], *, now: dt.datetime) -> ProviderEvent | None:
        """The signed result the checkout sends the resident back with; None when there is none."""
        return None

    def refund(
        self, payment: Payment, *, amount: int, reason: str, provider_reference: str = ""
    ) -> ProviderEvent:
        """Give back ``amount`` of the charge ``provider_reference`` (default: the payment's own charge;
        another one when the same fee was charged twice)."""
        raise ProviderError("this provider cannot refund; refund by bank transfer and record it")

    def status(self, payment: Payment) -> ProviderEvent | None:
        return None


providers: Registry[PaymentProvider] = Registry()


def provider_for(
    config: ProviderConfig, registry: Registry[PaymentProvider] | None = None
) -> PaymentProvider:
    cls = (registry or providers)[config.provider]
    return cls(config)

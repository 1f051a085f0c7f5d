"""The JPQR payment slip (統一QR「JPQR」): a dynamic EMVCo merchant-presented QR code for one fee.

The resident scans the code with any JPQR wallet app (on the portal, or printed on the slip) and
pays there; nothing is redirected. The acquirer that contracted with the municipality reports the
payment, and any refund made in its console, with webhooks in IDX's signed format
(``webhook_format``). The code carries our payment reference as its reference label (62/05), which
the acquirer sends back, so the payment is found without a transaction id of theirs.

Config (``ProviderConfig.config``): ``merchant_id`` (26/01, as the acquirer registered the city),
optional ``store_id`` / ``terminal_id`` (26/02, 26/03), ``merchant_name`` and ``city`` (Latin, at
most 25 and 15 characters), ``merchant_name_ja`` and ``city_ja`` (the language template),
``mcc`` (default 9399, government services), ``expires_minutes`` (default 7 days: a slip may be
paid later at home), ``webhook_secret`` (and ``webhook_secret_previous`` while rotating it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from django.utils.translation import gettext as _

from idx.payments.emvco import MCC_GOVERNMENT_SERVICES, EmvcoError, JpqrMerchant, jpqr_slip
from idx.payments.providers import PaymentProvider, ProviderError, ProviderEvent, Started, providers
from idx.payments.webhook_format import signed_events

if TYPE_CHECKING:
    from idx.payments.models import Payment

DEFAULT_EXPIRES_MINUTES = 7 * 24 * 60
# A wallet payment is all the acquirer reports: declined scans never reach it as a payment.
WEBHOOK_KINDS = frozenset({"paid", "refunded"})


@providers.register("jpqr")
class JpqrSlipProvider(PaymentProvider):
    identifier = "jpqr"
    label = "JPQR"
    online = True
    default_expires_minutes: ClassVar[int] = DEFAULT_EXPIRES_MINUTES

    def _text(self, key: str, default: str = "") -> str:
        value = self.settings.get(key, default)
        return value.strip() if isinstance(value, str) else ""

    def merchant(self) -> JpqrMerchant:
        return JpqrMerchant(
            merchant_id=self._text("merchant_id"),
            name=self._text("merchant_name"),
            city=self._text("city"),
            name_ja=self._text("merchant_name_ja"),
            city_ja=self._text("city_ja"),
            mcc=str(self.settings.get("mcc", MCC_GOVERNMENT_SERVICES)).strip(),
            store_id=self._text("store_id"),
            terminal_id=self._text("terminal_id"),
        )

    def expires_minutes(self) -> int:
        value = self.settings.get("expires_minutes", self.default_expires_minutes)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError("expires_minutes")
        return value

    def check_config(self) -> list[str]:
        problems = self.merchant().problems()
        if not self._text("webhook_secret"):
            problems.append(_("%(key)s is missing.") % {"key": "webhook_secret"})
        try:
            self.expires_minutes()
        except ValueError:
            problems.append(_("expires_minutes must be a whole number of minutes above 0."))
        return problems

    def start(self, payment: Payment, *, return_url: str, webhook_url: str) -> Started:
        try:
            payload = jpqr_slip(self.merchant(), amount=payment.amount, reference=payment.reference)
        except EmvcoError as exc:
            raise ProviderError(f"the JPQR slip cannot be made: {exc}") from exc
        return Started(provider_reference=payment.reference, qr_payload=payload)

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], now: dt.datetime
    ) -> list[ProviderEvent]:
        secrets = [self._text("webhook_secret"), self._text("webhook_secret_previous")]
        events = signed_events(body=body, headers=headers, secrets=secrets, now=now, kinds=WEBHOOK_KINDS)
        # Every payment through a JPQR slip is a QR code payment, whatever the wallet.
        return [replace(event, method="qr") for event in events]

"""A hosted-checkout payment service: card and QR wallets (PayPay and the like) behind its own page.

Configured per municipality by ``ProviderConfig.config``::

    api_base        https://pay.example.jp/api/v1   (the in-project demo: <site>/demo-pay/api/v1)
    secret_key      the API key, sent as ``Authorization: Bearer``
    webhook_secret  the HMAC secret of webhooks and returns; a list while it is rotated (newest first)
    expires_minutes how long a started payment may be paid

The API: ``POST checkouts`` → ``{id, url, status}``; ``GET checkouts/<id>``; ``POST
checkouts/<id>/refunds`` → ``{id, amount}``. Webhooks are JSON events signed with ``IDX-Signature``
(``idx.payments.signing``); the resident comes back with query parameters ``checkout, status,
reference, amount, t, sig`` where ``sig`` is the ``v1`` HMAC of ``"<t>.<checkout>|<status>|<reference>|<amount>"``. A refund's event
id is the refund's id and a payment's is ``<checkout>:paid``, so the answer to a call and the
webhook about it are one event to ``payment_apply_event``.

HTTP goes through ``http_session()``: a transport adapter named by ``IDX_PAYMENTS_TRANSPORT`` (or
the back-channel one, ``IDX_OIDC_TRANSPORT``) replaces the network, so tests reach the demo service
through Django's test client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from idx.payments import signing
from idx.payments.providers import PaymentProvider, ProviderError, ProviderEvent, Started, providers
from idx.payments.webhook_format import signed_events

if TYPE_CHECKING:
    from idx.payments.models import Payment

TIMEOUT = (5, 15)  # connect, read (seconds)
# Return statuses of the checkout → what they mean here (canceled: the resident gave up).
RETURN_KINDS = {
    "paid": "paid",
    "partially_refunded": "paid",
    "refunded": "paid",
    "failed": "failed",
    "canceled": "failed",
    "expired": "expired",
}


def transport_path() -> str:
    return str(getattr(settings, "IDX_PAYMENTS_TRANSPORT", "") or settings.IDX_OIDC_TRANSPORT or "")


def http_session() -> requests.Session:
    session = requests.Session()
    transport = transport_path()
    if transport:
        adapter = import_string(transport)()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    elif settings.IDX_DEMO_PAY:
        # The demo serves towns at *.localhost, which the system resolver may not know.
        from idx.identity.contrib.oidc.plugins import LoopbackAdapter

        session.mount("http://", LoopbackAdapter())
    return session


def _secrets(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item]
    return []


@providers.register("hosted")
class HostedCheckoutProvider(PaymentProvider):
    identifier = "hosted"
    label = "クレジットカード・QRコード決済"
    online = True

    # ---- configuration -------------------------------------------------------------------

    def api_base(self) -> str:
        return str(self.settings.get("api_base", "")).rstrip("/")

    def webhook_secrets(self) -> list[str]:
        return _secrets(self.settings.get("webhook_secret"))

    def check_config(self) -> list[str]:
        problems = []
        base = urlsplit(self.api_base())
        if base.scheme != "https" and not (base.scheme == "http" and settings.IDX_DEMO_PAY):
            problems.append("api_base must be an https:// URL")
        if not base.hostname:
            problems.append("api_base has no host")
        if not str(self.settings.get("secret_key") or ""):
            problems.append("secret_key is missing")
        if not self.webhook_secrets():
            problems.append("webhook_secret is missing")
        minutes = self.settings.get("expires_minutes", 60)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 7 * 24 * 60:
            problems.append("expires_minutes must be a whole number of minutes (1 to 10080)")
        return problems

    # ---- calls to the service ------------------------------------------------------------

    def _call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = http_session().request(
                method,
                f"{self.api_base()}/{path}",
                json=payload,
                headers={
                    "Authorization": f"Bearer {self.settings.get('secret_key', '')}",
                    "Accept": "application/json",
                },
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ProviderError(f"the payment service cannot be reached ({type(exc).__name__})") from exc
        if not 200 <= response.status_code < 300:
            raise ProviderError(f"the payment service answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ProviderError("the payment service answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderError("the payment service answered something unexpected")
        return data

    def start(self, payment: Payment, *, return_url: str, webhook_url: str) -> Started:
        data = self._call(
            "POST",
            "checkouts",
            {
                "amount": payment.amount,
                "currency": "JPY",
                "reference": payment.reference,
                "return_url": return_url,
                "webhook_url": webhook_url,
                "description": payment.purpose,
                "expires_at": payment.expires_at.isoformat(),
            },
        )
        checkout_id, url = data.get("id"), data.get("url")
        if not isinstance(checkout_id, str) or not checkout_id or not isinstance(url, str):
            raise ProviderError("the payment service answered without a checkout")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderError("the payment service answered with an unusable checkout address")
        return Started(provider_reference=checkout_id, redirect_url=url)

    def _checkout_path(self, payment: Payment) -> str:
        if not payment.provider_reference:
            raise ProviderError("the payment was not started at the payment service")
        return f"checkouts/{quote(payment.provider_reference, safe='')}"

    def refund(
        self, payment: Payment, *, amount: int, reason: str, provider_reference: str = ""
    ) -> ProviderEvent:
        charge = provider_reference or payment.provider_reference
        if not charge:
            raise ProviderError("the payment was not started at the payment service")
        data = self._call(
            "POST", f"checkouts/{quote(charge, safe='')}/refunds", {"amount": amount, "reason": reason}
        )
        refund_id, refunded = data.get("id"), data.get("amount")
        if not isinstance(refund_id, str) or not refund_id or refunded != amount:
            raise ProviderError("the payment service answered without the refund")
        return ProviderEvent(
            event_id=refund_id,  # the same id as the payment.refunded webhook about it
            kind="refunded",
            payment_reference=payment.reference,
            amount=amount,
            occurred_at=timezone.now(),
            provider_reference=charge,
        )

    def status(self, payment: Payment) -> ProviderEvent | None:
        data = self._call("GET", self._checkout_path(payment))
        if data.get("reference") != payment.reference:
            raise ProviderError("the payment service answered about another payment")
        kind = RETURN_KINDS.get(str(data.get("status", "")))
        if kind is None:
            return None  # still open
        paid_at = data.get("paid_at")
        try:
            occurred_at = dt.datetime.fromisoformat(str(paid_at)) if paid_at else None
        except ValueError:
            occurred_at = None
        amount = data.get("amount") if kind == "paid" else 0
        return ProviderEvent(
            event_id=f"{data.get('id')}:{'paid' if kind == 'paid' else data.get('status')}",
            kind=kind,
            payment_reference=payment.reference,
            amount=amount if isinstance(amount, int) else 0,
            occurred_at=occurred_at or timezone.now(),
            provider_reference=str(data.get("id", "")),
            method=str(data.get("method") or ""),
        )

    # ---- what the service sends --------------------------------------------------------------

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], now: dt.datetime
    ) -> list[ProviderEvent]:
        # The signature (constant-time, timestamp tolerance, rotated secrets) first, then the strict reader.
        return signed_events(body=body, headers=headers, secrets=self.webhook_secrets(), now=now)

    def parse_return(self, params: Mapping[str, str], *, now: dt.datetime) -> ProviderEvent | None:
        """The checkout's signed redirect back; anything unsigned or altered is ignored (the webhook decides)."""
        checkout_id = params.get("checkout", "")
        status = params.get("status", "")
        reference = params.get("reference", "")
        amount = params.get("amount", "")
        kind = RETURN_KINDS.get(status)
        if kind is None or not checkout_id or not reference or not amount.isdigit():
            return None
        canonical = "|".join([checkout_id, status, reference, amount]).encode()
        header = f"t={params.get('t', '')},v1={params.get('sig', '')}"
        try:
            stamp = signing.verify(canonical, header, self.webhook_secrets(), now=now.timestamp())
        except signing.SignatureInvalid:
            return None
        suffix = "paid" if kind == "paid" else status
        return ProviderEvent(
            event_id=f"{checkout_id}:{suffix}",  # the same event as the webhook about it
            kind=kind,
            payment_reference=reference,
            amount=int(amount) if kind == "paid" else 0,
            occurred_at=dt.datetime.fromtimestamp(stamp, tz=dt.UTC),
            provider_reference=checkout_id,
        )

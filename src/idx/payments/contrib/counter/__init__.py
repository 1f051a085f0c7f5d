"""Payment at the counter: cash or a card terminal, entered by staff with the slip number.

Nothing to start or to hear back from: the clerk's entry (``payment_record_counter``) is the
payment. Refunds are paid out at the counter and recorded by staff in the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from idx.payments.providers import PaymentProvider, ProviderEvent, providers

if TYPE_CHECKING:
    from idx.payments.models import Payment


@providers.register("counter")
class CounterProvider(PaymentProvider):
    identifier = "counter"
    label = "窓口（現金・カード端末）"
    online = False

    def refund(
        self, payment: Payment, *, amount: int, reason: str, provider_reference: str = ""
    ) -> ProviderEvent:
        # Paid back in cash at the counter; the entry records it.
        now = timezone.now()
        return ProviderEvent(
            event_id=f"counter-refund:{payment.reference}:{int(now.timestamp() * 1000)}",
            kind="refunded",
            payment_reference=payment.reference,
            amount=amount,
            occurred_at=now,
        )

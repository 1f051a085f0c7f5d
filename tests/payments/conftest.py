"""Messages of the payment services are checked in English (the source language); pages are
requested in English too unless a test asks for another language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone, translation

from idx.payments import services
from idx.payments.models import Payment, ProviderConfig
from idx.payments.providers import PaymentProvider, ProviderEvent, Started
from tests.conftest import make_draft


@pytest.fixture(autouse=True)
def english_messages(settings) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


class FakeProvider(PaymentProvider):
    """A provider whose checkout is never visited: the tests send its events themselves."""

    identifier = "fake"

    def start(self, payment, *, return_url, webhook_url):  # type: ignore[no-untyped-def]
        return Started(provider_reference=f"chk_{payment.reference}", redirect_url="https://pay.example/chk")


@pytest.fixture
def started(monkeypatch, iga, resident) -> Payment:
    """A 住民票の写し draft whose fee payment has started with the fake provider."""
    ProviderConfig.objects.update_or_create(municipality=iga, provider="fake", defaults={"config": {}})
    monkeypatch.setattr(services, "provider_for", lambda config, registry=None: FakeProvider(config))
    draft = make_draft(resident, "residence-certificate-request")
    return services.payment_start(
        application=draft, actor=resident, provider="fake", base_url="http://testserver/"
    )


def paid_event(payment: Payment, event_id: str) -> ProviderEvent:
    return ProviderEvent(
        event_id=event_id,
        kind="paid",
        payment_reference=payment.reference,
        amount=payment.amount,
        occurred_at=timezone.now(),
    )

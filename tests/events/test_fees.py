"""Fees through payments: a registration is a payable; paid, expired unpaid, refunded when the city cancels."""

from __future__ import annotations

import pytest
from django.utils import timezone

from idx.events import services
from idx.events.models import PaymentState, RegistrationStatus
from idx.payments import services as payment_services
from idx.payments.models import Payment, PaymentStatus, ProviderConfig
from idx.payments.providers import PaymentProvider, ProviderEvent, Started
from tests.events.conftest import make_event
from tests.factories import ResidentFactory


class FakeProvider(PaymentProvider):
    identifier = "fake"

    def start(self, payment, *, return_url, webhook_url):  # type: ignore[no-untyped-def]
        return Started(provider_reference=f"chk_{payment.reference}", redirect_url="https://pay.example/chk")

    def refund(self, payment, *, amount, reason, provider_reference=""):  # type: ignore[no-untyped-def]
        return ProviderEvent(
            event_id=f"re_{payment.reference}",
            kind="refunded",
            payment_reference=payment.reference,
            amount=amount,
            occurred_at=timezone.now(),
        )


@pytest.fixture
def fake(monkeypatch, iga):
    ProviderConfig.objects.update_or_create(municipality=iga, provider="fake", defaults={"config": {}})
    monkeypatch.setattr(payment_services, "provider_for", lambda config, registry=None: FakeProvider(config))


@pytest.fixture
def marathon(iga):
    return make_event(
        iga,
        category="sports",
        titles={"ja": "伊賀上野シティマラソン", "en": "Iga-Ueno City Marathon"},
        capacity=2,
        waitlist_size=1,
        fee=3000,
        max_companions=1,
    )


def _pay(payment: Payment) -> str:
    return payment_services.payment_apply_event(
        provider="fake",
        event=ProviderEvent(
            event_id=f"paid_{payment.reference}",
            kind="paid",
            payment_reference=payment.reference,
            amount=payment.amount,
            occurred_at=timezone.now(),
        ),
    )


@pytest.mark.django_db
def test_paid_then_city_cancels_and_refunds(
    iga, fake, marathon, supervisor, django_capture_on_commit_callbacks
):
    a, b, c = (ResidentFactory(municipality=iga) for _ in range(3))
    paid = services.registration_create(event=marathon, resident=a)
    unpaid = services.registration_create(event=marathon, resident=b)
    waiting = services.registration_create(event=marathon, resident=c, accept_waitlist=True)
    assert paid.payment_state == PaymentState.DUE and waiting.payment_state == PaymentState.NONE
    payment = services.registration_payment_start(
        registration=paid, resident=a, provider="fake", base_url="http://testserver/"
    )
    assert payment.application_id is None
    assert (payment.payable_kind, payment.payable_id, payment.amount) == ("event_registration", paid.pk, 3000)
    with django_capture_on_commit_callbacks(execute=True):
        assert _pay(payment) == "paid"
    paid.refresh_from_db()
    assert paid.payment_state == PaymentState.PAID
    with pytest.raises(services.EventRefused):  # nothing is due any more
        services.registration_payment_start(
            registration=paid, resident=a, provider="fake", base_url="http://x/"
        )
    running = services.registration_payment_start(
        registration=unpaid, resident=b, provider="fake", base_url="http://x/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=marathon, staff=supervisor, reasons={"ja": "大雪警報のため中止します。"})
    payment.refresh_from_db()
    running.refresh_from_db()
    paid.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == 3000
    assert running.status == PaymentStatus.EXPIRED
    assert paid.status == RegistrationStatus.CANCELLED and paid.payment_state == PaymentState.REFUNDED
    assert services.counts_locked(marathon) == services.Counts(confirmed=0, waitlisted=0)


@pytest.mark.django_db
def test_an_unpaid_place_that_expires_goes_to_the_waiting(
    iga, fake, marathon, django_capture_on_commit_callbacks
):
    a, b, c = (ResidentFactory(municipality=iga) for _ in range(3))
    first = services.registration_create(event=marathon, resident=a)
    services.registration_create(event=marathon, resident=b)
    waiting = services.registration_create(event=marathon, resident=c, accept_waitlist=True)
    payment = services.registration_payment_start(
        registration=first, resident=a, provider="fake", base_url="http://x/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.payments_expire(now=payment.expires_at + timezone.timedelta(minutes=1))
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED and waiting.payment_state == PaymentState.DUE


@pytest.mark.django_db
def test_the_registration_page_starts_the_payment(iga, fake, marathon, resident, monkeypatch):
    from idx.payments import providers
    from tests.conftest import signed_in

    monkeypatch.setattr(providers, "provider_for", lambda config, registry=None: FakeProvider(config))

    registration = services.registration_create(event=marathon, resident=resident, companions=1)
    client = signed_in(resident)
    page = client.get(f"/my/events/{registration.public_id}/")
    assert page.status_code == 200 and f"/my/events/{registration.public_id}/pay/" in page.content.decode()
    # The first online provider the city enabled; the demo's hosted checkout is not configured here.
    ProviderConfig.objects.filter(municipality=iga).exclude(provider="fake").update(enabled=False)
    started = client.post(f"/my/events/{registration.public_id}/pay/")
    assert started.status_code == 302 and started["Location"] == "https://pay.example/chk"
    payment = Payment.objects.get(payable_kind="event_registration", payable_id=registration.pk)
    assert payment.amount == 6000 and payment.payer_id == resident.pk

"""The hosted-checkout provider against the in-project demo payment service, over its real HTTP API
(routed through Django's test client): start, pay, return, refund, status, and signed webhooks."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
from django.utils import timezone

from idx.demo_pay import webhooks
from idx.demo_pay.models import CheckoutStatus, DemoCheckout, DemoWebhook
from idx.demo_pay.testing import DjangoClientTransport, pay_in_browser, return_params
from idx.payments import services, signing
from idx.payments.contrib.hosted import HostedCheckoutProvider
from idx.payments.models import Payment, PaymentEvent, PaymentStatus, ProviderConfig
from idx.payments.providers import ProviderError, provider_for
from tests.conftest import IGA_HOST, WATARAI_HOST, make_draft, signed_in

BASE = "http://127.0.0.1:8000"
CERTIFICATE = "residence-certificate-request"
WEBHOOK_PATH = "/payments/webhooks/hosted/"


@pytest.fixture(autouse=True)
def demo_service(settings):
    settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"
    settings.IDX_DEMO_PAY_DELIVERY = "sync"
    DjangoClientTransport.calls.clear()


def config_of(municipality) -> ProviderConfig:
    return ProviderConfig.objects.get(municipality=municipality, provider="hosted")


def plugin(municipality) -> HostedCheckoutProvider:
    found = provider_for(config_of(municipality))
    assert isinstance(found, HostedCheckoutProvider)
    return found


def start(resident) -> Payment:
    draft = make_draft(resident, CERTIFICATE)
    return services.payment_start(application=draft, actor=resident, provider="hosted", base_url=BASE)


def secret_of(municipality) -> str:
    return config_of(municipality).config["webhook_secret"]


def event_body(
    payment: Payment, *, event_id: str, kind: str = "payment.paid", amount: int | None = None
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": kind,
            "payment_reference": payment.reference,
            "amount": payment.amount if amount is None else amount,
            "occurred_at": timezone.now().isoformat(),
            "provider_reference": payment.provider_reference,
        }
    ).encode()


def post_webhook(body: bytes, signature: str, host: str = IGA_HOST):
    from django.test import Client

    return Client(HTTP_HOST=host).post(
        WEBHOOK_PATH, data=body, content_type="application/json", headers={"IDX-Signature": signature}
    )


# ---- configuration --------------------------------------------------------------------------


def test_the_demo_configuration_is_complete(iga):
    assert plugin(iga).check_config() == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"api_base": "ftp://pay.example.jp"}, "api_base must be an https:// URL"),
        ({"secret_key": ""}, "secret_key is missing"),
        ({"webhook_secret": []}, "webhook_secret is missing"),
        ({"expires_minutes": "soon"}, "expires_minutes must be a whole number of minutes (1 to 10080)"),
    ],
)
def test_configuration_problems_are_named(iga, change, problem):
    config = config_of(iga)
    config.config = {**config.config, **change}
    assert problem in HostedCheckoutProvider(config).check_config()


def test_plain_http_is_refused_outside_the_demo(iga, settings):
    settings.IDX_DEMO_PAY = False
    assert "api_base must be an https:// URL" in plugin(iga).check_config()


# ---- start, pay, return ------------------------------------------------------------------------


def test_start_opens_a_checkout_at_the_service(resident):
    payment = start(resident)
    checkout = DemoCheckout.objects.get(public_id=payment.provider_reference)
    assert payment.status == PaymentStatus.PENDING
    assert payment.checkout_url == f"{BASE}/demo-pay/checkout/{checkout.public_id}/"
    assert (checkout.amount, checkout.reference, checkout.currency) == (
        payment.amount,
        payment.reference,
        "JPY",
    )
    assert checkout.webhook_url == f"{BASE}{WEBHOOK_PATH}"
    assert checkout.return_url == f"{BASE}/my/payments/{payment.reference}/return/"
    assert checkout.expires_at == payment.expires_at
    assert ("POST", "/demo-pay/api/v1/checkouts", 201) in DjangoClientTransport.calls


def test_paying_sends_a_signed_webhook_that_marks_the_payment_paid(resident):
    payment = start(resident)
    answer = pay_in_browser(signed_in(resident), payment.checkout_url)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert (payment.paid_amount, payment.method) == (payment.amount, "card")
    assert payment.receipt_number
    assert ("POST", WEBHOOK_PATH, 200) in DjangoClientTransport.calls
    # The return names the same event as the webhook: applying it changes nothing.
    event = plugin(resident.municipality).parse_return(return_params(answer), now=timezone.now())
    assert event is not None
    assert (event.kind, event.amount, event.payment_reference) == ("paid", payment.amount, payment.reference)
    outcome = services.payment_apply_event(
        provider="hosted", event=event, municipality_id=payment.municipality_id
    )
    assert outcome == "duplicate: ignored"
    assert PaymentEvent.objects.filter(payment=payment, kind="paid").count() == 1


def test_the_return_alone_marks_the_payment_paid_when_the_webhook_is_late(resident, settings):
    settings.IDX_DEMO_PAY_DELIVERY = "manual"
    payment = start(resident)
    answer = pay_in_browser(signed_in(resident), payment.checkout_url, method="qr")
    event = plugin(resident.municipality).parse_return(return_params(answer), now=timezone.now())
    assert event is not None
    services.payment_apply_event(provider="hosted", event=event, municipality_id=payment.municipality_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    receipt = payment.receipt_number
    # The webhook arrives afterwards: nothing counted twice.
    assert webhooks.deliver_due() == [200]
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.receipt_number) == (
        PaymentStatus.PAID,
        payment.amount,
        receipt,
    )
    assert PaymentEvent.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"amount": "1"},
        {"status": "paid", "reference": "PAY-0000000000000000"},
        {"sig": "0" * 64},
        {"sig": ""},
        {"t": "not-a-time"},
    ],
)
def test_a_forged_return_is_ignored(resident, settings, tamper):
    settings.IDX_DEMO_PAY_DELIVERY = "manual"
    payment = start(resident)
    params = return_params(pay_in_browser(signed_in(resident), payment.checkout_url))
    assert plugin(resident.municipality).parse_return({**params, **tamper}, now=timezone.now()) is None


def test_a_declined_return_forged_into_paid_is_ignored(resident, settings):
    settings.IDX_DEMO_PAY_DELIVERY = "manual"
    payment = start(resident)
    params = return_params(
        pay_in_browser(signed_in(resident), payment.checkout_url, card_number="4000 0000 0000 0002")
    )
    provider = plugin(resident.municipality)
    declined = provider.parse_return(params, now=timezone.now())
    assert declined is not None and declined.kind == "failed"
    assert (
        provider.parse_return({**params, "status": "paid", "amount": str(payment.amount)}, now=timezone.now())
        is None
    )


def test_a_stale_return_is_ignored(resident, settings):
    settings.IDX_DEMO_PAY_DELIVERY = "manual"
    payment = start(resident)
    params = return_params(pay_in_browser(signed_in(resident), payment.checkout_url))
    later = timezone.now() + dt.timedelta(seconds=signing.TOLERANCE_SECONDS + 5)
    assert plugin(resident.municipality).parse_return(params, now=later) is None


# ---- status and refunds ------------------------------------------------------------------------


def test_status_asks_the_service(resident):
    payment = start(resident)
    provider = plugin(resident.municipality)
    assert provider.status(payment) is None  # still open
    pay_in_browser(signed_in(resident), payment.checkout_url)
    payment.refresh_from_db()
    event = provider.status(payment)
    assert event is not None
    assert (event.kind, event.amount, event.method) == ("paid", payment.amount, "card")
    # The same event as the webhook's.
    assert PaymentEvent.objects.filter(payment=payment, event_id=event.event_id).exists()


def test_refunds_go_through_the_service_and_count_once(resident, clerk):
    payment = start(resident)
    pay_in_browser(signed_in(resident), payment.checkout_url)
    payment.refresh_from_db()
    outcome = services.payment_refund(payment=payment, staff=clerk, amount=100, reason="1通取り下げ")
    payment.refresh_from_db()
    # The refund webhook arrived during the call; the API's answer is the same event.
    assert outcome == "duplicate: ignored"
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 100)
    checkout = DemoCheckout.objects.get(public_id=payment.provider_reference)
    assert (checkout.status, checkout.refunded_amount) == (CheckoutStatus.PARTIALLY_REFUNDED, 100)
    services.payment_refund(payment=payment, staff=clerk, amount=payment.amount - 100, reason="全額")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, payment.amount)
    assert PaymentEvent.objects.filter(payment=payment, kind="refunded").count() == 2


def test_a_refund_the_service_refuses_is_a_provider_error(resident):
    payment = start(resident)  # not paid at the service
    with pytest.raises(ProviderError, match="409"):
        plugin(resident.municipality).refund(payment, amount=100, reason="test")


def test_an_unreachable_service_fails_the_start(resident, monkeypatch):
    def refuse(self, request, *args, **kwargs):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(DjangoClientTransport, "send", refuse)
    draft = make_draft(resident, CERTIFICATE)
    with pytest.raises(services.PaymentRefused) as refused:
        services.payment_start(application=draft, actor=resident, provider="hosted", base_url=BASE)
    assert refused.value.code == "provider_error"
    assert Payment.objects.get(application=draft).status == PaymentStatus.FAILED


def test_a_wrong_api_key_is_a_provider_error(resident):
    payment = start(resident)
    config = config_of(resident.municipality)
    # Not saved: the demo service still expects the key of the stored row.
    config.config = {**config.config, "secret_key": "sk_demo_wrong"}
    with pytest.raises(ProviderError, match="401"):
        HostedCheckoutProvider(config).status(payment)


# ---- webhook signatures through the real endpoint ----------------------------------------------


def test_a_forged_webhook_is_refused_and_changes_nothing(resident):
    payment = start(resident)
    body = event_body(payment, event_id="evt_forged")
    answer = post_webhook(body, signing.sign(body, "whsec_not_the_secret"))
    assert answer.status_code == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.filter(payment=payment).exists()


def test_an_altered_body_is_refused(resident):
    payment = start(resident)
    signed = event_body(payment, event_id="evt_1", amount=1)
    altered = signed.replace(b'"amount": 1,', f'"amount": {payment.amount},'.encode())
    assert altered != signed
    assert post_webhook(altered, signing.sign(signed, secret_of(resident.municipality))).status_code == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_stale_webhook_is_refused(resident):
    payment = start(resident)
    body = event_body(payment, event_id="evt_old")
    old = int(time.time()) - signing.TOLERANCE_SECONDS - 60
    answer = post_webhook(body, signing.sign(body, secret_of(resident.municipality), timestamp=old))
    assert (answer.status_code, answer.json()["error"]) == (401, "stale")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_malformed_but_signed_webhook_is_a_bad_request(resident):
    start(resident)
    body = b'{"id": "evt_x", "type": "payment.paid", "amount": "300"}'
    assert post_webhook(body, signing.sign(body, secret_of(resident.municipality))).status_code == 400


def test_a_webhook_replayed_exactly_has_no_effect(resident):
    payment = start(resident)
    pay_in_browser(signed_in(resident), payment.checkout_url)
    stored = DemoWebhook.objects.get(
        checkout__public_id=payment.provider_reference, event_type="payment.paid"
    )
    payment.refresh_from_db()
    before = (payment.status, payment.paid_amount, payment.receipt_number, payment.row_version)
    assert webhooks.replay(stored) == 200
    assert webhooks.replay(stored) == 200
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.receipt_number, payment.row_version) == before
    assert PaymentEvent.objects.filter(payment=payment).count() == 1


def test_another_municipalitys_secret_cannot_touch_a_payment(resident, watarai):
    payment = start(resident)
    body = event_body(payment, event_id="evt_cross")
    answer = post_webhook(body, signing.sign(body, secret_of(watarai)), host=WATARAI_HOST)
    assert answer.status_code == 200  # well signed for 度会町, but not a payment of 度会町
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.filter(payment=payment).exists()


def test_webhooks_signed_with_either_secret_pass_while_it_is_rotated(resident):
    payment = start(resident)
    config = config_of(resident.municipality)
    old = config.config["webhook_secret"]
    body = event_body(payment, event_id="evt_old_secret", kind="payment.failed", amount=0)
    # The service signs with the new secret from now on; IDX accepts both meanwhile (newest first).
    config.config = {**config.config, "webhook_secret": ["whsec_new_0123456789", old]}
    config.save(update_fields=["config"])
    assert post_webhook(body, signing.sign(body, old)).status_code == 200
    pay_body = event_body(payment, event_id="evt_new_secret")
    assert post_webhook(pay_body, signing.sign(pay_body, "whsec_new_0123456789")).status_code == 200
    # Rotation over: the old secret is refused.
    config.config = {**config.config, "webhook_secret": ["whsec_new_0123456789"]}
    config.save(update_fields=["config"])
    late = event_body(payment, event_id="evt_old_again", kind="payment.refunded", amount=100)
    assert post_webhook(late, signing.sign(late, old)).status_code == 401
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PAID, 0)


def test_the_demo_service_signs_with_the_newest_secret(resident):
    config = config_of(resident.municipality)
    config.config = {
        **config.config,
        "webhook_secret": ["whsec_new_0123456789", config.config["webhook_secret"]],
    }
    config.save(update_fields=["config"])
    payment = start(resident)
    pay_in_browser(signed_in(resident), payment.checkout_url)
    stored = DemoWebhook.objects.get(checkout__public_id=payment.provider_reference)
    signing.verify(bytes(stored.body), stored.signature, ["whsec_new_0123456789"])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_back_from_paying_the_resident_finds_the_draft_submitted(resident, settings):
    # No webhook yet and no task run (commit callbacks do not run in this test): the return page
    # itself submits the paid draft, after the payment's own transaction.
    settings.IDX_DEMO_PAY_DELIVERY = "manual"
    payment = start(resident)
    client = signed_in(resident)
    answer = pay_in_browser(client, payment.checkout_url, method="qr")
    response = client.get(f"/my/payments/{payment.reference}/return/", return_params(answer))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.application is not None
    payment.application.refresh_from_db()
    assert payment.application.status == "submitted" and payment.application.receipt_number
    # The webhook and the queued task come later: nothing is submitted twice.
    assert webhooks.deliver_due() == [200]
    assert services.paid_draft_submit(payment.pk) == ""
    assert payment.application.status_changes.filter(to_status="submitted").count() == 1

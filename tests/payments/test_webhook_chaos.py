"""Many payments through the demo payment service, their webhooks delivered through the real endpoint
(POST /payments/webhooks/hosted/) twice, late, replayed byte for byte, out of order (a refund before
its payment) and mixed with forgeries: every payment ends in the right state, nothing counted twice."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from idx.demo_pay import services as demo
from idx.demo_pay import webhooks
from idx.demo_pay.models import DemoCheckout, DemoRefund, DemoWebhook
from idx.demo_pay.testing import pay_in_browser, return_params
from idx.payments import services, signing
from idx.payments.models import (
    Payment,
    PaymentEvent,
    PaymentFlag,
    PaymentStatus,
    ProviderConfig,
    ReceiptSequence,
)
from idx.payments.providers import provider_for
from tests.conftest import IGA_HOST, make_draft, signed_in

BASE = "http://127.0.0.1:8000"
WEBHOOK_PATH = "/payments/webhooks/hosted/"
SEED = 20260401

# scenario → (status, paid, refunded, flag); amounts in units of the fee ("A"), refunds of 100 yen as 100
EXPECTED = {
    "paid_card": (PaymentStatus.PAID, "A", 0, PaymentFlag.NONE),
    "paid_qr": (PaymentStatus.PAID, "A", 0, PaymentFlag.NONE),
    "declined": (PaymentStatus.FAILED, 0, 0, PaymentFlag.NONE),
    "canceled": (PaymentStatus.FAILED, 0, 0, PaymentFlag.NONE),
    "never_paid": (PaymentStatus.PENDING, 0, 0, PaymentFlag.NONE),
    "refund_before_paid": (PaymentStatus.REFUNDED, "A", "A", PaymentFlag.NONE),
    "partial_refund_before_paid": (PaymentStatus.PARTIALLY_REFUNDED, "A", 100, PaymentFlag.NONE),
    "staff_refund": (PaymentStatus.PARTIALLY_REFUNDED, "A", 100, PaymentFlag.NONE),
    "paid_after_expiry": (PaymentStatus.REFUNDED, "A", "A", PaymentFlag.PAID_AFTER_EXPIRY),
    "underpaid": (PaymentStatus.PENDING, 0, 0, PaymentFlag.AMOUNT_MISMATCH),
    # The second charge goes back; the first one pays the fee (see also test_paid_twice_keeps_one_payment).
    "paid_twice": (PaymentStatus.PAID, "A", 0, PaymentFlag.DUPLICATE),
}


@pytest.fixture(autouse=True)
def demo_service(settings):
    settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"
    # Nothing is sent by itself: the test decides when and how often each event arrives.
    settings.IDX_DEMO_PAY_DELIVERY = "manual"


@dataclass
class Case:
    scenario: str
    payment: Payment
    extra_checkouts: list[str] = field(default_factory=list)


def hosted_config(municipality) -> ProviderConfig:
    return ProviderConfig.objects.get(municipality=municipality, provider="hosted")


def api(municipality) -> Client:
    return Client(
        HTTP_HOST=IGA_HOST,
        headers={"Authorization": f"Bearer {hosted_config(municipality).config['secret_key']}"},
    )


def second_checkout(payment: Payment, *, amount: int) -> str:
    """Another checkout for the same payment reference (a second tab, or a wrong amount)."""
    answer = api(payment.municipality).post(
        "/demo-pay/api/v1/checkouts",
        {
            "amount": amount,
            "currency": "JPY",
            "reference": payment.reference,
            "return_url": f"{BASE}/my/payments/{payment.reference}/return/",
            "webhook_url": f"{BASE}{WEBHOOK_PATH}",
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def checkout_url(public_id: str) -> str:
    return f"{BASE}/demo-pay/checkout/{public_id}/"


def apply_return(browser_answer, payment: Payment) -> None:
    """What the portal's return page does: read the signed return, apply it."""
    event = provider_for(hosted_config(payment.municipality)).parse_return(
        return_params(browser_answer), now=timezone.now()
    )
    assert event is not None
    services.payment_apply_event(provider="hosted", event=event, municipality_id=payment.municipality_id)


def make_case(scenario: str, resident, clerk) -> Case:
    draft = make_draft(resident, "residence-certificate-request")
    payment = services.payment_start(application=draft, actor=resident, provider="hosted", base_url=BASE)
    case = Case(scenario, payment)
    browser = signed_in(resident)
    checkout = DemoCheckout.objects.get(public_id=payment.provider_reference)
    if scenario == "paid_card":
        pay_in_browser(browser, payment.checkout_url)
    elif scenario == "paid_qr":
        pay_in_browser(browser, payment.checkout_url, method="qr")
    elif scenario == "declined":
        pay_in_browser(browser, payment.checkout_url, card_number="4000 0000 0000 0002")
    elif scenario == "canceled":
        browser.post(f"/demo-pay/checkout/{checkout.public_id}/", {"action": "cancel"})
    elif scenario in ("refund_before_paid", "partial_refund_before_paid"):
        # Refunded at the service's own dashboard; its paid event is held back until after the refund.
        pay_in_browser(browser, payment.checkout_url)
        demo.checkout_refund(
            checkout=checkout, amount=payment.amount if scenario == "refund_before_paid" else 100
        )
    elif scenario == "staff_refund":
        apply_return(pay_in_browser(browser, payment.checkout_url), payment)
        payment.refresh_from_db()
        services.payment_refund(payment=payment, staff=clerk, amount=100, reason="1通取り下げ")
    elif scenario == "paid_after_expiry":
        assert services.payment_cancel(payment=payment, actor=resident) == "expired"
        pay_in_browser(browser, payment.checkout_url)  # the checkout page was still open in a tab
    elif scenario == "underpaid":
        other = second_checkout(payment, amount=payment.amount - 1)
        case.extra_checkouts.append(other)
        pay_in_browser(browser, checkout_url(other))
    elif scenario == "paid_twice":
        other = second_checkout(payment, amount=payment.amount)
        case.extra_checkouts.append(other)
        pay_in_browser(browser, payment.checkout_url)
        pay_in_browser(browser, checkout_url(other))
    payment.refresh_from_db()
    return case


def forgery(rng: random.Random, payment: Payment, watarai_secret: str) -> tuple[bytes, str]:
    """A webhook that must be refused: wrong secret, altered body, stale, or another city's secret."""
    secret = hosted_config(payment.municipality).config["webhook_secret"]
    body = json.dumps(
        {
            "id": f"forged-{rng.randrange(10**9)}",
            "type": rng.choice(["payment.paid", "payment.refunded"]),
            "payment_reference": payment.reference,
            "amount": payment.amount,
            "occurred_at": timezone.now().isoformat(),
        }
    ).encode()
    kind = rng.randrange(4)
    if kind == 0:
        return body, signing.sign(body, "whsec_guessed")
    if kind == 1:
        signed = body.replace(b'"amount": ', b'"amount": 1')
        return body, signing.sign(signed, secret)
    if kind == 2:
        return body, signing.sign(body, secret, timestamp=int(time.time()) - signing.TOLERANCE_SECONDS - 1)
    return body, signing.sign(body, watarai_secret)


def post(body: bytes, signature: str) -> int:
    return (
        Client(HTTP_HOST=IGA_HOST)
        .post(WEBHOOK_PATH, data=body, content_type="application/json", headers={"IDX-Signature": signature})
        .status_code
    )


def expected_amount(value: object, payment: Payment) -> object:
    return payment.amount if value == "A" else value


@pytest.mark.parametrize("seed", [SEED, SEED + 1])
def test_every_payment_ends_in_the_right_state(
    resident, clerk, watarai, django_capture_on_commit_callbacks, seed
):
    rng = random.Random(seed)
    iga = resident.municipality
    receipts_before = sum(
        ReceiptSequence.objects.filter(municipality=iga).values_list("last_number", flat=True)
    )
    cases = []
    with django_capture_on_commit_callbacks(execute=True):
        for _round in range(2):
            for scenario in EXPECTED:
                cases.append(make_case(scenario, resident, clerk))
    by_reference = {case.payment.reference: case for case in cases}

    # The plan: every stored event once or up to three times (exact replays and fresh retries), in a
    # random order, with forgeries between; a refund made at the dashboard arrives before its payment.
    stored = list(DemoWebhook.objects.select_related("checkout__merchant").order_by("pk"))
    plan: list[tuple[str, Any]] = []
    for webhook in stored:
        plan.extend(("send", webhook) for _copy in range(rng.randint(1, 3)))
    watarai_secret = hosted_config(watarai).config["webhook_secret"]
    plan.extend(("forge", rng.choice(cases).payment) for _forgery in range(len(cases)))
    rng.shuffle(plan)
    for case in cases:
        if case.scenario.endswith("refund_before_paid"):
            mine = [
                i
                for i, (what, item) in enumerate(plan)
                if what == "send" and item.checkout.reference == case.payment.reference
            ]
            kinds = [plan[i][1].event_type for i in mine]
            first_paid, first_refund = kinds.index("payment.paid"), kinds.index("payment.refunded")
            if first_paid < first_refund:
                a, b = mine[first_paid], mine[first_refund]
                plan[a], plan[b] = plan[b], plan[a]

    statuses: Counter[str] = Counter()
    sent: set[int] = set()
    with django_capture_on_commit_callbacks(execute=True):
        for what, item in plan:
            if what == "forge":
                assert isinstance(item, Payment)
                status = post(*forgery(rng, item, watarai_secret))
                assert status == 401
                statuses["forged"] += 1
            else:
                assert isinstance(item, DemoWebhook)
                if item.pk not in sent:
                    assert webhooks.deliver(item) == [200]
                    sent.add(item.pk)
                elif rng.random() < 0.5:
                    assert webhooks.replay(item) == 200
                else:  # the service retries: same body, a new signature
                    assert (
                        post(
                            bytes(item.body),
                            signing.sign(bytes(item.body), demo.signing_secret(item.checkout.merchant)),
                        )
                        == 200
                    )
    # Automatic refunds (paid after expiry, paid twice) made their own webhooks: deliver them too, twice.
    with django_capture_on_commit_callbacks(execute=True):
        late = list(DemoWebhook.objects.filter(delivered_at__isnull=True))
        for webhook in late:
            assert webhooks.deliver(webhook) == [200]
            assert webhooks.replay(webhook) == 200

    # Every payment ends where it should, with its money counted once.
    paid_references = []
    for case in cases:
        payment = Payment.objects.get(pk=case.payment.pk)
        status, paid, refunded, flag = EXPECTED[case.scenario]
        assert payment.status == status, (case.scenario, payment.status)
        assert payment.paid_amount == expected_amount(paid, payment), case.scenario
        assert payment.refunded_amount == expected_amount(refunded, payment), case.scenario
        assert payment.flag == flag, case.scenario
        # IDX and the service agree on what was refunded (a second charge's refund is not the fee's).
        refunds_there = sum(
            DemoRefund.objects.filter(checkout__reference=payment.reference).values_list("amount", flat=True)
        )
        second_charge = payment.amount if case.scenario == "paid_twice" else 0
        assert payment.refunded_amount == refunds_there - second_charge, case.scenario
        # One PaymentEvent per distinct event the service sent (plus the resident's own cancel).
        event_ids = set(
            DemoWebhook.objects.filter(checkout__reference=payment.reference).values_list(
                "event_id", flat=True
            )
        )
        recorded = set(PaymentEvent.objects.filter(payment=payment).values_list("event_id", flat=True))
        assert recorded - event_ids <= {f"cancel:{payment.reference}"}, case.scenario
        assert event_ids <= recorded, case.scenario
        if payment.paid_amount:
            paid_references.append(payment.reference)
            assert payment.receipt_number
    assert not PaymentEvent.objects.filter(event_id__startswith="forged").exists()
    receipts = list(
        Payment.objects.filter(reference__in=by_reference)
        .exclude(receipt_number="")
        .values_list("receipt_number", flat=True)
    )
    assert sorted(receipts) == sorted(set(receipts))
    assert len(receipts) == len(paid_references)
    receipts_after = sum(
        ReceiptSequence.objects.filter(municipality=iga).values_list("last_number", flat=True)
    )
    assert receipts_after - receipts_before == len(paid_references)
    assert statuses["forged"] == len(cases)


def test_the_services_own_chaos_settings_end_in_the_right_state(resident, clerk, settings):
    """Sent by the demo service itself: every event twice, late, and the payment after its refund."""
    settings.IDX_DEMO_PAY_DELIVERY = "sync"
    merchant = demo.merchant_for(resident.municipality)
    merchant.send_twice = True
    merchant.delay_seconds = 30
    merchant.hold_paid_until_refund = True
    merchant.save(update_fields=["send_twice", "delay_seconds", "hold_paid_until_refund"])
    draft = make_draft(resident, "residence-certificate-request")
    payment = services.payment_start(application=draft, actor=resident, provider="hosted", base_url=BASE)
    pay_in_browser(signed_in(resident), payment.checkout_url)
    demo.checkout_refund(checkout=DemoCheckout.objects.get(public_id=payment.provider_reference), amount=100)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # nothing has arrived yet
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(seconds=31)) == [200, 200, 200, 200]
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        payment.amount,
        100,
    )
    outcomes = list(PaymentEvent.objects.filter(payment=payment).values_list("kind", "outcome"))
    assert outcomes == [("refunded", "refunded 100 yen"), ("paid", outcomes[1][1])]
    assert outcomes[1][1].startswith("paid")


def test_paid_twice_keeps_one_payment(resident, clerk, django_capture_on_commit_callbacks, settings):
    settings.IDX_DEMO_PAY_DELIVERY = "sync"
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case("paid_twice", resident, clerk)
    payment = Payment.objects.get(pk=case.payment.pk)
    assert payment.flag == PaymentFlag.DUPLICATE
    assert (
        sum(DemoRefund.objects.filter(checkout__reference=payment.reference).values_list("amount", flat=True))
        == payment.amount
    )
    # One of the two payments was given back; the other pays the fee.
    assert payment.status == PaymentStatus.PAID

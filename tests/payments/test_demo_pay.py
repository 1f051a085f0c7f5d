"""The demo payment service on its own: its API (Bearer key, JSON), the checkout page, the
settlement file and the webhook chaos controls."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.utils import timezone

from idx.demo_pay import services as demo
from idx.demo_pay import webhooks
from idx.demo_pay.models import CheckoutStatus, DemoCheckout, DemoPayMerchant, DemoRefund, DemoWebhook
from idx.demo_pay.testing import DjangoClientTransport, checkout_path, pay_in_browser, return_params
from idx.payments import signing
from idx.payments.models import ProviderConfig
from tests.conftest import IGA_HOST, WATARAI_HOST

BASE = "http://127.0.0.1:8000"
API = "/demo-pay/api/v1"
WEBHOOK_URL = f"{BASE}/payments/webhooks/hosted/"


@pytest.fixture(autouse=True)
def demo_service(settings):
    settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"
    settings.IDX_DEMO_PAY_DELIVERY = "sync"
    DjangoClientTransport.calls.clear()


def keys(municipality) -> dict[str, str]:
    return ProviderConfig.objects.get(municipality=municipality, provider="hosted").config


def api(municipality, host: str = IGA_HOST, key: str | None = None) -> Client:
    secret = keys(municipality)["secret_key"] if key is None else key
    return Client(HTTP_HOST=host, headers={"Authorization": f"Bearer {secret}"})


def checkout_fields(**changes) -> dict:
    fields = {
        "amount": 1200,
        "currency": "JPY",
        "reference": "PAY-DEMO000000000001",
        "return_url": f"{BASE}/my/payments/PAY-DEMO000000000001/return/",
        "webhook_url": WEBHOOK_URL,
        "description": "住民票の写し 4通",
    }
    return {**fields, **changes}


def open_checkout(municipality, **changes) -> DemoCheckout:
    answer = api(municipality).post(
        f"{API}/checkouts", checkout_fields(**changes), content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    return DemoCheckout.objects.get(public_id=answer.json()["id"])


def sent(event_type: str) -> list[dict]:
    return [
        json.loads(bytes(webhook.body))
        for webhook in DemoWebhook.objects.filter(event_type=event_type, attempts__gt=0)
    ]


# ---- the API --------------------------------------------------------------------------------


def test_opening_a_checkout(iga):
    answer = api(iga).post(f"{API}/checkouts", checkout_fields(), content_type="application/json")
    assert answer.status_code == 201
    data = answer.json()
    assert data["status"] == "open"
    assert data["url"] == f"http://{IGA_HOST}/demo-pay/checkout/{data['id']}/"
    checkout = DemoCheckout.objects.get(public_id=data["id"])
    assert (checkout.amount, checkout.reference, checkout.merchant.municipality) == (
        1200,
        "PAY-DEMO000000000001",
        iga,
    )
    assert api(iga).get(f"{API}/checkouts/{data['id']}").json()["status"] == "open"


@pytest.mark.parametrize(
    "key",
    ["", "sk_demo_wrong", None],  # None: the other municipality's key
)
def test_the_api_needs_the_municipalitys_key(iga, watarai, key):
    client = api(iga, key=keys(watarai)["secret_key"] if key is None else key)
    answer = client.post(f"{API}/checkouts", checkout_fields(), content_type="application/json")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert not DemoCheckout.objects.exists()


def test_no_authorization_header_is_unauthorized(iga):
    answer = Client(HTTP_HOST=IGA_HOST).get(f"{API}/settlements?date=2026-04-01")
    assert answer.status_code == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 0},
        {"amount": "1200"},
        {"amount": True},
        {"amount": 1200.5},
        {"currency": "USD"},
        {"reference": ""},
        {"reference": "参照"},
        {"return_url": "https://evil.example/steal"},
        {"webhook_url": "http://169.254.169.254/latest/meta-data/"},
        {"return_url": "javascript:alert(1)"},
        {"description": "x" * 201},
        {"expires_at": "tomorrow"},
        {"expires_at": "2020-01-01T00:00:00+09:00"},
    ],
)
def test_bad_checkout_fields_are_refused(iga, changes):
    answer = api(iga).post(f"{API}/checkouts", checkout_fields(**changes), content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert not DemoCheckout.objects.exists()


def test_a_body_that_is_not_json_is_refused(iga):
    answer = api(iga).post(
        f"{API}/checkouts", b"amount=1200", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 400


def test_a_checkout_of_another_municipality_is_not_found(iga, watarai):
    checkout = open_checkout(iga)
    assert api(watarai, host=WATARAI_HOST).get(f"{API}/checkouts/{checkout.public_id}").status_code == 404
    assert Client(HTTP_HOST=WATARAI_HOST).get(f"/demo-pay/checkout/{checkout.public_id}/").status_code == 404


def test_refunds(iga):
    checkout = open_checkout(iga)
    refunds = f"{API}/checkouts/{checkout.public_id}/refunds"
    assert api(iga).post(refunds, {"amount": 100}, content_type="application/json").status_code == 409
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    answer = api(iga).post(refunds, {"amount": 300, "reason": "1通取り下げ"}, content_type="application/json")
    assert answer.status_code == 201
    refund = DemoRefund.objects.get()
    assert answer.json() == {
        "id": refund.public_id,
        "amount": 300,
        "checkout": checkout.public_id,
        "reason": "1通取り下げ",
    }
    too_much = api(iga).post(refunds, {"amount": 901}, content_type="application/json")
    assert (too_much.status_code, too_much.json()["error"]) == (400, "at most 900 yen can be refunded")
    assert api(iga).post(refunds, {"amount": -1}, content_type="application/json").status_code == 400
    checkout.refresh_from_db()
    assert (checkout.status, checkout.refunded_amount) == (CheckoutStatus.PARTIALLY_REFUNDED, 300)
    # The refund's webhook carries the refund's id as its event id.
    assert [(event["id"], event["amount"]) for event in sent("payment.refunded")] == [(refund.public_id, 300)]


# ---- the checkout page ------------------------------------------------------------------------


def test_the_checkout_page_shows_what_is_paid_and_works_without_javascript(iga):
    checkout = open_checkout(iga)
    page = Client(HTTP_HOST=IGA_HOST, headers={"Accept-Language": "en"}).get(
        f"/demo-pay/checkout/{checkout.public_id}/"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "1,200 yen" in html
    assert "住民票の写し 4通" in html
    assert iga.name in html
    assert "<script" not in html
    assert '<label for="card_number">' in html and 'id="card_number"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="pay"' in html and 'value="cancel"' in html


def test_the_checkout_page_follows_the_language(iga, settings):
    checkout = open_checkout(iga)
    page = Client(HTTP_HOST=IGA_HOST, headers={"Accept-Language": "ja"}).get(
        f"/demo-pay/checkout/{checkout.public_id}/"
    )
    assert '<html lang="ja"' in page.content.decode()


def test_a_test_card_pays_and_returns_with_a_signature(iga):
    checkout = open_checkout(iga)
    answer = pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert answer["Location"].startswith(checkout.return_url + "?")
    params = return_params(answer)
    assert {key: params[key] for key in ("checkout", "status", "reference", "amount")} == {
        "checkout": checkout.public_id,
        "status": "paid",
        "reference": checkout.reference,
        "amount": "1200",
    }
    canonical = demo.return_canonical(
        checkout_id=checkout.public_id, status="paid", reference=checkout.reference, amount="1200"
    )
    signing.verify(canonical, f"t={params['t']},v1={params['sig']}", [keys(iga)["webhook_secret"]])
    checkout.refresh_from_db()
    assert (checkout.status, checkout.method) == (CheckoutStatus.PAID, "card")
    [event] = sent("payment.paid")
    assert event == {
        "id": f"{checkout.public_id}:paid",
        "type": "payment.paid",
        "payment_reference": checkout.reference,
        "amount": 1200,
        "occurred_at": event["occurred_at"],
        "provider_reference": checkout.public_id,
        "method": "card",
    }
    stored = DemoWebhook.objects.get()
    signing.verify(bytes(stored.body), stored.signature, [keys(iga)["webhook_secret"]])
    assert stored.delivered_at is not None and stored.last_status == 200


def test_the_declined_card_fails_the_checkout(iga):
    checkout = open_checkout(iga)
    answer = pay_in_browser(
        Client(HTTP_HOST=IGA_HOST),
        f"{BASE}/demo-pay/checkout/{checkout.public_id}/",
        card_number="4000-0000-0000-0002",
    )
    assert return_params(answer)["status"] == "failed"
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.FAILED
    assert [event["amount"] for event in sent("payment.failed")] == [0]


def test_an_unknown_card_number_asks_again(iga):
    checkout = open_checkout(iga)
    client = Client(HTTP_HOST=IGA_HOST, headers={"Accept-Language": "en"})
    answer = client.post(
        f"/demo-pay/checkout/{checkout.public_id}/",
        {"action": "pay", "method": "card", "card_number": "1234"},
    )
    assert answer.status_code == 422
    assert 'role="alert"' in answer.content.decode() and 'aria-invalid="true"' in answer.content.decode()
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    assert not DemoWebhook.objects.exists()


def test_a_qr_wallet_pays_with_one_button(iga):
    checkout = open_checkout(iga)
    answer = Client(HTTP_HOST=IGA_HOST).post(
        f"/demo-pay/checkout/{checkout.public_id}/", {"action": "pay", "method": "qr"}
    )
    assert return_params(answer)["status"] == "paid"
    checkout.refresh_from_db()
    assert (checkout.status, checkout.method) == (CheckoutStatus.PAID, "qr")


def test_cancel_returns_and_reports_a_failure(iga):
    checkout = open_checkout(iga)
    answer = Client(HTTP_HOST=IGA_HOST).post(
        f"/demo-pay/checkout/{checkout.public_id}/", {"action": "cancel"}
    )
    assert return_params(answer)["status"] == "canceled"
    assert [event["id"] for event in sent("payment.failed")] == [f"{checkout.public_id}:canceled"]


def test_a_paid_checkout_cannot_be_paid_again(iga):
    checkout = open_checkout(iga)
    url = f"{BASE}/demo-pay/checkout/{checkout.public_id}/"
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), url)
    again = Client(HTTP_HOST=IGA_HOST).post(checkout_path(url), {"action": "pay", "method": "qr"})
    assert again.status_code == 200  # the page says it is paid
    assert 'name="card_number"' not in again.content.decode()
    assert DemoWebhook.objects.filter(event_type="payment.paid").count() == 1


def test_an_expired_checkout_cannot_be_paid_and_says_so(iga):
    checkout = open_checkout(iga)
    DemoCheckout.objects.filter(pk=checkout.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = Client(HTTP_HOST=IGA_HOST).post(
        f"/demo-pay/checkout/{checkout.public_id}/", {"action": "pay", "method": "qr"}
    )
    assert page.status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.EXPIRED
    assert [event["id"] for event in sent("payment.expired")] == [f"{checkout.public_id}:expired"]


# ---- settlement file ------------------------------------------------------------------------------


def test_the_settlement_file_lists_the_days_captured_payments(iga):
    paid = open_checkout(iga, reference="PAY-A")
    refunded = open_checkout(iga, reference="PAY-B", amount=300)
    declined = open_checkout(iga, reference="PAY-C")
    for checkout in (paid, refunded):
        pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    pay_in_browser(
        Client(HTTP_HOST=IGA_HOST),
        f"{BASE}/demo-pay/checkout/{declined.public_id}/",
        card_number="4000000000000002",
    )
    demo.checkout_refund(checkout=refunded, amount=300)
    open_checkout(iga, reference="PAY-D")  # never paid
    today = timezone.localdate()
    answer = api(iga).get(f"{API}/settlements?date={today.isoformat()}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0] == [
        "settlement_date",
        "provider_reference",
        "payment_reference",
        "amount",
        "paid_at",
        "fee",
    ]
    assert [(row[0], row[1], row[2], row[3], row[5]) for row in rows[1:]] == [
        (today.isoformat(), paid.public_id, "PAY-A", "1200", "39"),
        (today.isoformat(), refunded.public_id, "PAY-B", "300", "10"),
    ]
    assert all(dt.datetime.fromisoformat(row[4]).utcoffset() == dt.timedelta(hours=9) for row in rows[1:])
    other_day = api(iga).get(f"{API}/settlements?date={(today - dt.timedelta(days=1)).isoformat()}")
    assert other_day.content.decode().splitlines() == [",".join(rows[0])]


def test_a_settlement_without_a_date_is_refused(iga):
    assert api(iga).get(f"{API}/settlements?date=2026-13-01").status_code == 400


def test_settlements_are_per_merchant(iga, watarai):
    checkout = open_checkout(iga)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    answer = api(watarai, host=WATARAI_HOST).get(f"{API}/settlements?date={timezone.localdate().isoformat()}")
    assert len(answer.content.decode().splitlines()) == 1


# ---- webhook chaos --------------------------------------------------------------------------------


def merchant(municipality) -> DemoPayMerchant:
    return demo.merchant_for(municipality)


def webhook_posts() -> list[tuple[str, str, int]]:
    return [call for call in DjangoClientTransport.calls if call[1] == "/payments/webhooks/hosted/"]


def test_send_twice_posts_every_event_twice(iga):
    DemoPayMerchant.objects.filter(pk=merchant(iga).pk).update(send_twice=True)
    checkout = open_checkout(iga)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert len(webhook_posts()) == 2
    assert DemoWebhook.objects.get().attempts == 1


def test_a_delayed_event_waits_until_it_is_due(iga):
    checkout = open_checkout(iga)
    DemoCheckout.objects.filter(pk=checkout.pk).update(delay_seconds=90)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert webhook_posts() == []
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(seconds=30)) == []
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(seconds=91)) == [200]
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(seconds=200)) == []  # sent once


def test_a_held_payment_event_goes_out_after_the_refund(iga):
    DemoPayMerchant.objects.filter(pk=merchant(iga).pk).update(hold_paid_until_refund=True)
    checkout = open_checkout(iga)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert webhook_posts() == []
    demo.checkout_refund(checkout=checkout, amount=1200)
    order = list(
        DemoWebhook.objects.filter(delivered_at__isnull=False)
        .order_by("delivered_at", "pk")
        .values_list("event_type")
    )
    assert len(webhook_posts()) == 2
    assert [row[0] for row in order] == ["payment.refunded", "payment.paid"]


def test_held_events_can_be_released_without_a_refund(iga):
    checkout = open_checkout(iga)
    DemoCheckout.objects.filter(pk=checkout.pk).update(hold_paid_until_refund=True)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert webhooks.release_held(checkout_id=checkout.pk) == [200]


def test_a_failed_delivery_is_retried_later(iga):
    config = ProviderConfig.objects.get(municipality=iga, provider="hosted")
    checkout = open_checkout(iga)
    # The provider is switched off in IDX for a moment: the webhook is refused and kept for a retry.
    ProviderConfig.objects.filter(pk=config.pk).update(enabled=False)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    stored = DemoWebhook.objects.get()
    assert (stored.last_status, stored.delivered_at, stored.attempts) == (404, None, 1)
    assert stored.deliver_after > timezone.now()
    assert webhooks.deliver_due() == []  # not yet due
    ProviderConfig.objects.filter(pk=config.pk).update(enabled=True)
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(seconds=3)) == [200]
    stored.refresh_from_db()
    assert (stored.attempts, stored.last_status) == (2, 200)


def test_replay_sends_the_same_bytes_and_signature(iga, monkeypatch):
    checkout = open_checkout(iga)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    stored = DemoWebhook.objects.get()
    seen = []
    original = DjangoClientTransport.send

    def spy(self, request, *args, **kwargs):
        seen.append((request.body, request.headers["IDX-Signature"]))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(DjangoClientTransport, "send", spy)
    assert webhooks.replay(stored) == 200
    assert seen == [(bytes(stored.body), stored.signature)]


def test_threads_deliver_after_the_commit_outside_tests(
    iga, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IDX_DEMO_PAY_DELIVERY = "thread"
    started = []
    monkeypatch.setattr(webhooks, "_start_thread", started.append)
    checkout = open_checkout(iga)
    with django_capture_on_commit_callbacks(execute=True):
        pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
        assert started == []  # not before the commit
    assert started == [checkout.pk]
    assert webhook_posts() == []


def test_the_background_sender_waits_for_a_late_event(iga, monkeypatch):
    class Connection:
        closed = False

        def close(self):
            Connection.closed = True

    waits: list[float] = []
    monkeypatch.setattr(webhooks, "connection", Connection())
    monkeypatch.setattr(webhooks.time, "sleep", waits.append)
    checkout = open_checkout(iga)
    DemoCheckout.objects.filter(pk=checkout.pk).update(delay_seconds=20)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    assert webhook_posts() == []
    # As the thread would run it (here on the test's own connection, with time standing still).
    monkeypatch.setattr(webhooks.timezone, "now", lambda: DemoWebhook.objects.get().deliver_after)
    webhooks._deliver_in_background(checkout.pk)
    assert waits == [0]
    assert len(webhook_posts()) == 1
    assert Connection.closed


def test_chaos_can_be_set_from_the_command_line(iga):
    from django.core.management import call_command

    call_command("demo_pay_chaos", iga.code, "--twice", "--delay", "15", "--hold-paid", stdout=io.StringIO())
    merchant = demo.merchant_for(iga)
    assert (merchant.send_twice, merchant.delay_seconds, merchant.hold_paid_until_refund) == (True, 15, True)
    checkout = open_checkout(iga)
    pay_in_browser(Client(HTTP_HOST=IGA_HOST), f"{BASE}/demo-pay/checkout/{checkout.public_id}/")
    out = io.StringIO()
    webhooks.release_held(checkout_id=checkout.pk)
    call_command("demo_pay_chaos", iga.slug, "--replay", f"{checkout.public_id}:paid", stdout=out)
    assert out.getvalue().strip() == f"replayed {checkout.public_id}:paid: HTTP 200"

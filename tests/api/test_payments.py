"""The payments API with real payments linked to applications (the demo payment service over its HTTP
API, routed through Django's test client): starting, listing, showing, the staff list and refunds,
every answer checked against the OpenAPI document; an Idempotency-Key makes a retry start nothing."""

from __future__ import annotations

import json
import typing

import pytest
from django.test import Client

from idx.demo_pay.testing import DjangoClientTransport, pay_in_browser
from idx.identity.services import api_token_issue
from idx.payments.models import Payment, PaymentStatus
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, WATARAI_HOST, make_draft, signed_in

CERTIFICATE = "residence-certificate-request"


@pytest.fixture(autouse=True)
def demo_service(settings):
    settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"
    settings.IDX_DEMO_PAY_DELIVERY = "sync"
    DjangoClientTransport.calls.clear()


class Api:
    def __init__(self, user, host: str = IGA_HOST):
        self.client = Client(HTTP_HOST=host)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='payments')}"}

    def get(self, path: str, **params):
        response = self.client.get(f"/api/v1{path}", params, **self.headers)
        return response, conforms(response, "GET", f"/api/v1{path}")

    def post(self, path: str, data: dict, **extra):
        response = self.client.post(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self.headers, **extra
        )
        return response, conforms(response, "POST", f"/api/v1{path}")


@pytest.fixture
def draft(resident):
    return make_draft(resident, CERTIFICATE)


def test_starting_a_payment_answers_it_with_its_application(resident, draft):
    response, body = Api(resident).post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    assert response.status_code == 201, response.content
    payment = Payment.objects.get(application=draft)
    assert body["reference"] == payment.reference
    assert body["application"] == str(draft.public_id)
    assert (body["amount"], body["status"], body["provider"]) == (600, "pending", "hosted")
    assert body["checkout_url"].startswith("http")


def test_the_residents_payments_list_and_show(resident, other_resident, draft):
    api = Api(resident)
    _, started = api.post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    other_draft = make_draft(other_resident, CERTIFICATE)
    Api(other_resident).post(f"/applications/{other_draft.public_id}/payments", {"provider": "hosted"})

    response, listed = api.get("/payments")
    assert response.status_code == 200
    assert [item["reference"] for item in listed] == [started["reference"]]
    assert listed[0]["application"] == str(draft.public_id)

    response, shown = api.get(f"/payments/{started['reference']}")
    assert response.status_code == 200
    assert shown == listed[0]
    # Another resident's payment is not found, never forbidden.
    other = Payment.objects.get(application=other_draft)
    response, body = api.get(f"/payments/{other.reference}")
    assert response.status_code == 404 and body["code"] == "not_found"


def test_a_paid_payment_shows_its_receipt(resident, draft):
    api = Api(resident)
    _, started = api.post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    pay_in_browser(signed_in(resident), started["checkout_url"])
    response, shown = api.get(f"/payments/{started['reference']}")
    assert response.status_code == 200
    assert shown["status"] == PaymentStatus.PAID
    assert shown["paid_amount"] == 600 and shown["receipt_number"] and shown["paid_at"]


def test_the_staff_list_is_scoped_to_the_city_and_the_department(
    resident, draft, city_admin, clerk, clerk_other_municipality
):
    _, started = Api(resident).post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    response, listed = Api(city_admin).get("/staff/payments")
    assert response.status_code == 200
    assert started["reference"] in [item["reference"] for item in listed]
    assert next(i for i in listed if i["reference"] == started["reference"])["application"] == str(
        draft.public_id
    )
    response, pending = Api(city_admin).get("/staff/payments", status="pending")
    assert started["reference"] in [item["reference"] for item in pending]
    response, paid = Api(city_admin).get("/staff/payments", status="paid")
    assert started["reference"] not in [item["reference"] for item in paid]
    # こども家庭課 does not take 住民票 fees; another city sees none of Iga's payments.
    assert started["reference"] not in [i["reference"] for i in Api(clerk).get("/staff/payments")[1]]
    watarai = Api(clerk_other_municipality, host=WATARAI_HOST)
    assert started["reference"] not in [i["reference"] for i in watarai.get("/staff/payments")[1]]


def test_an_unknown_status_filter_is_refused(city_admin):
    response, body = Api(city_admin).get("/staff/payments", status="lost")
    assert response.status_code == 422 and body["errors"][0]["path"].endswith("status")


def test_the_status_filter_names_every_payment_status():
    from idx.api import payments as payments_api  # after idx.api.v1 (tests.api.contract), which imports it

    annotation = typing.get_type_hints(payments_api.staff_payment_list)["status"]
    assert set(typing.get_args(annotation)) == {"", *PaymentStatus.values}


def test_a_retry_with_the_same_idempotency_key_starts_no_second_payment(resident, draft):
    api = Api(resident)
    first, started = api.post(
        f"/applications/{draft.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    again, replayed = api.post(
        f"/applications/{draft.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert replayed["reference"] == started["reference"]
    assert Payment.objects.filter(application=draft).count() == 1
    assert Payment.objects.get(application=draft).status == PaymentStatus.PENDING
    # Without the key, a second request starts a new payment (and ends the first).
    response, fresh = api.post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    assert response.status_code == 201 and fresh["reference"] != started["reference"]


def test_the_same_idempotency_key_for_another_application_is_refused(resident, draft):
    api = Api(resident)
    api.post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="k")
    second = make_draft(resident, CERTIFICATE)
    response, body = api.post(
        f"/applications/{second.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422 and body["code"] == "idempotency_key_reused"
    assert body["errors"][0]["path"] == "header.Idempotency-Key"
    assert not Payment.objects.filter(application=second).exists()


def test_idempotency_keys_belong_to_their_resident(resident, other_resident, draft):
    Api(resident).post(
        f"/applications/{draft.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    other_draft = make_draft(other_resident, CERTIFICATE)
    response, body = Api(other_resident).post(
        f"/applications/{other_draft.public_id}/payments", {"provider": "hosted"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 201 and body["application"] == str(other_draft.public_id)


def test_a_refund_by_staff_answers_the_refunded_payment(resident, draft, iga):
    from idx.identity.models import Department, Role
    from tests.factories import StaffFactory

    jumin = Department.objects.get(municipality=iga, code="jumin")
    supervisor = StaffFactory(
        municipality=iga, department=jumin, role=Role.SUPERVISOR, full_name="住民課 係長"
    )
    _, started = Api(resident).post(f"/applications/{draft.public_id}/payments", {"provider": "hosted"})
    pay_in_browser(signed_in(resident), started["checkout_url"])
    response, body = Api(supervisor).post(
        f"/staff/payments/{started['reference']}/refunds", {"amount": 300, "reason": "1通取り下げ"}
    )
    assert response.status_code == 200, response.content
    assert body["refunded_amount"] == 300 and body["status"] == PaymentStatus.PARTIALLY_REFUNDED


def test_submitting_before_the_fee_is_paid_answers_the_documented_402(resident, draft):
    response, body = Api(resident).post(
        f"/applications/{draft.public_id}/submit", {"declaration_accepted": True}
    )
    assert response.status_code == 402 and body["code"] == "payment_required"
    draft.refresh_from_db()
    assert draft.status == "draft"

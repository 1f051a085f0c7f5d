"""Payment pages for residents and staff, the API, tax slips; scoped by person, department and city."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.payments import selectors, services
from idx.payments.eltax import eltax_import
from idx.payments.models import Payment, PaymentStatus
from tests.conftest import IGA_HOST, WATARAI_HOST, make_draft, reauthenticated, signed_in

pytestmark = pytest.mark.django_db
CERTIFICATE = "residence-certificate-request"


@pytest.fixture
def counter_paid(resident, iga):
    from idx.identity.models import User

    clerk = User.objects.get(municipality=iga, email="jumin@staff.iga.example.jp")
    draft = make_draft(resident, CERTIFICATE)
    fee = selectors.fee_of(draft)
    return services.payment_record_counter(
        application=draft, staff=clerk, method="cash", amount=fee.amount, slip_number="S-1"
    )


def test_resident_sees_own_payment_and_receipt_pdf(resident, other_resident, counter_paid):
    client = signed_in(resident)
    assert counter_paid.reference in client.get("/my/payments/").content.decode()
    page = client.get(f"/my/payments/{counter_paid.reference}/")
    assert page.status_code == 200 and counter_paid.receipt_number in page.content.decode()
    pdf = client.get(f"/my/payments/{counter_paid.reference}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert signed_in(other_resident).get(f"/my/payments/{counter_paid.reference}/").status_code == 404
    assert (
        signed_in(other_resident).get(f"/my/payments/{counter_paid.reference}/receipt.pdf").status_code == 404
    )


def test_review_page_sends_fee_procedures_to_payment(resident):
    draft = make_draft(resident, CERTIFICATE)
    client = signed_in(resident)
    assert client.get(f"/my/applications/{draft.public_id}/review/").status_code == 200
    response = client.post(f"/my/applications/{draft.public_id}/review/", {"declaration": "yes"})
    assert response.status_code == 302 and response["Location"].endswith(
        f"/my/applications/{draft.public_id}/pay/"
    )


def test_staff_list_is_scoped_by_department_and_city(
    counter_paid, clerk, supervisor, clerk_other_municipality, iga
):
    from idx.identity.models import User

    jumin_clerk = User.objects.get(municipality=iga, email="jumin@staff.iga.example.jp")
    assert counter_paid.reference in signed_in(jumin_clerk).get("/staff/payments/").content.decode()
    # こども家庭課 staff do not see 住民課 payments; another city sees nothing.
    assert counter_paid.reference not in signed_in(clerk).get("/staff/payments/").content.decode()
    assert signed_in(clerk).get(f"/staff/payments/{counter_paid.reference}/").status_code == 404
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other.get(f"/staff/payments/{counter_paid.reference}/").status_code == 404


def test_refund_needs_permission_and_reauthentication(counter_paid, iga):
    from idx.identity.models import User
    from tests.factories import StaffFactory

    jumin = counter_paid.department
    clerk = User.objects.get(municipality=iga, email="jumin@staff.iga.example.jp")
    assert signed_in(clerk).post(
        f"/staff/payments/{counter_paid.reference}/refund/", {"amount": 300, "reason": "x"}
    ).status_code in (302, 404)
    counter_paid.refresh_from_db()
    assert counter_paid.refunded_amount == 0  # clerks cannot refund
    boss = StaffFactory(municipality=iga, department=jumin, role="supervisor", full_name="住民課 係長")
    client = signed_in(boss)
    stale = client.post(
        f"/staff/payments/{counter_paid.reference}/refund/", {"amount": 300, "reason": "1通取消"}
    )
    assert stale.status_code == 302 and "/staff/reauth/" in stale["Location"]
    reauthenticated(client)
    done = client.post(
        f"/staff/payments/{counter_paid.reference}/refund/", {"amount": 300, "reason": "1通取消"}
    )
    assert done.status_code == 302
    counter_paid.refresh_from_db()
    assert counter_paid.refunded_amount == 300 and counter_paid.status == PaymentStatus.PARTIALLY_REFUNDED


def test_counter_payment_page(resident, iga):
    from idx.identity.models import User

    clerk = User.objects.get(municipality=iga, email="jumin@staff.iga.example.jp")
    draft = make_draft(resident, CERTIFICATE)
    client = signed_in(clerk)
    assert client.get(f"/staff/payments/counter/{draft.public_id}/").status_code == 200
    bad = client.post(
        f"/staff/payments/counter/{draft.public_id}/", {"method": "cash", "amount": "1", "slip_number": "x"}
    )
    assert bad.status_code == 400
    fee = selectors.fee_of(draft).amount
    ok = client.post(
        f"/staff/payments/counter/{draft.public_id}/",
        {"method": "cash", "amount": str(fee), "slip_number": "S-9"},
    )
    assert ok.status_code == 302
    assert Payment.objects.get(application=draft).status == PaymentStatus.PAID


def test_api_fee_and_submit_needs_payment(resident):
    from idx.identity.services import api_token_issue

    draft = make_draft(resident, CERTIFICATE)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=resident, name='t')}"}
    client = Client(HTTP_HOST=IGA_HOST)
    fee = client.get(f"/api/v1/applications/{draft.public_id}/fee", **headers).json()
    assert (
        fee["amount"] == 300 * draft.answers["copies"]
        and fee["pay"] == "before_submission"
        and not fee["paid"]
    )
    submitted = client.post(
        f"/api/v1/applications/{draft.public_id}/submit",
        json.dumps({"declaration_accepted": True}),
        content_type="application/json",
        **headers,
    )
    assert submitted.status_code == 402 and submitted.json()["code"] == "payment_required"
    assert client.get("/api/v1/payments", **headers).json() == []


def test_eltax_slips_import_all_or_nothing(iga, resident):
    header = "department,purpose,amount,due_date,el_number,el_qr,payer_email\n"
    good = f"zeimu,市県民税 第1期,12300,2026-06-30,0123-4567-8901-2345,ELQR:0123456789,{resident.email}\n"
    bad = "zeimu,市県民税 第2期,abc,2026-13-01,xx,,\n"
    result = eltax_import(municipality=iga, content=(header + good + bad).encode())
    assert {line for line, _ in result.errors} == {3} and not Payment.objects.filter(
        provider="eltax"
    ).exists()
    result = eltax_import(municipality=iga, content=(header + good).encode())
    assert result.created == 1
    again = eltax_import(municipality=iga, content=(header + good).encode())
    assert again.created == 0 and again.skipped == 1
    slip = Payment.objects.get(provider="eltax")
    assert slip.payer == resident and slip.el_qr == "ELQR:0123456789"
    # The payer sees the slip with its eL番号; it cannot be "cancelled" from the portal.
    client = signed_in(resident)
    page = client.get(f"/my/payments/{slip.reference}/").content.decode()
    assert slip.el_number in page and 'value="cancel"' not in page
    client.post(f"/my/payments/{slip.reference}/", {"action": "cancel"})
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING
    services.payments_expire()
    slip.refresh_from_db()
    assert slip.status == PaymentStatus.PENDING  # past its due date, still owed

"""After paying: the 領収番号 and 領収書 are named as such, a completion panel says what happens
next, a declined or expired payment says why in words, and the 領収書 is one page."""

from __future__ import annotations

import re

import pytest

from idx.payments import selectors, services
from idx.payments.models import Payment, PaymentStatus
from idx.payments.receipts import payment_receipt_document, payment_receipt_pdf
from tests.conftest import make_draft, signed_in

pytestmark = pytest.mark.django_db
CERTIFICATE = "residence-certificate-request"


@pytest.fixture
def counter_paid(resident, iga):
    from idx.identity.models import User

    clerk = User.objects.get(municipality=iga, email="jumin@staff.iga.example.jp")
    draft = make_draft(resident, CERTIFICATE, {**_example(resident), "copies": 10})
    fee = selectors.fee_of(draft)
    return services.payment_record_counter(
        application=draft, staff=clerk, method="cash", amount=fee.amount, slip_number="S-1"
    )


def _example(resident):
    from tests.conftest import example_answers, procedure

    return example_answers(procedure(resident.municipality, CERTIFICATE))


def _text(page: str) -> str:
    """What a person reads: tags (line-breaking spans, <wbr>) removed."""
    return re.sub(r"<[^>]+>", "", page)


def test_the_receipt_pdf_is_one_page_with_a_grouped_amount(counter_paid):
    assert payment_receipt_pdf(counter_paid).startswith(b"%PDF")
    document = payment_receipt_document(counter_paid)
    assert len(document.pages) == 1
    assert counter_paid.paid_amount == 3000


def test_the_paid_page_names_the_payment_receipt_and_shows_a_completion_panel(resident, counter_paid):
    client = signed_in(resident)
    client.cookies["idx_language"] = "ja"
    page = client.get(f"/my/payments/{counter_paid.reference}/").content.decode()
    text = _text(page)
    assert 'id="payment-complete"' in page and "お支払いが完了しました" in text
    assert f"領収番号：{counter_paid.receipt_number}" in text
    assert f"領収番号{counter_paid.receipt_number}" in text  # the summary list's row
    assert "受付番号" not in text.split("お支払いが完了しました")[1].split("申請")[0]
    assert "領収書をダウンロード（PDF）" in text and "受付票" not in text
    assert "3,000円" in page
    assert f'class="status status-{PaymentStatus.PAID}"' in page


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        (PaymentStatus.FAILED, "declined by the provider", "カード会社が支払いを承認しませんでした"),
        (PaymentStatus.FAILED, "8f14e45f-ceea-467a-9575-9b7f1c0e9d3a", "支払いを完了できませんでした"),
        (PaymentStatus.EXPIRED, "", "支払いの期限が過ぎました"),
    ],
)
def test_a_payment_that_did_not_go_through_says_why_in_words(resident, counter_paid, status, reason, words):
    Payment.objects.filter(pk=counter_paid.pk).update(status=status, failure_reason=reason)
    client = signed_in(resident)
    client.cookies["idx_language"] = "ja"
    page = client.get(f"/my/payments/{counter_paid.reference}/").content.decode()
    assert 'id="payment-problem"' in page and words in _text(page)
    assert "8f14e45f" not in page


def test_a_qr_slip_offers_its_code_for_a_payment_app_on_the_same_phone(resident, counter_paid):
    import datetime as dt

    from django.utils import timezone

    from idx.payments.emvco import JpqrMerchant, jpqr_slip

    merchant = JpqrMerchant(merchant_id="2400000000001", name="IGA CITY", city="IGA", name_ja="伊賀市")
    payload = jpqr_slip(merchant, amount=600, reference=counter_paid.reference)
    Payment.objects.filter(pk=counter_paid.pk).update(
        status=PaymentStatus.PENDING, qr_payload=payload, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    client = signed_in(resident)
    client.cookies["idx_language"] = "ja"
    page = client.get(f"/my/payments/{counter_paid.reference}/").content.decode()
    assert "<svg" in page  # the slip to scan with another phone
    assert (
        f'id="qr-payload" class="qr-payload" rows="3" readonly aria-describedby="qr-payload-help">{payload}<'
        in page
    )
    text = _text(page)
    assert "ほかの支払い方法" in text and "窓口" in text

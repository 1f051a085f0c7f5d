"""The payment state machine: fees, starting, provider events applied once and only forward, refunds,
counter payments, and the application that counts as submitted once its fee is paid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.applications import services as applications
from idx.applications.models import Status
from idx.payments import selectors, services
from idx.payments.models import Payment, PaymentEvent, PaymentFlag, PaymentStatus, ProviderConfig
from idx.payments.providers import PaymentProvider, ProviderError, ProviderEvent, Started
from tests.conftest import make_draft

pytestmark = pytest.mark.django_db
CERTIFICATE = "residence-certificate-request"


class FakeProvider(PaymentProvider):
    """Starts payments without a network; refunds succeed unless told otherwise."""

    identifier = "fake"
    refuse_refunds = False
    started: list[str] = []

    def start(self, payment, *, return_url, webhook_url):  # type: ignore[no-untyped-def]
        self.started.append(payment.reference)
        return Started(provider_reference=f"chk_{payment.reference}", redirect_url="https://pay.example/chk")

    def refund(self, payment, *, amount, reason, provider_reference=""):  # type: ignore[no-untyped-def]
        if self.refuse_refunds:
            raise ProviderError("refused")
        return ProviderEvent(
            event_id=f"refund:{payment.reference}:{amount}:{len(reason)}:{PaymentEvent.objects.count()}",
            kind="refunded",
            payment_reference=payment.reference,
            amount=amount,
            occurred_at=timezone.now(),
        )


@pytest.fixture
def fake(monkeypatch, iga):
    ProviderConfig.objects.update_or_create(municipality=iga, provider="fake", defaults={"config": {}})
    FakeProvider.refuse_refunds = False
    monkeypatch.setattr(services, "provider_for", lambda config, registry=None: FakeProvider(config))
    return FakeProvider


def _event(
    payment: Payment, kind: str, event_id: str, amount: int | None = None, at: dt.datetime | None = None
):
    return ProviderEvent(
        event_id=event_id,
        kind=kind,
        payment_reference=payment.reference,
        amount=payment.amount if amount is None else amount,
        occurred_at=at or timezone.now(),
    )


def _started(resident, fake, copies: int = 2) -> Payment:
    draft = make_draft(resident, CERTIFICATE)
    draft.answers = {**draft.answers, "copies": copies}
    draft.save(update_fields=["answers"])
    return services.payment_start(
        application=draft, actor=resident, provider="fake", base_url="http://testserver/"
    )


def test_fee_comes_from_the_answers_and_blocks_submission(resident):
    draft = make_draft(resident, CERTIFICATE)
    fee = selectors.fee_of(draft)
    assert fee.amount == 300 * draft.answers["copies"] and fee.before_submission
    with pytest.raises(applications.PaymentRequired):
        applications.application_submit(application=draft, actor=resident, declaration_accepted=True)


def test_paid_event_submits_the_draft_once(resident, fake, django_capture_on_commit_callbacks):
    payment = _started(resident, fake)
    assert payment.status == PaymentStatus.PENDING and payment.checkout_url == "https://pay.example/chk"
    assert payment.amount == 600
    with django_capture_on_commit_callbacks(execute=True):
        first = services.payment_apply_event(provider="fake", event=_event(payment, "paid", "e1"))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.payment_apply_event(provider="fake", event=_event(payment, "paid", "e1"))
    # The draft is submitted once the payment's transaction has committed; the event says so.
    assert first == "paid" and again == "duplicate: ignored"
    assert PaymentEvent.objects.get(payment=payment).outcome.startswith("paid; application submitted")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.paid_amount == 600
    assert payment.receipt_number.startswith("R-IGA-")
    application = payment.application
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.receipt_number
    assert PaymentEvent.objects.filter(payment=payment).count() == 1


def test_draft_is_locked_while_paying(resident, fake):
    payment = _started(resident, fake)
    with pytest.raises(applications.NotEditable):
        applications.application_save_answers(
            application=payment.application, actor=resident, answers={"copies": 1}
        )


def test_amount_mismatch_is_flagged_never_paid(resident, fake):
    payment = _started(resident, fake)
    outcome = services.payment_apply_event(provider="fake", event=_event(payment, "paid", "e1", amount=1))
    payment.refresh_from_db()
    assert "mismatch" in outcome and payment.status == PaymentStatus.PENDING
    assert payment.flag == PaymentFlag.AMOUNT_MISMATCH


def test_payment_after_expiry_is_refunded(resident, fake, django_capture_on_commit_callbacks):
    payment = _started(resident, fake)
    services.payments_expire(now=payment.expires_at + dt.timedelta(minutes=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.payment_apply_event(
            provider="fake",
            event=_event(payment, "paid", "late", at=payment.expires_at + dt.timedelta(minutes=5)),
        )
    payment.refresh_from_db()
    assert outcome == "paid after expiry: refunded"
    assert payment.status == PaymentStatus.REFUNDED and payment.flag == PaymentFlag.PAID_AFTER_EXPIRY
    assert payment.application.status == Status.DRAFT  # a late payment does not submit


def test_late_webhook_of_a_timely_payment_is_fine(resident, fake):
    payment = _started(resident, fake)
    at = payment.expires_at - dt.timedelta(minutes=1)
    services.payment_apply_event(provider="fake", event=_event(payment, "paid", "on-time", at=at))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and not payment.flag


def test_paying_twice_refunds_the_second(resident, fake, django_capture_on_commit_callbacks):
    payment = _started(resident, fake)
    services.payment_apply_event(provider="fake", event=_event(payment, "paid", "first"))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.payment_apply_event(provider="fake", event=_event(payment, "paid", "second"))
    payment.refresh_from_db()
    assert outcome == "paid twice: the second payment is refunded"
    assert payment.flag == PaymentFlag.DUPLICATE
    assert payment.paid_amount == 600 and payment.refunded_amount == 0  # counted once; the first stays paid
    assert payment.status == PaymentStatus.PAID
    assert PaymentEvent.objects.filter(payment=payment, kind="refunded_second_charge").count() == 1
    assert selectors.paid_for(payment.application) == payment


def test_refund_before_payment_is_applied_when_it_arrives(resident, fake):
    payment = _started(resident, fake)
    deferred = services.payment_apply_event(
        provider="fake", event=_event(payment, "refunded", "r1", amount=300)
    )
    assert deferred.startswith("deferred")
    services.payment_apply_event(provider="fake", event=_event(payment, "paid", "p1"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refunded_amount == 300


def test_failed_after_paid_changes_nothing(resident, fake):
    payment = _started(resident, fake)
    services.payment_apply_event(provider="fake", event=_event(payment, "paid", "p1"))
    assert services.payment_apply_event(provider="fake", event=_event(payment, "failed", "f1")).startswith(
        "ignored"
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_staff_refund_needs_reason_and_limits(resident, supervisor, fake):
    payment = _started(resident, fake)
    services.payment_apply_event(provider="fake", event=_event(payment, "paid", "p1"))
    payment.refresh_from_db()
    with pytest.raises(services.PaymentRefused):
        services.payment_refund(payment=payment, staff=supervisor, amount=100, reason=" ")
    with pytest.raises(services.PaymentRefused):
        services.payment_refund(payment=payment, staff=supervisor, amount=601, reason="誤り")
    services.payment_refund(payment=payment, staff=supervisor, amount=200, reason="1通取り消し")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refundable == 400
    fake.refuse_refunds = True
    with pytest.raises(services.PaymentRefused):
        services.payment_refund(payment=payment, staff=supervisor, amount=400, reason="残り")
    payment.refresh_from_db()
    assert payment.refunded_amount == 200  # nothing changed


def test_other_municipality_cannot_touch_a_payment(resident, watarai, fake):
    payment = _started(resident, fake)
    outcome = services.payment_apply_event(
        provider="fake", event=_event(payment, "paid", "x"), municipality_id=watarai.pk
    )
    payment.refresh_from_db()
    assert outcome == "unknown payment" and payment.status == PaymentStatus.PENDING


def test_counter_payment(resident, clerk, iga, django_capture_on_commit_callbacks):
    draft = make_draft(resident, CERTIFICATE)
    fee = selectors.fee_of(draft)
    with pytest.raises(services.PaymentRefused):
        services.payment_record_counter(
            application=draft, staff=clerk, method="cash", amount=fee.amount + 1, slip_number="1"
        )
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_record_counter(
            application=draft, staff=clerk, method="cash", amount=fee.amount, slip_number="A-0001"
        )
    assert payment.status == PaymentStatus.PAID and payment.receipt_number
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    with pytest.raises(services.PaymentRefused):
        services.payment_record_counter(
            application=draft, staff=clerk, method="cash", amount=fee.amount, slip_number="2"
        )


def test_start_refusals(resident, other_resident, fake):
    free = make_draft(resident, "event-registration")
    with pytest.raises(services.PaymentRefused) as refused:
        services.payment_start(application=free, actor=resident, provider="fake", base_url="http://t/")
    assert refused.value.code == "no_fee"
    draft = make_draft(resident, CERTIFICATE)
    with pytest.raises(services.PaymentRefused) as refused:
        services.payment_start(application=draft, actor=other_resident, provider="fake", base_url="http://t/")
    assert refused.value.code == "not_found"
    with pytest.raises(services.PaymentRefused) as refused:
        services.payment_start(application=draft, actor=resident, provider="nope", base_url="http://t/")
    assert refused.value.code == "provider_unavailable"

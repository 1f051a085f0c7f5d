"""API of payments: an application's fee, paying it, the resident's payments; staff lists and refunds.

Added to the API by ``idx.api.v1`` after its own routers; the shared auth and error helpers are in ``idx.api.base``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from idx.api.base import (
    ApiRequest,
    ErrorOut,
    error_response,
    idempotency_key,
    idempotency_key_reused,
    require_resident,
    require_staff,
)
from idx.applications.selectors import application_get_for_resident
from idx.identity.policy import Action, can
from idx.payments import selectors, services
from idx.payments.models import Payment
from idx.payments.selectors import payments_for_staff

router: Router = Router(tags=["payments"])
staff: Router = Router(tags=["staff"])


class FeeOut(Schema):
    amount: int = Field(description="yen, for the answers as they are now")
    pay: str = Field(description="before_submission or after_submission")
    purpose: str
    paid: bool
    payment: str | None = Field(description="the reference of the payment that paid it")


class PaymentOut(Schema):
    reference: str
    application: uuid.UUID | None = Field(description="the application whose fee it pays")
    purpose: str
    amount: int
    status: str
    flag: str
    provider: str
    method: str
    checkout_url: str = Field(description="send the resident here (hosted checkout)")
    qr_payload: str = Field(description="show this as a QR code (JPQR slip)")
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    paid_amount: int
    refunded_amount: int
    receipt_number: str


class PaymentIn(Schema):
    provider: str = Field(
        min_length=1,
        max_length=40,
        description="hosted or jpqr (those the municipality enables)",
        examples=["hosted"],
    )


class RefundIn(Schema):
    amount: int = Field(gt=0, le=2_147_483_647, description="yen")
    reason: str = Field(min_length=1, max_length=300)


def _out(payment: Payment) -> dict[str, Any]:
    return {
        "reference": payment.reference,
        "application": payment.application.public_id if payment.application else None,
        "purpose": payment.purpose,
        "amount": payment.amount,
        "status": payment.status,
        "flag": payment.flag,
        "provider": payment.provider,
        "method": payment.method,
        "checkout_url": payment.checkout_url,
        "qr_payload": payment.qr_payload,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
        "paid_amount": payment.paid_amount,
        "refunded_amount": payment.refunded_amount,
        "receipt_number": payment.receipt_number,
    }


@router.get(
    "/applications/{application_id}/fee", response={200: FeeOut, 404: ErrorOut}, url_name="application_fee"
)
def application_fee(request: ApiRequest, application_id: uuid.UUID) -> Any:
    application = application_get_for_resident(resident=require_resident(request), public_id=application_id)
    if application is None:
        return error_response(request, 404, "not_found", "Not found.")
    fee = selectors.fee_of(application)
    paid = selectors.paid_for(application)
    return {
        "amount": fee.amount,
        "pay": "before_submission" if fee.before_submission else "after_submission",
        "purpose": fee.purpose,
        "paid": paid is not None,
        "payment": paid.reference if paid else None,
    }


@router.post(
    "/applications/{application_id}/payments",
    response={
        200: PaymentOut,
        201: PaymentOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        502: ErrorOut,
    },
    url_name="payment_start",
)
def payment_start(request: ApiRequest, application_id: uuid.UUID, payload: PaymentIn) -> Any:
    """Start paying the fee: send the resident to ``checkout_url``, or show ``qr_payload`` as a QR code.

    A fee paid before submission makes the application submitted when the payment is confirmed.
    Send an ``Idempotency-Key`` header so that a retried request starts no second payment: the
    retry answers 200 with the payment the first request started.
    """
    resident = require_resident(request)
    key = idempotency_key(request)
    application = application_get_for_resident(resident=resident, public_id=application_id)
    if application is None:
        return error_response(request, 404, "not_found", "Not found.")
    replayed = key is not None and selectors.payment_for_idempotency_key(payer=resident, key=key) is not None
    try:
        payment = services.payment_start(
            application=application,
            actor=resident,
            provider=payload.provider,
            base_url=_base(request),
            idempotency_key=key,
        )
    except services.PaymentRefused as exc:
        if exc.code == "idempotency_key_reused":
            return idempotency_key_reused(request)
        status = {"already_paid": 409, "provider_error": 502, "not_found": 404}.get(exc.code, 422)
        return error_response(request, status, exc.code, str(exc))
    return Status(200 if replayed else 201, _out(payment))


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@router.get("/payments", response=list[PaymentOut], url_name="payment_list")
def payment_list(request: ApiRequest) -> list[dict[str, Any]]:
    resident = require_resident(request)
    payments = Payment.objects.filter(municipality=request.municipality, payer=resident).select_related(
        "application"
    )
    return [_out(payment) for payment in payments.order_by("-created_at")[:200]]


@router.get("/payments/{reference}", response={200: PaymentOut, 404: ErrorOut}, url_name="payment_get")
def payment_get(request: ApiRequest, reference: str = Path(..., max_length=40)) -> Any:
    resident = require_resident(request)
    payment = (
        Payment.objects.filter(municipality=request.municipality, payer=resident, reference=reference)
        .select_related("application")
        .first()
    )
    if payment is None:
        return error_response(request, 404, "not_found", "Not found.")
    return _out(payment)


@staff.get("/payments", response=list[PaymentOut], url_name="staff_payment_list")
def staff_payment_list(
    request: ApiRequest,
    status: Literal["", "pending", "paid", "failed", "expired", "refunded", "partially_refunded"] = "",
    flagged: bool = False,
) -> list[dict[str, Any]]:
    payments = payments_for_staff(require_staff(request))
    if status:
        payments = payments.filter(status=status)
    if flagged:
        payments = payments.exclude(flag="")
    return [_out(payment) for payment in payments.order_by("-created_at")[:500]]


@staff.post(
    "/payments/{reference}/refunds",
    response={200: PaymentOut, 404: ErrorOut, 422: ErrorOut, 502: ErrorOut},
    url_name="staff_payment_refund",
)
def staff_payment_refund(request: ApiRequest, reference: str, payload: RefundIn) -> Any:
    member = require_staff(request)
    payment = payments_for_staff(member).filter(reference=reference).first()
    if payment is None or not can(member, Action.REFUND_PAYMENT, payment.department):
        return error_response(request, 404, "not_found", "Not found.")
    try:
        services.payment_refund(payment=payment, staff=member, amount=payload.amount, reason=payload.reason)
    except services.PaymentRefused as exc:
        return error_response(request, 502 if exc.code == "provider_error" else 422, exc.code, str(exc))
    payment.refresh_from_db()
    return _out(payment)

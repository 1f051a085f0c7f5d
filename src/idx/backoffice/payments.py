"""Staff pages of payments: the department's payments, one payment's history, refunds, counter payments."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.applications.models import Application
from idx.identity.policy import Action, can
from idx.identity.reauth import reauth_required
from idx.payments import selectors, services
from idx.payments.models import Payment, PaymentFlag, PaymentMethod, PaymentStatus
from idx.payments.selectors import payments_for_staff
from idx.web.http import IdxRequest, sign_in_required

staff_required = sign_in_required(lambda user: user.is_staff_member, "backoffice:login")


@staff_required
def payment_list(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.TAKE_PAYMENT):
        raise Http404
    status = request.GET.get("status", "")
    flagged = request.GET.get("flagged") == "1"
    query = request.GET.get("q", "").strip()[:60]
    payments = payments_for_staff(request.user)
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    if flagged:
        payments = payments.exclude(flag="")
    if query:
        payments = payments.filter(
            Q(reference__iexact=query)
            | Q(receipt_number__iexact=query)
            | Q(provider_reference__iexact=query)
            | Q(application__receipt_number__iexact=query)
        )
    return render(
        request,
        "backoffice/payments/list.html",
        {
            "payments": payments.order_by("-created_at")[:200],
            "statuses": PaymentStatus.choices,
            "status": status,
            "flagged": flagged,
            "query": query,
            "flagged_count": payments_for_staff(request.user).exclude(flag="").count(),
            "may_reconcile": can(request.user, Action.RECONCILE_PAYMENTS),
        },
    )


def _payment(request: IdxRequest, reference: str) -> Payment:
    payment = payments_for_staff(request.user).filter(reference=reference).first()
    if payment is None:
        raise Http404
    return payment


@staff_required
def payment_detail(request: IdxRequest, reference: str) -> HttpResponseBase:
    if not can(request.user, Action.TAKE_PAYMENT):
        raise Http404
    payment = _payment(request, reference)
    return render(
        request,
        "backoffice/payments/detail.html",
        {
            "payment": payment,
            "events": payment.events.select_related("actor"),
            "may_refund": can(request.user, Action.REFUND_PAYMENT, payment.department)
            and payment.refundable > 0,
            "flags": dict(PaymentFlag.choices),
        },
    )


@staff_required
@require_POST
@reauth_required
def payment_refund(request: IdxRequest, reference: str) -> HttpResponseBase:
    payment = _payment(request, reference)
    if not can(request.user, Action.REFUND_PAYMENT, payment.department):
        raise Http404
    try:
        amount = int(request.POST.get("amount", "0"))
    except ValueError:
        amount = 0
    try:
        outcome = services.payment_refund(
            payment=payment, staff=request.user, amount=amount, reason=request.POST.get("reason", "")
        )
    except services.PaymentRefused as exc:
        messages.error(
            request,
            {
                "reason_required": _("Give the reason for the refund."),
                "amount": _("Enter an amount between 1 yen and the amount paid."),
                "provider_error": _("The payment service did not accept the refund. Try again later."),
            }.get(exc.code, _("The refund could not be made.")),
        )
        return redirect("backoffice:payment_detail", reference=payment.reference)
    messages.success(request, _("Refund recorded: %(outcome)s") % {"outcome": outcome})
    return redirect("backoffice:payment_detail", reference=payment.reference)


@staff_required
def counter_payment(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Cash or card terminal at the counter for an application of the clerk's department."""
    if not can(request.user, Action.TAKE_PAYMENT):
        raise Http404
    application = (
        Application.objects.filter(municipality=request.municipality, public_id=public_id)
        .select_related("department", "procedure_version", "applicant")
        .first()
    )
    if application is None or not can(request.user, Action.TAKE_PAYMENT, application.department):
        raise Http404
    fee = selectors.fee_of(application)
    error = ""
    if request.method == "POST":
        try:
            amount = int(request.POST.get("amount", "0"))
        except ValueError:
            amount = -1
        try:
            payment = services.payment_record_counter(
                application=application,
                staff=request.user,
                method=request.POST.get("method", ""),
                amount=amount,
                slip_number=request.POST.get("slip_number", ""),
            )
        except services.PaymentRefused as exc:
            error = {
                "amount": _("The amount must be the fee: %(amount)s yen.") % {"amount": fee.amount},
                "already_paid": _("This fee has already been paid."),
                "slip_number": _("Enter the slip number."),
                "method": _("Choose cash or card terminal."),
            }.get(exc.code, _("The payment could not be recorded."))
        else:
            messages.success(
                request,
                _("Payment recorded. Receipt number: %(number)s") % {"number": payment.receipt_number},
            )
            return redirect("backoffice:payment_detail", reference=payment.reference)
    return render(
        request,
        "backoffice/payments/counter.html",
        {
            "application": application,
            "fee": fee,
            "paid": selectors.paid_for(application),
            "methods": [
                (PaymentMethod.CASH, PaymentMethod.CASH.label),
                (PaymentMethod.CARD_TERMINAL, PaymentMethod.CARD_TERMINAL.label),
            ],
            "error": error,
            "values": request.POST if request.method == "POST" else {},
        },
        status=400 if error else 200,
    )

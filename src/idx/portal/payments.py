"""Resident pages of payments: choose how to pay a fee, follow the payment, download the 領収書."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from idx.applications.models import Application, Status
from idx.applications.selectors import application_get_for_resident
from idx.identity.contrib.oidc.pages import allow_forms_to
from idx.payments import selectors, services
from idx.payments.models import Payment, PaymentStatus, ProviderConfig
from idx.payments.providers import provider_for
from idx.payments.receipts import payment_receipt_pdf as render_receipt
from idx.web.http import IdxRequest, resident_required


def _own_application(request: IdxRequest, public_id: str) -> Application:
    application = application_get_for_resident(resident=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


def _own_payment(request: IdxRequest, reference: str) -> Payment:
    payment = (
        Payment.objects.select_related("application", "department", "municipality")
        .filter(municipality=request.municipality, payer=request.user, reference=reference)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def _online_providers(request: IdxRequest) -> list[tuple[ProviderConfig, str]]:
    found = []
    for config in ProviderConfig.objects.filter(municipality=request.municipality, enabled=True).order_by(
        "provider"
    ):
        plugin = provider_for(config)
        if plugin.online:
            found.append((config, config.label or plugin.label))
    return found


def _checkout_origins(providers: list[tuple[ProviderConfig, str]]) -> list[str]:
    origins = []
    for config, _label in providers:
        for key in ("checkout_origin", "api_base"):
            value = str((config.config or {}).get(key, ""))
            if value.startswith(("https://", "http://")):
                parts = urlsplit(value)
                origins.append(f"{parts.scheme}://{parts.netloc}")
                break
    return sorted(set(origins))


@resident_required
def application_pay(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Choose how to pay the application's fee, then go to the checkout or see the QR slip."""
    application = _own_application(request, public_id)
    fee = selectors.fee_of(application)
    paid = selectors.paid_for(application)
    if paid is not None:
        return redirect("portal:payment_detail", reference=paid.reference)
    running = selectors.pending_payment(application)
    providers = _online_providers(request)
    error = ""
    if request.method == "POST":
        try:
            payment = services.payment_start(
                application=application,
                actor=request.user,
                provider=request.POST.get("provider", ""),
                base_url=request.build_absolute_uri("/"),
            )
        except services.PaymentRefused as exc:
            error = {
                "no_fee": _("This application has no fee."),
                "submit_first": _("Submit the application first; its fee is paid afterwards."),
                "already_paid": _("This fee has already been paid."),
                "provider_unavailable": _("Choose how you want to pay."),
                "provider_error": _("The payment service cannot be reached now. Please try again later."),
            }.get(exc.code, _("The payment could not be started."))
        else:
            if payment.checkout_url:
                return redirect(payment.checkout_url)
            return redirect("portal:payment_detail", reference=payment.reference)
    response = render(
        request,
        "portal/payments/pay.html",
        {
            "application": application,
            "fee": fee,
            "providers": providers,
            "running": running,
            "error": error,
            "before_submission": application.status == Status.DRAFT,
        },
        status=400 if error else 200,
    )
    return allow_forms_to(response, _checkout_origins(providers))


@resident_required
@never_cache
def payment_detail(request: IdxRequest, reference: str) -> HttpResponseBase:
    payment = _own_payment(request, reference)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        services.payment_cancel(payment=payment, actor=request.user)
        messages.info(request, _("The payment was cancelled. You can change your answers and pay again."))
        if payment.application is not None:
            return redirect("portal:application_review", public_id=payment.application.public_id)
        return redirect("portal:my_payments")
    svg = ""
    payload = (
        payment.qr_payload or payment.el_qr
    )  # a JPQR slip, or the eL-QR exactly as the tax system issued it
    if payment.status == PaymentStatus.PENDING and payload:
        from idx.payments.qr import render_svg

        svg = render_svg(payload, title=_("QR code to pay %(amount)s yen") % {"amount": payment.amount})
    return render(
        request,
        "portal/payments/detail.html",
        {
            "payment": payment,
            "qr_svg": svg,
            "waiting": payment.status == PaymentStatus.PENDING and payment.expires_at > timezone.now(),
            # The slip's payload, for a payment app on the phone that shows the page (no camera).
            "qr_payload": payload if svg else "",
            "failure_text": failure_text(payment),
            "eltax_site": _eltax_site(request) if payment.provider == "eltax" else "",
        },
    )


def failure_text(payment: Payment) -> str:
    """Why a payment did not go through, in words (never the provider's raw message or id)."""
    if payment.status == PaymentStatus.EXPIRED:
        return _("The time to pay ran out before the payment was made. Nothing was charged.")
    if payment.status != PaymentStatus.FAILED:
        return ""
    if payment.failure_reason == "replaced by a new payment":
        return _("A new payment replaced this one. Nothing was charged for this one.")
    if "declined" in payment.failure_reason:
        return _(
            "The card company declined the payment. Nothing was charged. Check the card details, "
            "or pay with another card or another way."
        )
    return _("The payment could not be completed. Nothing was charged. Please try again.")


def _eltax_site(request: IdxRequest) -> str:
    from idx.payments.contrib.eltax import PAYMENT_SITE

    config = ProviderConfig.objects.filter(municipality=request.municipality, provider="eltax").first()
    return str((config.config or {}).get("payment_site", PAYMENT_SITE)) if config else PAYMENT_SITE


@resident_required
def payment_return(request: IdxRequest, reference: str) -> HttpResponseBase:
    """Back from the checkout: its signed result is applied at once (the webhook decides when it is not)."""
    payment = _own_payment(request, reference)
    config = ProviderConfig.objects.filter(
        municipality=request.municipality, provider=payment.provider
    ).first()
    if config is not None:
        event = provider_for(config).parse_return(request.GET, now=timezone.now())
        if event is not None and event.payment_reference == payment.reference:
            services.payment_apply_event(
                provider=payment.provider, event=event, municipality_id=payment.municipality_id
            )
            payment.refresh_from_db(fields=["status"])
            if payment.status == PaymentStatus.PAID:
                # The resident is waiting on this page: submit the paid draft now, after the
                # payment's own transaction, rather than when the queued task gets to it (the
                # task then finds it submitted and does nothing).
                services.paid_draft_submit(payment.pk)
    return redirect("portal:payment_detail", reference=payment.reference)


@resident_required
def payment_receipt_pdf(request: IdxRequest, reference: str) -> HttpResponseBase:
    payment = _own_payment(request, reference)
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
        raise Http404
    response = HttpResponse(render_receipt(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.receipt_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _payments_of(request: IdxRequest) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(municipality=request.municipality, payer=request.user)
        .select_related("application", "department")
        .order_by("-created_at")
    )


@resident_required
def my_payments(request: IdxRequest) -> HttpResponseBase:
    return render(
        request,
        "portal/payments/mine.html",
        {"payments": _payments_of(request)[:100], "language": translation.get_language()},
    )

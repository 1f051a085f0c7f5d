"""The demo payment service's API (Bearer secret key, JSON) and its checkout page (no JavaScript)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from idx.demo_pay import services
from idx.demo_pay.models import CheckoutStatus, DemoCheckout, DemoPayMerchant
from idx.identity.http import IdxRequest

MAX_BODY = 16 * 1024


def _merchant(request: IdxRequest) -> DemoPayMerchant | None:
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return services.merchant_for_key(request.municipality, key.strip())


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="demo-pay"'
    return response


def _json_body(request: IdxRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_BODY:
        return None
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _checkout_url(request: IdxRequest, checkout: DemoCheckout) -> str:
    return request.build_absolute_uri(reverse("demo_pay:checkout", args=[checkout.public_id]))


def _own_checkout(merchant: DemoPayMerchant, public_id: str) -> DemoCheckout | None:
    return (
        DemoCheckout.objects.select_related("merchant").filter(merchant=merchant, public_id=public_id).first()
    )


@csrf_exempt  # an API authenticated by its Bearer key, not a browser form
@require_POST
def api_checkouts(request: IdxRequest) -> HttpResponseBase:
    merchant = _merchant(request)
    if merchant is None:
        return _error("unauthorized", 401)
    data = _json_body(request)
    if data is None:
        return _error("the body must be a JSON object", 400)
    try:
        checkout = services.checkout_create(
            merchant=merchant,
            amount=data.get("amount"),
            currency=data.get("currency"),
            reference=data.get("reference"),
            return_url=data.get("return_url"),
            webhook_url=data.get("webhook_url"),
            description=data.get("description", ""),
            expires_at=data.get("expires_at"),
        )
    except services.DemoPayError as exc:
        return _error(exc.message, exc.status)
    return JsonResponse(services.checkout_as_json(checkout, _checkout_url(request, checkout)), status=201)


@require_GET
def api_checkout(request: IdxRequest, public_id: str) -> HttpResponseBase:
    merchant = _merchant(request)
    if merchant is None:
        return _error("unauthorized", 401)
    checkout = _own_checkout(merchant, public_id)
    if checkout is None:
        return _error("no such checkout", 404)
    services.expire_if_due(checkout)
    return JsonResponse(services.checkout_as_json(checkout, _checkout_url(request, checkout)))


@csrf_exempt  # an API authenticated by its Bearer key
@require_POST
def api_refunds(request: IdxRequest, public_id: str) -> HttpResponseBase:
    merchant = _merchant(request)
    if merchant is None:
        return _error("unauthorized", 401)
    checkout = _own_checkout(merchant, public_id)
    if checkout is None:
        return _error("no such checkout", 404)
    data = _json_body(request)
    if data is None:
        return _error("the body must be a JSON object", 400)
    try:
        refund = services.checkout_refund(
            checkout=checkout, amount=data.get("amount"), reason=data.get("reason", "")
        )
    except services.DemoPayError as exc:
        return _error(exc.message, exc.status)
    return JsonResponse(
        {
            "id": refund.public_id,
            "amount": refund.amount,
            "checkout": checkout.public_id,
            "reason": refund.reason,
        },
        status=201,
    )


@require_GET
def api_settlements(request: IdxRequest) -> HttpResponseBase:
    merchant = _merchant(request)
    if merchant is None:
        return _error("unauthorized", 401)
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return _error("date must be YYYY-MM-DD", 400)
    response = HttpResponse(
        services.settlement_csv(merchant=merchant, day=day), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="settlement-{day.isoformat()}.csv"'
    return response


# ---- the page the resident pays on ------------------------------------------------------------


def _closed_text(checkout: DemoCheckout) -> str:
    texts = {
        CheckoutStatus.PAID: _("This payment has been made."),
        CheckoutStatus.PARTIALLY_REFUNDED: _("This payment has been made and partly refunded."),
        CheckoutStatus.REFUNDED: _("This payment has been made and refunded."),
        CheckoutStatus.FAILED: _(
            "This payment was declined. Start the payment again on the site you came from."
        ),
        CheckoutStatus.CANCELED: _("This payment was canceled."),
        CheckoutStatus.EXPIRED: _(
            "The time for this payment has run out. Start it again on the site you came from."
        ),
    }
    return texts.get(CheckoutStatus(checkout.status), "")


@require_http_methods(["GET", "POST"])
def checkout_page(request: IdxRequest, public_id: str) -> HttpResponseBase:
    checkout = services.checkout_get(request.municipality, public_id)
    if checkout is None:
        raise Http404
    services.expire_if_due(checkout)
    error = ""
    method = request.POST.get("method", "card")
    card_number = request.POST.get("card_number", "")[:23]
    status = 200
    if request.method == "POST" and checkout.status == CheckoutStatus.OPEN:
        try:
            if request.POST.get("action") == "cancel":
                checkout = services.checkout_cancel(checkout=checkout)
            else:
                checkout = services.checkout_pay(checkout=checkout, method=method, card_number=card_number)
        except services.DemoPayError as exc:
            checkout.refresh_from_db()
            if exc.status == 409:
                status = 409
            else:
                error = _(
                    "Enter a demo card number: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
                )
                status = 422
        else:
            return HttpResponseRedirect(services.signed_return_url(checkout))
    is_open = checkout.status == CheckoutStatus.OPEN
    return render(
        request,
        "demo_pay/checkout.html",
        {
            "checkout": checkout,
            "merchant_name": checkout.merchant.municipality.name,
            "amount_text": _("%(amount)s yen") % {"amount": f"{checkout.amount:,}"},
            "is_open": is_open,
            "closed_text": "" if is_open else _closed_text(checkout),
            "return_url": "" if is_open else services.signed_return_url(checkout),
            "error": error,
            "method": method,
            "card_number": card_number if error else "",
        },
        status=status,
    )

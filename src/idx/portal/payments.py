"""Resident pages of payments (placeholder until written)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


application_pay = payment_detail = payment_return = payment_receipt_pdf = my_payments = _todo

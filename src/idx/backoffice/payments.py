"""Staff pages of payments (placeholder until written)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


payment_list = payment_detail = payment_refund = counter_payment = _todo

"""Staff pages of reconciliation (placeholder until written)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


settlement_list = settlement_import = settlement_detail = settlement_resolve = finance_export = _todo

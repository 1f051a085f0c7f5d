"""The webhook endpoint of payment providers (placeholder until written)."""

from django.http import Http404, HttpRequest, HttpResponse


def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    raise Http404

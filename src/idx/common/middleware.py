"""Resolve the request's municipality from its host name."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

from idx.common.tenancy import municipality_for_host

# Health, readiness and metrics (idx.operations): answered for every host, without a municipality.
OPERATOR_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class MunicipalityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in OPERATOR_PATHS:
            # Probes and scrapers ask by address, on any host name, and need no municipality.
            request.municipality = None  # type: ignore[attr-defined]
            return self.get_response(request)
        municipality = municipality_for_host(request.get_host().split(":")[0].lower())
        if municipality is None and not request.path.startswith(("/static/", "/healthz")):
            return HttpResponseNotFound(
                "<!doctype html><html lang=ja><title>Not found</title>"
                "<p>この名前で提供している自治体はありません。 No municipality is served at this address.</p>"
            )
        request.municipality = municipality  # type: ignore[attr-defined]
        return self.get_response(request)

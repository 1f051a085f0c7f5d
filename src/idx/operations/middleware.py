"""Request id and latency of every request (first in MIDDLEWARE)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from idx.operations.context import request_id_from_header, request_id_set
from idx.operations.metrics import REQUEST_SECONDS

logger = logging.getLogger("idx.request")


class RequestObservabilityMiddleware:
    """Takes the proxy's X-Request-ID (or makes one), returns it in the response, puts it on every
    log record of the request, and measures the request by view name (never by path or query,
    which may hold what a resident typed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        value = request_id_from_header(request.META.get("HTTP_X_REQUEST_ID"))
        # Kept until the response is closed (request_finished), so that Django's own records
        # written after the middleware (django.request's 4xx and 5xx lines) carry it too.
        request_id_set(value)
        request.request_id = value  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = value
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match is not None else "unresolved"
        REQUEST_SECONDS.labels(view, request.method or "", f"{response.status_code // 100}xx").observe(
            elapsed
        )
        logger.info("%s %s %s %.1f ms", request.method, view, response.status_code, elapsed * 1000)
        return response


@receiver(request_finished)
def _request_id_clear(sender: object, **kwargs: object) -> None:
    request_id_set("")

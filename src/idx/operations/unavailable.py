"""While the database cannot be reached, every request is answered 503 with ``Retry-After``.

A database restart, a failover or a network cut makes Django raise ``OperationalError`` or
``InterfaceError`` wherever the first query happens: in a middleware (the municipality of the host,
the session, the signed-in user) or in the view. Without this module that is a 500 with a
traceback in the log for every request; with it the API answers its error body
(``{"code": "service_unavailable", ...}``) and people get a short translated page, both 503 with
``Retry-After``, so that clients, the load balancer and people wait and try again.

Nothing has to be done for the node to recover: Django closes a connection that failed at the
end of the request (``close_if_unusable_or_obsolete``) and opens a new one for the next, and
``conn_health_checks`` tests a kept connection before reusing it. See
docs/decisions/0035-degraded-modes.md.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

logger = logging.getLogger("idx.operations.unavailable")

# Seconds a client is asked to wait: a PostgreSQL restart or a failover takes a few seconds.
RETRY_AFTER_SECONDS = 5
_UNAVAILABLE = (OperationalError, InterfaceError)
_FLAG = "_idx_database_unavailable"
_last_warning = 0.0


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the database could not be reached or used."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _warn(exc: BaseException) -> None:
    """One warning every ten seconds per process, not one per request, while the outage lasts."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 10:
        _last_warning = now
        logger.warning("database unavailable (%s); answering 503", type(exc).__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: the API's error body, or a page that needs no database."""
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse(
            {
                "code": "service_unavailable",
                "message": f"The service is temporarily unavailable. Try again in {RETRY_AFTER_SECONDS} seconds.",
                "errors": [],
            },
            status=503,
        )
    else:
        # The language middleware may not have run (the first query comes before it): take the
        # language from the cookie or the browser, never from the account (that needs the database).
        language = translation.get_language_from_request(request)
        with translation.override(language):
            html = render_to_string(
                "503.html",
                {
                    "html_lang": language,
                    "title": gettext("Service temporarily unavailable"),
                },
            )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _remember(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django turns an exception of a middleware into a 500 before the middleware above it sees
    it; this receiver notes on the request that the cause was the database."""
    exc = sys.exc_info()[1]
    if request is not None and is_database_unavailable(exc):
        setattr(request, _FLAG, True)
        assert exc is not None
        _warn(exc)


got_request_exception.connect(_remember, dispatch_uid="idx.operations.unavailable")


class DatabaseUnavailableMiddleware:
    """Answers 503 with ``Retry-After`` instead of a 500 when the database is unavailable.

    Put it near the top of ``MIDDLEWARE`` (after the request id): everything below it, the
    middlewares that query (municipality, session, user) and the views, is covered.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        _warn(exception)
        return unavailable_response(request)

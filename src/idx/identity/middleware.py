"""A session never crosses municipalities: a user of another city is signed out here."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class TenantUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        municipality = getattr(request, "municipality", None)
        if user.is_authenticated and municipality is not None and user.municipality_id != municipality.id:
            logout(request)
        return self.get_response(request)

"""Idle timeout of staff sessions (IDX_STAFF_IDLE_SECONDS, default 30 minutes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from idx.identity.mfa.signals import SEEN_KEY

# Refresh the timestamp at most this often, so that not every request writes the session.
_REFRESH_SECONDS = 15


class StaffIdleTimeoutMiddleware:
    """Signs a staff member out after ``IDX_STAFF_IDLE_SECONDS`` without a request.

    Placed after the authentication and message middleware. A back-office page then redirects to
    the sign-in page with a message; other paths (the API) simply continue unauthenticated.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_staff_member", False):
            now = time.time()
            seen = request.session.get(SEEN_KEY)
            idle = int(getattr(settings, "IDX_STAFF_IDLE_SECONDS", 1800))
            if isinstance(seen, (int, float)) and now - seen > idle:
                logout(request)
                messages.info(
                    request, _("You were signed out after a period of inactivity. Please sign in again.")
                )
                if request.path.startswith("/staff/"):
                    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                    login_url = reverse("backoffice:login")
                    return HttpResponseRedirect(f"{login_url}?{query}" if query else login_url)
            elif not isinstance(seen, (int, float)) or now - seen >= _REFRESH_SECONDS:
                request.session[SEEN_KEY] = now
        return self.get_response(request)

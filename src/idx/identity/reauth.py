"""Recent re-authentication of staff, required before sensitive actions (exports, unsealing 個人番号).

A staff member proves again who they are (password and second factor) on the back office's
re-authentication page; the session then remembers when, and the sensitive views accept that for
``IDX_REAUTH_SECONDS`` (default five minutes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

SESSION_KEY = "idx_reauthenticated_at"


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time()


def has_recent_reauth(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    max_age = getattr(settings, "IDX_REAUTH_SECONDS", 300)
    return isinstance(at, (int, float)) and 0 <= time.time() - at <= max_age


def reauth_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Send the staff member to re-authenticate first, then back to where they were going (GET)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not has_recent_reauth(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('backoffice:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper

"""The decorators that guard the front doors, with the request type (from ``idx.identity.http``).

``user`` is typed as the IDX user; views that need a signed-in user are wrapped in a decorator
that checks it, and public views only ask ``is_authenticated``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase

from idx.identity.http import IdxRequest, View, sign_in_required
from idx.identity.policy import Action, can

__all__ = ["IdxRequest", "View", "permitted", "resident_required", "sign_in_required", "staff_required"]


# The portal's pages for residents; the back office's pages for staff.
resident_required = sign_in_required(lambda user: user.is_resident, "portal:login")
staff_required = sign_in_required(lambda user: user.is_staff_member, "backoffice:login")


def permitted(action: Action) -> Callable[[View], View]:
    """404 for staff whose role may not ``action`` (checked before asking them to re-authenticate)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: IdxRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(request.user, action):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

"""The request type views see after IDX's middleware, and the decorators that guard the front doors.

``user`` is typed as the IDX user; views that need a signed-in user are wrapped in a decorator
that checks it, and public views only ask ``is_authenticated``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from idx.common.models import Municipality
from idx.identity.models import User
from idx.identity.policy import Action, can


class IdxRequest(HttpRequest):
    municipality: Municipality
    user: User


View = Callable[..., HttpResponseBase]


def sign_in_required(allowed: Callable[[User], bool], login_url_name: str) -> Callable[[View], View]:
    """Views for one kind of account: anyone else goes to that front door's sign-in, then comes back."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: IdxRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated or not allowed(user):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(login_url_name)}?{query}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


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

"""The request type views see after IDX's middleware: a municipality is always set.

``user`` is typed as the IDX user; views that need a signed-in user are wrapped in a decorator
that checks it, and public views only ask ``is_authenticated``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from idx.common.models import Municipality
from idx.identity.models import User


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

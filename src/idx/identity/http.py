"""The request as views see it after IDX's middleware, and the guard for views of one kind of account.

They live with identity, not in the front doors' kit (``idx.web``), because pages that belong to a
domain (the card sign-in, the second factor, a resident's notification settings, the payment
return page) need them as much as the portal and the back office do.
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

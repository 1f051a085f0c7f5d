"""Where a resident goes after signing in: a local path only, kept across sign-up in the session."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import login
from django.utils import translation

from idx.identity.models import User
from idx.web.http import IdxRequest

# Where a resident who signed up was going: kept in the session until the first sign-in.
AFTER_SIGN_IN = "portal_after_sign_in"


def safe_next(target: str) -> str:
    """A local path to go back to after sign-in ("" for anything else: no open redirect)."""
    target = target[:2000]
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target


def next_context(request: IdxRequest) -> dict[str, str]:
    """The ``next`` of the query, checked, for the sign-in and sign-up pages and their links."""
    target = safe_next(request.GET.get("next", ""))
    return {"next": target, "next_query": urlencode({"next": target}) if target else ""}


def resident_session_start(request: IdxRequest, user: User) -> None:
    """Sign the resident in: a new session, in their language, with no sign-up destination left."""
    login(request, user)
    translation.activate(user.preferred_language)
    request.session.pop(AFTER_SIGN_IN, None)

"""API of a resident's personal access tokens: list, create (shown once) and revoke.

Only the browser session may manage tokens (a token cannot mint or revoke tokens), so these
operations take the session cookie and, on unsafe methods, the ``X-CSRFToken`` header. A
request made with a token that lacks the scope it needs answers 403 ``insufficient_scope`` with
``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750 §3.1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorItem, ErrorOut, SessionAuth, api, error_response, require_resident
from idx.identity import services
from idx.identity.models import ApiToken
from idx.identity.selectors import personal_tokens_for_user
from idx.identity.tokens import EXPIRY_DAYS, SCOPES, InsufficientScope, token_error_message

router: Router = Router(tags=["tokens"], auth=[SessionAuth()])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="the token itself: shown this once, only its hash is kept")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=60)
    scopes: list[str] = Field(min_length=1, description=f"some of: {', '.join(SCOPES)}")
    expires_in_days: int = Field(description=f"one of: {', '.join(str(days) for days in EXPIRY_DAYS)}")


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes or [],
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.revoked_at is None
        and (token.expires_at is None or token.expires_at > timezone.now()),
    }


@api.exception_handler(InsufficientScope)
def _insufficient_scope(request: HttpRequest, exc: InsufficientScope) -> HttpResponse:
    if exc.scope in SCOPES:
        message = f"This token was not given the scope {exc.scope}."
    else:
        message = "Personal access tokens cannot do this; use the browser session."
    response = error_response(request, 403, "insufficient_scope", message)
    scope = f' scope="{exc.scope}"' if exc.scope in SCOPES else ""
    response["WWW-Authenticate"] = f'Bearer error="insufficient_scope"{scope}'
    return response


@router.get("/tokens", response={200: list[TokenOut], 403: ErrorOut}, url_name="tokens_list")
def tokens_list(request: ApiRequest) -> Any:
    """Your personal access tokens, newest first (revoked and expired ones included)."""
    return [token_out(token) for token in personal_tokens_for_user(user=require_resident(request))]


@router.post(
    "/tokens", response={201: TokenCreatedOut, 403: ErrorOut, 422: ErrorOut}, url_name="tokens_create"
)
def tokens_create(request: ApiRequest, payload: TokenIn) -> Any:
    """Create a personal access token; the answer holds the token once."""
    try:
        token, raw = services.personal_token_create(
            user=require_resident(request),
            name=payload.name,
            scopes=payload.scopes,
            expires_in_days=payload.expires_in_days,
        )
    except services.TokenInvalid as exc:
        return error_response(
            request,
            422,
            "invalid_token_request",
            _("Some fields need attention."),
            [ErrorItem(path=exc.field, code=exc.code, message=token_error_message(exc.code))],
        )
    return Status(201, {**token_out(token), "token": raw})


@router.delete(
    "/tokens/{token_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, url_name="tokens_revoke"
)
def tokens_revoke(request: ApiRequest, token_id: int) -> Any:
    """Revoke one of your tokens: it stops working at once."""
    if not services.personal_token_revoke(user=require_resident(request), token_id=token_id):
        return error_response(request, 404, "not_found", "Not found.")
    return Status(204, None)

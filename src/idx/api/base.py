"""What every router of the JSON API shares: the API object, request type, authentication,
the problem JSON and the one place a refused request becomes an answer.

Errors are ``{"code": ..., "message": ..., "errors": [...]}`` (``ErrorOut``). A
:class:`~idx.common.errors.DomainError` a service raises and the operation does not catch is
answered here with the status its class names (``http_status``), its ``code`` and its message;
a 404 never says more than "Not found." (nothing tells whether a record exists).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from idx.common.errors import DomainError
from idx.identity.models import User
from idx.identity.tokens import token_authenticate
from idx.web.http import IdxRequest


class ApiRequest(IdxRequest):
    auth: User


class TokenAuth(HttpBearer):
    """An API token; a resident's personal access token only within its scopes (403 otherwise)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        municipality = getattr(request, "municipality", None)
        user = token_authenticate(
            raw=token,
            municipality_id=municipality.id if municipality is not None else None,
            method=request.method or "GET",
            path=request.path,
        )
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session: its cookie, and on unsafe methods the CSRF token in ``X-CSRFToken``."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        municipality = getattr(request, "municipality", None)
        if user is None or not user.is_authenticated or municipality is None:
            return None
        if user.municipality_id != municipality.id:
            return None
        # Cookies ride along on cross-site requests, so unsafe methods need the CSRF token.
        if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request, lambda: None) is not None:
            return None
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return None


class ErrorItem(Schema):
    path: str
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorItem] = []


class ApiProblem(Exception):
    """A request refused before (or instead of) its operation: rendered as problem JSON."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[ErrorItem] | None = None,
        *,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.retry_after = retry_after  # seconds, sent as Retry-After (429, 503)


class _NonFinite:
    """``NaN``, ``Infinity`` or ``-Infinity`` in a body: JSON allows none of them (RFC 8259)."""


_NON_FINITE = _NonFinite()


def _unstorable(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first value no database can store (a non-finite number, a lone surrogate)."""
    if value is _NON_FINITE:
        return path
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, path) or _unstorable(item, (*path, str(key)))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, (*path, str(index)))
            if found is not None:
                return found
    return None


class JsonParser(Parser):
    """Bodies are strict JSON: ``application/json`` (or ``+json``) only, and only storable values."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not (
            content_type.startswith("application/") and content_type.endswith("+json")
        ):
            raise ApiProblem(
                415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
            )
        data = json.loads(request.body, parse_constant=lambda _constant: _NON_FINITE)
        path = _unstorable(data)
        if path is not None:
            where = ".".join(("body", *path))
            raise ApiProblem(
                422,
                "invalid_request",
                "The request body holds a value JSON does not allow (NaN, Infinity or a lone surrogate).",
                [ErrorItem(path=where, code="invalid_value", message="Not a valid JSON value.")],
            )
        return data


class IdxNinjaAPI(NinjaAPI):
    """The API whose OpenAPI document states everything a client meets (see ``idx.api.openapi``)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        from idx.api.openapi import complete_openapi

        return complete_openapi(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = IdxNinjaAPI(
    title="IDX API",
    version="1",
    description="Online procedures of a municipality: catalog, applications, staff cases and exports.",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    parser=JsonParser(),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, errors: list[ErrorItem] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "errors": errors or []}, status=status
    )


@api.exception_handler(NinjaValidationError)
def _validation_error(request: ApiRequest, exc: NinjaValidationError) -> HttpResponse:
    items = [
        ErrorItem(
            path=".".join(str(part) for part in error.get("loc", [])),
            code=str(error.get("type", "invalid")),
            message=str(error.get("msg", "")),
        )
        for error in exc.errors
    ]
    return error_response(
        request, 422, "invalid_request", "The request body or parameters are not valid.", items
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: ApiRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", "Sign in or send a valid API token.")


@api.exception_handler(HttpError)
def _http_error(request: ApiRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ApiProblem):  # raised by the parser; ninja wraps it
        return _problem(request, exc.__cause__)
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(ApiProblem)
def _problem(request: ApiRequest, exc: ApiProblem) -> HttpResponse:
    response = error_response(request, exc.status, exc.code, exc.message, exc.errors)
    if exc.retry_after is not None:
        response["Retry-After"] = str(max(1, exc.retry_after))
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request: ApiRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return error_response(request, 413, "payload_too_large", f"The request body is larger than {limit} MB.")


def domain_error_items(exc: DomainError) -> list[ErrorItem]:
    """The per-input items of a problem: one for the error's ``field``, if it names one."""
    if not exc.field:
        return []
    return [ErrorItem(path=exc.field, code=exc.code, message=exc.text())]


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """Any refusal of a domain, as problem JSON with the status its class names."""
    if exc.http_status == 404:
        return error_response(request, 404, "not_found", "Not found.")
    response = error_response(request, exc.http_status, exc.code, exc.text(), domain_error_items(exc))
    if exc.http_status == 429 and isinstance(exc.params.get("retry_after"), int):
        response["Retry-After"] = str(max(1, exc.params["retry_after"]))
    return response


IDEMPOTENCY_KEY_MAX = 80


def idempotency_key(request: HttpRequest) -> str | None:
    """The ``Idempotency-Key`` header (at most 80 characters), or ``None`` without one."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ApiProblem(
            422,
            "invalid_request",
            f"The Idempotency-Key is longer than {IDEMPOTENCY_KEY_MAX} characters.",
            [ErrorItem(path="header.Idempotency-Key", code="too_long", message="Too long.")],
        )
    return key or None


def idempotency_key_reused(request: HttpRequest) -> HttpResponse:
    """422 for a replayed Idempotency-Key whose request differs from the first (IETF idempotency-key draft)."""
    return error_response(
        request,
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request; send a new key for a new request.",
        [ErrorItem(path="header.Idempotency-Key", code="reused", message="Used for a different request.")],
    )


def require_resident(request: ApiRequest) -> User:
    user: User = request.auth
    if not user.is_resident:
        raise HttpError(403, "This endpoint is for residents.")
    return user


def require_staff(request: ApiRequest) -> User:
    user: User = request.auth
    if not user.is_staff_member:
        raise HttpError(403, "This endpoint is for staff.")
    return user

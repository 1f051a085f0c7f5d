"""The whole truth of the OpenAPI document: what django-ninja cannot see from the view signatures.

django-ninja documents each operation's own answers. Around them, every operation also meets the
shared front door: authentication (401), the wrong kind of account (403), the JSON parser (400,
413, 415), input validation (422) and the rate limiter (429). This module adds those answers with
their schema, states the authentication schemes as the server reads them (the bearer token; the
session cookie with the ``X-CSRFToken`` header on unsafe methods; an inquiry's secret in
``X-Inquiry-Token``), the ``Idempotency-Key`` headers, and the links between operations
(the id a creation answers is the id the next operation takes).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.conf import settings

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
UNSAFE = {"post", "put", "patch", "delete"}

_ANSWERS = {
    400: "The body is not JSON.",
    401: "No valid API token or session (send ``Authorization: Bearer …`` or sign in).",
    403: "The account may not use this operation (a resident's operation called by staff, or the reverse).",
    413: "The body is larger than the server accepts.",
    415: "The body is not ``application/json``.",
    422: "A parameter or the body is not valid; ``errors`` names each field.",
    429: "Too many requests; ``Retry-After`` says how many seconds to wait.",
}

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A client-chosen key (at most 80 characters): a retried request with the same key and body "
        "answers 200 with what the first one created; the same key with a different body answers 422."
    ),
    "schema": {"type": "string", "maxLength": 80},
}

INQUIRY_TOKEN = {
    "name": "X-Inquiry-Token",
    "in": "header",
    "required": False,
    "description": "The ``access_token`` answered when the inquiry was sent (needed without an account).",
    "schema": {"type": "string", "maxLength": 200},
}

# operationId suffix -> header parameters it reads
_HEADERS = {
    "create_application": [IDEMPOTENCY_KEY],
    "payment_start": [IDEMPOTENCY_KEY],
    "inquiry_get": [INQUIRY_TOKEN],
    "inquiry_reply": [INQUIRY_TOKEN],
}

# operationId suffix -> {status: {link name: (target operationId suffix, parameters)}}
_LINKS: dict[str, dict[int, dict[str, tuple[str, dict[str, str]]]]] = {
    "create_application": {
        status: {
            "GetApplication": ("get_application", {"application_id": "$response.body#/id"}),
            "UpdateApplication": ("update_application", {"application_id": "$response.body#/id"}),
            "ValidateApplication": ("validate_application", {"application_id": "$response.body#/id"}),
            "SigningPayload": ("signing_payload_of", {"application_id": "$response.body#/id"}),
            "SubmitApplication": ("submit_application", {"application_id": "$response.body#/id"}),
            "WithdrawApplication": ("withdraw_application", {"application_id": "$response.body#/id"}),
            "ApplicationFee": ("application_fee", {"application_id": "$response.body#/id"}),
            "StartPayment": ("payment_start", {"application_id": "$response.body#/id"}),
        }
        for status in (200, 201)
    },
    "payment_start": {
        status: {"GetPayment": ("payment_get", {"reference": "$response.body#/reference"})}
        for status in (200, 201)
    },
    "create_booking": {
        201: {
            "GetBooking": ("get_booking", {"booking_id": "$response.body#/id"}),
            "CancelBooking": ("cancel_booking", {"booking_id": "$response.body#/id"}),
            "RebookBooking": ("rebook_booking", {"booking_id": "$response.body#/id"}),
            "CheckInBooking": ("check_in_own_booking", {"booking_id": "$response.body#/id"}),
        }
    },
    "inquiry_create": {
        201: {
            "GetInquiry": (
                "inquiry_get",
                {
                    "tracking_number": "$response.body#/tracking_number",
                    "header.X-Inquiry-Token": "$response.body#/access_token",
                },
            ),
            "ReplyToInquiry": (
                "inquiry_reply",
                {
                    "tracking_number": "$response.body#/tracking_number",
                    "header.X-Inquiry-Token": "$response.body#/access_token",
                },
            ),
        }
    },
}

# Paths whose operations also serve people without an account (an inquiry's sender).
_ANONYMOUS_PREFIXES = ("/api/v1/inquiries",)


def _csrf_header() -> str:
    """``HTTP_X_CSRFTOKEN`` (Django's META key) as the header a client sends: ``X-CSRFToken``."""
    meta = getattr(settings, "CSRF_HEADER_NAME", "HTTP_X_CSRFTOKEN")
    name = meta.removeprefix("HTTP_").replace("_", "-")
    return "X-CSRFToken" if name == "X-CSRFTOKEN" else name.title()


def _suffix(operation: dict[str, Any]) -> str:
    """The view's name: ``idx_api_payments_payment_start`` -> ``payment_start``."""
    return re.sub(r"^idx_api_[a-z0-9]+_", "", str(operation.get("operationId", "")))


def _error_response(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _ANSWERS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status == 429:
        answer["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}
        }
    return answer


def complete_openapi(schema: Any) -> Any:
    """Add what every operation can answer, the auth schemes as read, header parameters and links."""
    document = copy.deepcopy(dict(schema))
    components = document.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes["TokenAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token of a resident or a staff member (``idx_…``).",
    }
    schemes["SessionAuth"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": settings.SESSION_COOKIE_NAME,
        "description": "The browser session of the portal or the back office.",
    }
    schemes["CsrfToken"] = {
        "type": "apiKey",
        "in": "header",
        "name": _csrf_header(),
        "description": "With the session on POST, PUT, PATCH and DELETE: the page's CSRF token.",
    }
    operation_ids: dict[str, tuple[str, str]] = {}
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            operation_ids[_suffix(operation)] = (path, method)
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            _complete_operation(path, method, operation, operation_ids)
    return document


def _complete_operation(
    path: str, method: str, operation: dict[str, Any], operation_ids: dict[str, tuple[str, str]]
) -> None:
    responses: dict[str, Any] = {
        str(status): answer for status, answer in operation.get("responses", {}).items()
    }
    operation["responses"] = responses
    security = operation.get("security")
    anonymous = path.startswith(_ANONYMOUS_PREFIXES)
    if security:
        if method in UNSAFE:
            security = [
                {**requirement, "CsrfToken": []} if "SessionAuth" in requirement else requirement
                for requirement in security
            ]
        if anonymous and {} not in security:
            security = [*security, {}]
        operation["security"] = security
    name = _suffix(operation)
    parameters = operation.setdefault("parameters", [])
    for header in _HEADERS.get(name, []):
        if not any(p.get("name") == header["name"] and p.get("in") == "header" for p in parameters):
            parameters.append(dict(header))
    if not parameters:
        del operation["parameters"]
    body = operation.get("requestBody", {}).get("content", {})
    statuses: list[int] = [429]
    if security and not anonymous:
        statuses += [401, 403]
    if parameters or body:
        statuses.append(422)
    if "application/json" in body:
        statuses += [400, 413, 415]
    elif body:
        statuses.append(413)
    for status in statuses:
        responses.setdefault(str(status), _error_response(status))
    # An operation that names its own 429 (a limit of its own) still says when to try again.
    responses["429"] = {**responses["429"], "headers": _error_response(429)["headers"]}
    for status, links in _LINKS.get(name, {}).items():
        answer = responses.get(str(status))
        if answer is None:
            continue
        for link_name, (target, link_parameters) in links.items():
            if target not in operation_ids:
                continue
            target_path, target_method = operation_ids[target]
            answer.setdefault("links", {})[link_name] = {
                "operationRef": _operation_ref(target_path, target_method),
                "parameters": link_parameters,
            }


def _operation_ref(path: str, method: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}"

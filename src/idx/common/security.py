"""Web hardening that Django and django-csp leave to the project.

- ``SecurityHeadersMiddleware``: ``Permissions-Policy`` (no camera, microphone or location for
  any page) on every response. Django's ``SecurityMiddleware`` already sends HSTS (production),
  ``X-Content-Type-Options``, ``Referrer-Policy`` and ``Cross-Origin-Opener-Policy``; Django's
  ``XFrameOptionsMiddleware`` sends ``X-Frame-Options: DENY``; django-csp sends the
  Content-Security-Policy (``frame-ancestors 'none'`` among it).
- ``DropRequestDataFilter``: a logging filter that takes the request object off log records, so
  no handler can ever write a request body, cookies or headers (personal data) to a log, and
  blanks credentials in messages (``Authorization`` values of any scheme, IDX API tokens), such
  as django-ninja's DEBUG line for an unexpected ``Authorization`` header.
- ``security_txt``: ``/.well-known/security.txt`` (RFC 9116).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "IDX_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class DropRequestDataFilter(logging.Filter):
    """Replace ``record.request`` (Django puts the whole request there) by its method and path.

    Django's request and security loggers attach the request to their records; a handler such as
    ``AdminEmailHandler`` or an error tracker would serialise its POST data, cookies and headers.
    The path stays, because IDX keeps personal data out of URLs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            method = getattr(request, "method", "") or ""
            path = getattr(request, "path", "") or ""
            record.request = f"{method} {path}".strip()
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: leave it to the handler
            return True
        cleaned = redact_credentials(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


REDACTED = "[redacted]"
# django-ninja (DEBUG) logs a header of another scheme verbatim: "Unexpected auth - '<value>'".
_UNEXPECTED_AUTH = re.compile(r"(Unexpected auth - ')[^']*(')")
# "<scheme> <credentials>": token68 values of the HTTP authentication schemes (RFC 9110 §11.4)
# and Digest's parameter list; IDX API tokens anywhere.
_SCHEME_CREDENTIALS = re.compile(
    r"\b(Basic|Bearer|Token|Negotiate|NTLM|DPoP|ApiKey)(\s+)[A-Za-z0-9._~+/\-]{8,}=*", re.IGNORECASE
)
_DIGEST = re.compile(r"\b(Digest|AWS4-HMAC-SHA256|SCRAM-SHA-\d+)(\s+)\w+=[^'\r\n]*", re.IGNORECASE)
_AUTHORIZATION_HEADER = re.compile(
    r"((?:Proxy-)?Authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+", re.IGNORECASE
)
_API_TOKEN = re.compile(r"\bidx_[A-Za-z0-9_\-]{8,}")


def redact_credentials(text: str) -> str:
    """``text`` with every credential it carries replaced by ``[redacted]``."""
    text = _UNEXPECTED_AUTH.sub(rf"\g<1>{REDACTED}\g<2>", text)
    text = _AUTHORIZATION_HEADER.sub(rf"\g<1>{REDACTED}", text)
    text = _SCHEME_CREDENTIALS.sub(rf"\g<1>\g<2>{REDACTED}", text)
    text = _DIGEST.sub(rf"\g<1>\g<2>{REDACTED}", text)
    return _API_TOKEN.sub(REDACTED, text)


def security_contact(request: HttpRequest) -> str:
    configured: str = getattr(settings, "IDX_SECURITY_CONTACT", "")
    if configured:
        return configured
    host = request.get_host().split(":")[0]
    return f"mailto:security@{host}"


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: where to report a vulnerability; ``Expires`` is always a year ahead."""
    expires = (timezone.now() + dt.timedelta(days=365)).astimezone(dt.UTC).replace(microsecond=0)
    lines = [
        f"Contact: {security_contact(request)}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: ja, en",
        f"Canonical: {request.build_absolute_uri('/.well-known/security.txt')}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "max-age=86400"
    return response

"""Personal access tokens: what a resident's API token may do, and how a bearer token is checked.

A resident creates a token on the account page (or through the API with the browser session),
with a name, the scopes it needs and an expiry; the token is shown once and only its SHA-256 is
stored. Tokens issued by an operator with ``idx api_token_issue`` (LINE bots, kiosks) carry no
scope list (``scopes is None``) and keep the full access of their user.

A scope is ``<area>:read`` or ``<area>:write``. The area of a request is found from its path
under ``/api/v1/``; reading (GET, HEAD, OPTIONS) needs ``<area>:read``, anything else
``<area>:write`` (which includes reading). Paths outside the areas may be read with any token,
but no personal access token may write to them (deny by default for new endpoints).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from idx.identity.models import ApiToken, User

# (area, label shown to the resident)
AREAS: dict[str, object] = {
    "applications": _("Applications"),
    "payments": _("Payments"),
    "bookings": _("Counter bookings"),
    "inquiries": _("Questions to the city"),
}
SCOPES: tuple[str, ...] = tuple(f"{area}:{access}" for area in AREAS for access in ("read", "write"))

# The choices of expiry offered, in days (a token never lives longer than a year).
EXPIRY_DAYS: tuple[int, ...] = (7, 30, 90, 365)
MAX_TOKENS_PER_USER = 20

# First match wins: payments of an application belong to the payments area.
_AREA_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^applications/[^/]+/payments(/|$)"), "payments"),
    (re.compile(r"^applications(/|$)"), "applications"),
    (re.compile(r"^payments(/|$)"), "payments"),
    (re.compile(r"^booking/bookings(/|$)"), "bookings"),
    (re.compile(r"^inquiries(/|$)"), "inquiries"),
)
_API_PREFIX = re.compile(r"^.*?/api/v\d+/")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ScopeNeed:
    """What a request needs of a personal access token: a scope, or (``None``) any token."""

    scope: str | None
    writes_elsewhere: bool = False


def scope_needed(*, method: str, path: str) -> ScopeNeed:
    relative = _API_PREFIX.sub("", path, count=1).lstrip("/")
    access = "read" if method.upper() in READ_METHODS else "write"
    for pattern, area in _AREA_PATHS:
        if pattern.match(relative):
            return ScopeNeed(scope=f"{area}:{access}")
    return ScopeNeed(scope=None, writes_elsewhere=access == "write")


class InsufficientScope(Exception):
    """The token is valid but was not given the scope this request needs (RFC 6750 §3.1)."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


def token_permits(scopes: list[str] | None, *, method: str, path: str) -> str | None:
    """``None`` when a token with ``scopes`` may make this request, else the scope it lacks."""
    if scopes is None:  # an operator-issued token: the user's full access
        return None
    need = scope_needed(method=method, path=path)
    if need.scope is None:
        return "write" if need.writes_elsewhere else None
    area, _sep, access = need.scope.partition(":")
    if need.scope in scopes or (access == "read" and f"{area}:write" in scopes):
        return None
    return need.scope


# Recently checked tokens of this process, by hash: the bearer token of an API client (a LINE
# bot, a kiosk) comes with every request, and its row, its user and the user's department are the
# same each time. An entry lives IDX_API_TOKEN_CACHE_SECONDS (default 0: off); any save or delete
# of a token or a user in this process empties the cache, so a revocation or a deactivation through
# a service takes effect here at once, and in other processes within that many seconds. A change
# made with a queryset's update() sends no signal and is seen only when the entry expires, which is
# why the cache is off unless a deployment sets the setting. The entries are pickled (LocMemCache),
# so a request never shares a User object with another request.
_recent = LocMemCache("idx-api-tokens", {"TIMEOUT": 30, "OPTIONS": {"MAX_ENTRIES": 10_000}})
LAST_USED_EVERY = dt.timedelta(minutes=5)


def _cache_seconds() -> int:
    return int(getattr(settings, "IDX_API_TOKEN_CACHE_SECONDS", 0))


def forget_recent_tokens(**_kwargs: object) -> None:
    """Empty this process's cache of checked tokens (connected to saves of tokens and users)."""
    _recent.clear()


for _model in (ApiToken, User):
    post_save.connect(
        forget_recent_tokens, sender=_model, dispatch_uid=f"idx-api-tokens-{_model.__name__}-save"
    )
    post_delete.connect(
        forget_recent_tokens, sender=_model, dispatch_uid=f"idx-api-tokens-{_model.__name__}-delete"
    )


def _token_record(token_hash: str) -> ApiToken | None:
    seconds = _cache_seconds()
    if seconds > 0:
        record = _recent.get(token_hash)
        if record is not None:
            return record
    # The hash is unique: a slice, not .first(), which would compile an ORDER BY for nothing.
    found = list(
        ApiToken.objects.select_related("user", "user__department").filter(
            token_hash=token_hash, revoked_at__isnull=True
        )[:1]
    )
    record = found[0] if found else None
    if record is not None and seconds > 0:
        _recent.set(token_hash, record, timeout=seconds)
    return record


def token_authenticate(*, raw: str, municipality_id: int | None, method: str, path: str) -> User | None:
    """The user a bearer token stands for, or ``None`` (unknown, revoked, expired, other city).

    Raises :class:`InsufficientScope` when the token is valid but lacks the scope.
    """
    token_hash = ApiToken.hash(raw)
    record = _token_record(token_hash)
    now = timezone.now()
    if record is None or municipality_id is None or record.municipality_id != municipality_id:
        return None
    if not record.user.is_active or (record.expires_at is not None and record.expires_at <= now):
        return None
    lacking = token_permits(record.scopes, method=method, path=path)
    if lacking is not None:
        raise InsufficientScope(lacking)
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_EVERY:
        # .update() sends no post_save: the cached entry is refreshed rather than dropped.
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
        if _cache_seconds() > 0:
            _recent.set(token_hash, record, timeout=_cache_seconds())
    return record.user


def token_error_message(code: str) -> str:
    """The translated words for a refused token request (``TokenInvalid.code``)."""
    messages = {
        "name": gettext("Enter a name for the token (at most 60 characters)."),
        "scopes": gettext("Choose at least one thing the token may do."),
        "expiry": gettext("Choose when the token expires."),
        "too_many": gettext("You have too many active tokens. Revoke one you no longer use first."),
        "not_resident": gettext("Personal access tokens are for residents."),
    }
    return messages.get(code, gettext("Some fields need attention."))

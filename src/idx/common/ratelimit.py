"""Rate limits on sign-in, sign-up, submission and the API: fixed windows counted in Django's cache.

Each request that matters counts towards one or more *buckets* (``sign_in``, ``sign_up``,
``submit``, ``api``). A bucket has a limit per client address and, where the request tells whose
account it is about, a limit per account. The counters live in the ``default`` cache, which every
worker and server shares: Redis when ``IDX_CACHE_URL`` points at one, a table of the database
otherwise (production refuses a cache local to each process: a recycled worker would forget its
counts). Keys are hashed, so no e-mail address or token ends up in the cache. While that cache does
not answer, each process counts in its own memory (a warning a minute says so): the limits are
looser by the number of processes, never lifted, and nobody is refused for the outage
(docs/decisions/0035-degraded-modes.md).

Over a limit the request is answered with HTTP 429 and ``Retry-After``: a translated page for the
portal and the back office, the API's error body (``{"code": "rate_limited", ...}``) for the API.
The decision to write this instead of using django-ratelimit is in
docs/decisions/0005-web-hardening.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import ResolverMatch

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


def clock() -> float:
    """The time windows are counted in; one name so tests can hold it still."""
    return time.time()


def parse_rate(text: str) -> Rate | None:
    """``"10/5m"`` is ten requests per five minutes; ``""`` or ``"off"`` means no limit.

    Units: ``s``, ``m``, ``h``, ``d`` (a bare number is seconds, a bare unit is one of it).
    """
    if text.strip().lower() in ("", "off", "none"):
        return None
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"not a rate: {text!r} (use e.g. 10/5m)")
    limit, amount, unit = int(match.group(1)), match.group(2), match.group(3)
    period = (int(amount) if amount else 1) * _UNIT_SECONDS[unit]
    if period <= 0:
        raise ValueError(f"not a rate: {text!r} (the period must be positive)")
    return Rate(limit=limit, period=period)


def client_address(request: HttpRequest) -> str:
    """The client's address; behind ``IDX_PROXY_COUNT`` proxies, the one the outermost proxy saw.

    IPv6 clients are grouped by their /64 network, which one household or device usually holds.
    """
    address = request.META.get("REMOTE_ADDR", "") or ""
    depth = int(getattr(settings, "IDX_PROXY_COUNT", 0))
    if depth > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= depth:
            address = forwarded[-depth]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _posted_email(request: HttpRequest) -> str | None:
    email = request.POST.get("email", "").strip().lower()
    if not email:
        return None
    municipality = getattr(request, "municipality", None)
    return f"{getattr(municipality, 'pk', '-')}:{email}"


def _signed_in_account(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _api_account(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"token:{_digest(token.strip())}"
    return _signed_in_account(request)


AccountOf = Callable[[HttpRequest], "str | None"]

# view name -> (bucket, which account the request is about); POST only.
_POST_BUCKETS: dict[str, tuple[str, AccountOf]] = {
    "portal:login": ("sign_in", _posted_email),
    "backoffice:login": ("sign_in", _posted_email),
    "portal:signup": ("sign_up", _posted_email),
    "portal:application_review": ("submit", _signed_in_account),
    # Six-digit counter codes: guessing one is limited like guessing a password.
    "portal:counter_code": ("sign_in", lambda request: None),
    "api-v1:submit_application": ("submit", _api_account),
    "portal:inquiry_new": ("inquiry", _posted_email),
    "portal:inquiry_reply": ("inquiry", _signed_in_account),
    "api-v1:inquiry_create": ("inquiry", _api_account),
    # An anonymous survey takes answers without an account: flooding it is limited like submitting.
    "portal:survey_answer": ("submit", _signed_in_account),
}
_API_NAMESPACE = "api-v1"


def buckets_for(request: HttpRequest, match: ResolverMatch) -> list[tuple[str, str | None]]:
    """The buckets this request counts towards, each with the account it is about (if known)."""
    found: list[tuple[str, str | None]] = []
    if _API_NAMESPACE in match.namespaces:
        found.append(("api", _api_account(request)))
    if request.method == "POST" and match.view_name in _POST_BUCKETS:
        bucket, account_of = _POST_BUCKETS[match.view_name]
        found.append((bucket, account_of(request)))
    return found


def _rates(bucket: str) -> tuple[Rate | None, Rate | None]:
    configured: dict[str, str] = getattr(settings, "IDX_RATELIMITS", {})
    return parse_rate(configured.get(bucket, "")), parse_rate(configured.get(f"{bucket}_account", ""))


# While the shared cache (Redis) is unavailable, each process counts on its own: the limits still
# hold, loosened by the number of processes, instead of being lifted (docs/decisions/0035).
local_counts = LocMemCache("idx-ratelimit-local", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
SHARED_RETRY_SECONDS = 5.0  # how long the shared cache is left alone after it failed
_shared_down_until: dict[int, float] = {}  # id of the cache -> when to ask it again
_warned = {"at": -60.0}


def _incr(cache: BaseCache, cache_key: str, rate: Rate) -> int:
    cache.add(cache_key, 0, timeout=rate.period + 1)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=rate.period + 1)
        return 1


def _shared_cache() -> BaseCache:
    return caches[getattr(settings, "IDX_RATELIMIT_CACHE", "default")]


def _counts_in_redis(cache: RedisCache, hits: list[tuple[str, Rate]]) -> list[int]:
    """Count every hit of a request in one round trip: INCR and EXPIRE of each key, pipelined.

    Through Django's cache API each key costs three round trips (``add``, then ``incr``, which
    asks whether the key exists first): a submission counted in four buckets made 12. The key
    names the window, so renewing its expiry on every hit is harmless: it outlives its window by
    at most one period.
    """
    client = cache._cache.get_client(write=True)  # noqa: SLF001 - Django's Redis client, for a pipeline
    pipeline = client.pipeline(transaction=False)
    for cache_key, rate in hits:
        key = cache.make_and_validate_key(cache_key)
        pipeline.incr(key)
        pipeline.expire(key, rate.period + 1)
    results = pipeline.execute()
    return [int(count) for count in results[0::2]]


def _count_many(hits: list[tuple[str, Rate]]) -> list[int]:
    """Count one hit of each ``(cache key, rate)``: in the shared cache, or in this process while
    the shared cache does not answer."""
    cache = _shared_cache()
    counts: list[int] | None = None
    moment = time.monotonic()
    if hits and moment >= _shared_down_until.get(id(cache), 0.0):
        try:
            if isinstance(cache, RedisCache):
                counts = _counts_in_redis(cache, hits)
            else:
                counts = [_incr(cache, cache_key, rate) for cache_key, rate in hits]
        except Exception as exc:  # noqa: BLE001 - a cache outage must not take sign-in down with it
            _shared_down_until[id(cache)] = moment + SHARED_RETRY_SECONDS
            if moment - _warned["at"] >= 60:
                _warned["at"] = moment
                logger.warning(
                    "rate limit cache unavailable (%s); counting in each process until it answers",
                    type(exc).__name__,
                )
    if counts is None:
        counts = [_incr(local_counts, cache_key, rate) for cache_key, rate in hits]
    return counts


def _window_key(key: str, rate: Rate, now: float) -> tuple[str, int]:
    window = int(now // rate.period)
    return f"idx:rl:{key}:{rate.period}:{window}", window


def _wait(count: int, rate: Rate, window: int, now: float) -> int | None:
    """The seconds to wait when ``count`` is over the limit, else None."""
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


def _count(key: str, rate: Rate, now: float) -> int | None:
    """Count one hit; return the seconds to wait when over the limit, else None."""
    cache_key, window = _window_key(key, rate, now)
    (count,) = _count_many([(cache_key, rate)])
    return _wait(count, rate, window, now)


def hit(key: str, rate: Rate) -> int | None:
    """Count one use of ``key`` against ``rate`` (outside requests, e.g. a channel's sends);
    the seconds to wait when over the limit, else ``None``."""
    return _count(key, rate, clock())


def check(request: HttpRequest, match: ResolverMatch) -> tuple[str, int] | None:
    """Count the request in its buckets; ``(bucket, retry_after)`` when one of them is exceeded."""
    now = clock()
    counted: list[tuple[str, str, Rate, int]] = []  # bucket, cache key, rate, window
    for bucket, account in buckets_for(request, match):
        per_address, per_account = _rates(bucket)
        keys = []
        if per_address is not None:
            keys.append((_digest(f"{bucket}:ip:{client_address(request)}"), per_address))
        if per_account is not None and account is not None:
            keys.append((_digest(f"{bucket}:account:{account}"), per_account))
        for key, rate in keys:
            cache_key, window = _window_key(key, rate, now)
            counted.append((bucket, cache_key, rate, window))
    if not counted:
        return None
    # Every bucket of the request in one go (one round trip to Redis).
    counts = _count_many([(cache_key, rate) for _, cache_key, rate, _ in counted])
    worst: tuple[str, int] | None = None
    for (bucket, _, rate, window), count in zip(counted, counts, strict=True):
        wait = _wait(count, rate, window, now)
        if wait is not None and (worst is None or wait > worst[1]):
            worst = (bucket, wait)
    return worst


def too_many_requests(request: HttpRequest, match: ResolverMatch, retry_after: int) -> HttpResponse:
    response: HttpResponse
    if _API_NAMESPACE in match.namespaces:
        response = JsonResponse(
            {
                "code": "rate_limited",
                "message": f"Too many requests. Try again in {retry_after} seconds.",
                "errors": [],
            },
            status=429,
        )
    else:
        minutes = max(1, math.ceil(retry_after / 60))
        response = HttpResponse(
            render_to_string("429.html", {"minutes": minutes}, request=request), status=429
        )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Answers 429 once a client or an account goes over a limit (``IDX_RATELIMITS``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if not getattr(settings, "IDX_RATELIMIT_ENABLED", True):
            return None
        match = request.resolver_match
        if match is None:
            return None
        exceeded = check(request, match)
        if exceeded is None:
            return None
        bucket, retry_after = exceeded
        # No address or e-mail in the log (personal data): the bucket and the view show an attack.
        logger.warning("rate limit exceeded: bucket=%s path=%s", bucket, match.view_name)
        return too_many_requests(request, match, retry_after)

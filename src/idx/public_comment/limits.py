"""How often opinions may be sent: a flood of sendings from one address or one account is refused
(``IDX_RATELIMITS["public_comment"]``, default 10 per 10 minutes), counted in the shared cache by
``idx.common.ratelimit`` like sign-in and submissions. The pages and the API count together."""

from __future__ import annotations

from django.conf import settings

from idx.common import ratelimit

DEFAULT_RATE = "10/10m"


def opinion_flood_wait(*, address: str, user_id: int | None) -> int | None:
    """Count one sending; the seconds to wait when this address or account sent too many."""
    if not getattr(settings, "IDX_RATELIMIT_ENABLED", True):
        return None
    configured: dict[str, str] = getattr(settings, "IDX_RATELIMITS", {})
    rate = ratelimit.parse_rate(configured.get("public_comment", DEFAULT_RATE))
    if rate is None:
        return None
    waits = [ratelimit.hit(f"public_comment:ip:{address}", rate)]
    if user_id is not None:
        waits.append(ratelimit.hit(f"public_comment:user:{user_id}", rate))
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None

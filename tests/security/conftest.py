"""Fixtures for the web-hardening tests: rate limits switched on with small numbers, a clean cache.

The limiter counts in fixed windows, so a test whose requests straddle a window's edge would see
its counter start again. The clock the limiter reads is held a few seconds into a window that is
aligned for every period used here (1 minute, 10 minutes, 1 hour), so no test depends on timing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import override_settings

LOW_LIMITS = {
    "sign_in": "5/10m",
    "sign_in_account": "3/10m",
    "sign_up": "5/1h",
    "sign_up_account": "2/1h",
    "submit": "5/10m",
    "submit_account": "2/10m",
    "api": "5/1m",
    "api_account": "3/1m",
}


HELD_AT = (time.time() // 3600) * 3600 + 5


@pytest.fixture
def ratelimits(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Rate limits on, with the small numbers above; counters start from zero and are dropped after."""
    from idx.common import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: HELD_AT)
    caches["default"].clear()
    with override_settings(IDX_RATELIMIT_ENABLED=True, IDX_RATELIMITS=dict(LOW_LIMITS)):
        yield LOW_LIMITS
    caches["default"].clear()

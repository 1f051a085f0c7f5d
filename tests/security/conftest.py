"""Fixtures for the web-hardening tests: rate limits switched on with small numbers, a clean cache."""

from __future__ import annotations

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


@pytest.fixture
def ratelimits() -> Iterator[dict[str, str]]:
    """Rate limits on, with the small numbers above; counters start from zero and are dropped after."""
    caches["default"].clear()
    with override_settings(IDX_RATELIMIT_ENABLED=True, IDX_RATELIMITS=dict(LOW_LIMITS)):
        yield LOW_LIMITS
    caches["default"].clear()

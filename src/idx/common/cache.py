"""Redis as Django's cache, read as a cache: while Redis is away a read misses and a write is dropped.

Pages keep what they can compute again in the cache (a blank form's PDF, open data thumbnails);
with Django's own ``RedisCache`` a Redis restart turns each of them into a 500. Here ``get`` answers
the default and ``set``/``delete`` do nothing while Redis does not answer, with one warning a minute
per process. ``add`` and ``incr`` still raise: their callers need to know (the rate limits count
locally instead, a claim must not succeed by accident). Connections give up after two seconds, so a
Redis that does not answer (rather than refusing) cannot hold up every request.
See docs/decisions/0035-degraded-modes.md.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("idx.common.cache")
_warned = {"at": -60.0}


def _warn(exc: Exception) -> None:
    now = time.monotonic()
    if now - _warned["at"] >= 60:
        _warned["at"] = now
        logger.warning("cache unavailable (%s); reads miss and writes are dropped", type(exc).__name__)


class TolerantRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 2)
        super().__init__(server, {**params, "OPTIONS": options})

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            _warn(exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            _warn(exc)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            _warn(exc)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[str]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            _warn(exc)
            return list(data)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as exc:
            _warn(exc)
            return False

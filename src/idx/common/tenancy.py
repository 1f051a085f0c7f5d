"""Host name → municipality, cached per process for a minute (hosts change rarely)."""

from __future__ import annotations

import time

from django.db.models.signals import post_delete, post_save

from idx.common.models import Municipality, MunicipalityHost

CACHE_SECONDS = 60
_cache: dict[str, tuple[float, Municipality | None]] = {}


def municipality_for_host(hostname: str) -> Municipality | None:
    cached = _cache.get(hostname)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    host = MunicipalityHost.objects.select_related("municipality").filter(hostname=hostname).first()
    municipality = host.municipality if host else None
    _cache[hostname] = (time.monotonic(), municipality)
    return municipality


def clear_host_cache(**_kwargs: object) -> None:
    _cache.clear()


post_save.connect(clear_host_cache, sender=MunicipalityHost)
post_delete.connect(clear_host_cache, sender=MunicipalityHost)
post_save.connect(clear_host_cache, sender=Municipality)

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def cache_tables_create(*, using: str = "default", verbosity: int = 1, **_kwargs: Any) -> None:
    """Make the database cache's table (rate-limit counters shared by every worker) on every
    ``idx migrate``, so no deployment has to remember ``createcachetable``. Idempotent."""
    from django.conf import settings
    from django.core.management import call_command

    if any(cache["BACKEND"].endswith("db.DatabaseCache") for cache in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


class CommonConfig(AppConfig):
    name = "idx.common"
    label = "common"
    verbose_name = "Municipalities"

    def ready(self) -> None:
        # Once per migrate run (post_migrate is sent per app; this receiver listens to this one).
        post_migrate.connect(cache_tables_create, sender=self, dispatch_uid="idx.common.cache_tables")

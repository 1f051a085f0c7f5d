"""``idx procedures_publish_due``: publish the scheduled procedure versions whose moment has come
(run every minute from cron or a systemd timer, so 4月1日 0時 means 0:00–0:01)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from idx.procedures.services import procedure_versions_publish_due


class Command(BaseCommand):
    help = "Publish the scheduled procedure versions that are due (safe to run again at any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        published = procedure_versions_publish_due()
        self.stdout.write(f"{len(published)} scheduled versions published")

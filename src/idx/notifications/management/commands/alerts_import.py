"""``idx alerts_import --municipality 242161 URL``: poll a CAP 1.2 document or an Atom feed of them.

Run it from cron for each feed the city follows (e.g. the prefecture's). New alerts appear on
the back office's alerts page for re-broadcast; ones seen before are counted as duplicates.
"""

from __future__ import annotations

from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.notifications.cap_import import CapRejected, cap_poll


class Command(BaseCommand):
    help = "Import CAP 1.2 alerts from a URL (a CAP document or an Atom feed of CAP documents)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--municipality", required=True, help="全国地方公共団体コード, e.g. 242161")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"no municipality {options['municipality']!r}")
        try:
            created, duplicates, problems = cap_poll(municipality=municipality, url=options["url"])
        except (requests.RequestException, CapRejected) as exc:
            raise CommandError(f"could not fetch {options['url']}: {exc}") from exc
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(f"{created} new, {duplicates} already imported, {len(problems)} rejected")

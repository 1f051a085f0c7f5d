"""``idx insights_refresh``: rebuild the fact tables and republish the platform's own statistics
(run once a night from cron or a systemd timer, e.g. 02:30; safe to run again at any time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.insights.statistics import insights_refresh_all


class Command(BaseCommand):
    help = "Rebuild the statistics facts and republish the statistics datasets (all municipalities, or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", help="the municipality's code (全国地方公共団体コード) or slug")
        parser.add_argument(
            "--since",
            type=dt.date.fromisoformat,
            help="rebuild only the months from this date's month on (YYYY-MM-DD)",
        )
        parser.add_argument("--no-publish", action="store_true", help="rebuild the facts only")

    def handle(self, *args: Any, **options: Any) -> None:
        municipalities = Municipality.objects.order_by("code")
        wanted = options.get("municipality")
        if wanted:
            municipalities = municipalities.filter(code=wanted) | municipalities.filter(slug=wanted)
            if not municipalities.exists():
                raise CommandError(f"no municipality {wanted}")
        for result in insights_refresh_all(
            municipalities, since=options.get("since"), publish=not options.get("no_publish")
        ):
            seconds = (result.refresh.finished_at - result.refresh.started_at).total_seconds()  # type: ignore[operator]
            self.stdout.write(
                f"{result.municipality.name}: {result.refresh.rows} fact rows in {seconds:.1f} s, "
                f"{result.datasets} statistics datasets published"
            )

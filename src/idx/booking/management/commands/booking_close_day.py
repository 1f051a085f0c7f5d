"""``idx booking_close_day``: close the counter tickets of earlier days left open (run after closing time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.booking.services.tickets import tickets_close_day


class Command(BaseCommand):
    help = "Tickets of days before --before (default: today, Japan time) still waiting or called become no-shows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", help="YYYY-MM-DD (default: today in Japan)")

    def handle(self, *args: Any, **options: Any) -> None:
        before = None
        if options["before"]:
            try:
                before = dt.date.fromisoformat(options["before"])
            except ValueError as exc:
                raise CommandError("--before must be YYYY-MM-DD") from exc
        self.stdout.write(f"{tickets_close_day(before=before)} tickets closed")

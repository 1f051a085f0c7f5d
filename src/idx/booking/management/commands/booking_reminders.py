"""``idx booking_reminders``: remind residents of tomorrow's bookings (run once a day; idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from idx.booking.services.bookings import reminders_send


class Command(BaseCommand):
    help = "Send reminders of tomorrow's counter bookings (a second run the same day sends nothing new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="the day to run as (YYYY-MM-DD, Japan time); default: today")

    def handle(self, *args: Any, **options: Any) -> None:
        today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        count = reminders_send(today=today)
        self.stdout.write(f"{count} booking reminder(s) sent")

"""``idx payments_finance_export``: the day's payments and refunds as CSV for 財務会計 (run daily)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from idx.common.models import Municipality
from idx.payments.finance_export import finance_csv_chunks, finance_export_record
from idx.payments.reconciliation import TOKYO


class Command(BaseCommand):
    help = "Write one day's payments (and refunds, negative) as UTF-8 CSV with BOM for the finance system."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", required=True, help="全国地方公共団体コード, e.g. 242161")
        parser.add_argument("--date", help="the day (YYYY-MM-DD, Japan time); default: yesterday")
        parser.add_argument("--output", help="file to write; default: standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"no municipality with code {options['municipality']!r}")
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"not a date (YYYY-MM-DD): {options['date']!r}") from exc
        else:
            # Run after midnight: the day that has just ended.
            day = timezone.now().astimezone(TOKYO).date() - dt.timedelta(days=1)
        output = options["output"]
        finance_export_record(municipality=municipality, actor=None, day=day, output=output or "stdout")
        chunks = finance_csv_chunks(municipality=municipality, day=day)
        if not output:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from exc

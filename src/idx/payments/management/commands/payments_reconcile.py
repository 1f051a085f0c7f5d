"""``idx payments_reconcile``: import a payment service's settlement file and report the mismatches."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from idx.common.models import Municipality
from idx.payments.reconciliation import SettlementInvalid, settlement_import


class Command(BaseCommand):
    help = "Import a settlement CSV (all rows or none), match it to payments and list the mismatches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the settlement CSV; '-' reads standard input")
        parser.add_argument("--municipality", required=True, help="全国地方公共団体コード, e.g. 242161")
        parser.add_argument("--provider", required=True, help="the payment provider id, e.g. hosted")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"no municipality with code {options['municipality']!r}")
        name = options["file"]
        try:
            content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
        try:
            settlement = settlement_import(
                municipality=municipality,
                actor=None,
                provider=options["provider"],
                file_name="stdin.csv" if name == "-" else Path(name).name,
                content=content,
            )
        except SettlementInvalid as exc:
            for line, message in exc.errors:
                self.stderr.write(f"line {line}: {message}" if line else message)
            raise CommandError("nothing was imported") from exc
        kinds = (
            settlement.lines.exclude(mismatch="")
            .values("mismatch")
            .annotate(count=Count("pk"))
            .order_by("mismatch")
        )
        self.stdout.write(f"settlement {settlement.pk}: {settlement.rows} rows, {settlement.matched} matched")
        for kind in kinds:
            self.stdout.write(f"  {kind['mismatch']}: {kind['count']}")

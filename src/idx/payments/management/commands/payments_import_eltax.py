"""``idx payments_import_eltax <municipality code> <file.csv>``: tax slips (eL番号, eL-QR) for residents to see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.payments.eltax import eltax_import


class Command(BaseCommand):
    help = "Import tax slips (eL番号 and eL-QR content issued by the tax system); all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="local government code, e.g. 242161")
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError("no such municipality")
        result = eltax_import(municipality=municipality, content=options["file"].read_bytes())
        for line, problem in result.errors:
            self.stdout.write(f"line {line}: {problem}")
        if result.errors:
            raise CommandError("nothing imported")
        self.stdout.write(f"{result.created} slips imported, {result.skipped} already there")

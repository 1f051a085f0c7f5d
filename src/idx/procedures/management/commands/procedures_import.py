from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.procedures.definition import DefinitionError
from idx.procedures.services import DEFINITIONS_DIR, procedure_import


class Command(BaseCommand):
    help = "Load procedure definitions (YAML) into a municipality; changed ones become new versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="全国地方公共団体コード, e.g. 242161")
        parser.add_argument("files", nargs="*", help="YAML files (default: the shipped definitions)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            municipality = Municipality.objects.get(code=options["municipality"])
        except Municipality.DoesNotExist as exc:
            raise CommandError(f"no municipality {options['municipality']}") from exc
        paths = [Path(name) for name in options["files"]] or sorted(DEFINITIONS_DIR.glob("*.yaml"))
        for path in paths:
            try:
                procedure = procedure_import(
                    municipality=municipality, data=yaml.safe_load(path.read_text(encoding="utf-8"))
                )
            except DefinitionError as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            self.stdout.write(f"{procedure.code}: version {procedure.published_version.number}")  # type: ignore[union-attr]

"""``idx restore``: a backup into an empty database and an empty file storage, checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from idx.operations.backup import BackupError, backup_restore, database_from_url, identities_read


class Command(BaseCommand):
    help = (
        "Restore a backup made by idx backup into an EMPTY database (the configured one, or "
        "--database-url) and an empty file storage. Every member is checked against the "
        "manifest before anything is written; every table is compared after. docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="the backup file")
        parser.add_argument(
            "--identity",
            action="append",
            type=Path,
            required=True,
            help="a key file holding the municipality's age key (AGE-SECRET-KEY-1...)",
        )
        parser.add_argument("--database-url", default="", help="the empty database to restore into")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            database = (
                database_from_url(options["database_url"])
                if options["database_url"]
                else dict(connection.settings_dict)
            )
            connection.close()
            summary = backup_restore(
                archive=options["archive"],
                identities=identities_read(options["identity"]),
                database=database,
                storage=default_storage,
                progress=lambda step: self.stderr.write(f"… {step}"),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the backup of {summary.created}: {summary.tables} tables, {summary.rows:,} rows "
            f"and {summary.files:,} files, every one equal to the manifest, in {summary.seconds:.1f} s"
        )

"""``idx backup``: an encrypted archive of the database, the stored files and the public keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.operations.backup import BackupError, backup_create, recipients_parse


class Command(BaseCommand):
    help = (
        "Write a backup: the database (pg_dump's custom format, or SQLite's backup API), every "
        "stored file, the public keys and a manifest with checksums, encrypted with age to the "
        "municipality's recipients (IDX_BACKUP_RECIPIENTS or --recipient). docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "output", type=Path, help="the archive to write (never overwritten), e.g. idx-2026-12-04.age"
        )
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="an age recipient (age1...) to encrypt to; may be given more than once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            recipients = recipients_parse(options["recipient"] or list(settings.IDX_BACKUP_RECIPIENTS))
            summary = backup_create(output=options["output"], recipients=recipients, storage=default_storage)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backup written: {summary.path} ({summary.bytes:,} bytes, {summary.tables} tables, "
            f"{summary.rows:,} rows, {summary.files:,} files) in {summary.seconds:.1f} s"
        )
        self.stdout.write(f"SHA-256 {summary.sha256}  (keep this line apart from the archive)")

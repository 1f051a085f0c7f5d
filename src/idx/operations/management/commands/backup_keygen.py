"""``idx backup_keygen``: a new age key pair for the municipality's backups."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.operations.backup import keypair_generate


class Command(BaseCommand):
    help = (
        "Write a new backup key (an age identity) to a file readable only by you, and print its "
        "recipient for IDX_BACKUP_RECIPIENTS. Keep the key file offline: only a restore needs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_file", type=Path, help="where to write the key (never overwritten)")

    def handle(self, *args: Any, **options: Any) -> None:
        recipient, identity = keypair_generate()
        path: Path = options["key_file"]
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{path} exists already: a key file is never overwritten") from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"# IDX backup key; public key (recipient): {recipient}\n{identity}\n")
        self.stdout.write(f"IDX_BACKUP_RECIPIENTS={recipient}")

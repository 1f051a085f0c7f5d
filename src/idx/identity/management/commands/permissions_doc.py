"""``idx permissions_doc``: regenerate docs/permissions.md from the policy module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.identity.policy import permission_matrix_markdown

DEFAULT_PATH = Path(settings.BASE_DIR).parent.parent / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Write the permission matrix (src/idx/identity/policy.py) to docs/permissions.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=DEFAULT_PATH, help="where to write the matrix")
        parser.add_argument(
            "--check", action="store_true", help="write nothing; exit 1 when the file is out of date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"]
        text = permission_matrix_markdown()
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(f"{path} is out of date: run `idx permissions_doc`", returncode=1)
            self.stdout.write(f"{path} is up to date")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")

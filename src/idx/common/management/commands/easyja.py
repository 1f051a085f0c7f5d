"""``idx easyja check``: the rules of やさしい日本語 a program can check, over shipped texts or files.

Without arguments it checks the shipped やさしい日本語 catalog, every ``ja-easy`` text of the
shipped procedure definitions, the やさしい日本語 variants of the demo FAQs and the demo disaster guide; with ``--text`` one text; with paths, those .po or .yaml files.
Exits with status 1 when anything breaks a rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.easyja import check

PACKAGE = Path(__file__).resolve().parents[3]
CATALOG = PACKAGE / "locale" / "ja_Easy" / "LC_MESSAGES" / "django.po"
DEFINITIONS = PACKAGE / "procedures" / "definitions"
FAQS = PACKAGE / "assist" / "data"
GUIDE = PACKAGE / "notifications" / "data" / "disaster_guide.yaml"


def catalog_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every translated message of a .po file."""
    for entry in polib.pofile(str(path)):
        if entry.obsolete or not entry.msgid:
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            if text:
                yield f"{path.name}:{entry.linenum} {entry.msgid[:40]!r}", text


def definition_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every ``ja-easy`` text in a procedure definition."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "ja-easy" and isinstance(value, str):
                    yield where, value
                else:
                    yield from walk(value, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}[{index}]")

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    yield from ((f"{path.name} {where}", text) for where, text in walk(data, ""))


def faq_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of the やさしい日本語 question and answer of every FAQ in a demo FAQ file."""
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        easy = entry.get("ja-easy") or {}
        for field in ("question", "answer"):
            if easy.get(field):
                yield f"{path.name} {entry.get('key')}.{field}", str(easy[field])


def shipped_texts() -> Iterator[tuple[str, str]]:
    yield from catalog_texts(CATALOG)
    for path in sorted(DEFINITIONS.glob("*.yaml")):
        yield from definition_texts(path)
    for path in sorted(FAQS.glob("faqs_*.yaml")):
        yield from faq_texts(path)
    yield from definition_texts(GUIDE)


class Command(BaseCommand):
    help = "やさしい日本語: check the rules a program can check ('check' with no paths: the shipped texts)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{check}")
        checker = commands.add_parser("check", help="report sentences that break a rule")
        checker.add_argument("paths", nargs="*", help=".po or .yaml files (default: the shipped texts)")
        checker.add_argument("--text", help="check this text instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["text"] is not None:
            texts: Iterator[tuple[str, str]] = iter([("text", options["text"])])
        elif options["paths"]:
            texts = self._files([Path(path) for path in options["paths"]])
        else:
            texts = shipped_texts()
        count = 0
        failures = 0
        for where, text in texts:
            count += 1
            for breach in check(text):
                failures += 1
                self.stdout.write(f"{where}: {breach}")
        if failures:
            raise CommandError(f"{failures} breaches in {count} texts")
        self.stdout.write(f"{count} texts checked, no breaches")

    def _files(self, paths: list[Path]) -> Iterator[tuple[str, str]]:
        for path in paths:
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            if path.suffix == ".po":
                yield from catalog_texts(path)
            elif path.suffix in (".yaml", ".yml"):
                yield from definition_texts(path)
            else:
                raise CommandError(f"not a .po or .yaml file: {path}")

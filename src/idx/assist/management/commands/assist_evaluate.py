"""``idx assist_evaluate``: top-1/top-3 of the assistant on the evaluation set; fails below the targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.assist.evaluation import evaluate, format_report, load_questions


class Command(BaseCommand):
    help = "Ask the evaluation questions of the demo FAQs; exit 1 below top-1 85% or top-3 95%."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("questions", nargs="+", type=Path, help="YAML files of {q, expect, register}")
        parser.add_argument("--misses", action="store_true", help="list the questions answered wrongly")

    def handle(self, *args: Any, **options: Any) -> None:
        report = evaluate(load_questions(options["questions"]))
        self.stdout.write(format_report(report, misses=options["misses"]))
        if not report.passed():
            raise CommandError("below the targets")

"""``idx intake_watch``: receive the scans a scanner drops into a folder (once, or every few seconds)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.intake.watch import SETTLE_SECONDS, WatcherMisconfigured, scanner_clerk, watch_once


class Command(BaseCommand):
    help = (
        "Receive every scan file that has stopped growing in FOLDER as a batch of scans, in the name of "
        "the clerk who answers for the scanner; received files move to FOLDER/done/<date>/, refused "
        "ones to FOLDER/refused/ with the reason beside them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--municipality", required=True, help="the municipality's code (e.g. 242161)")
        parser.add_argument("--clerk", required=True, help="e-mail of the clerk the scans are received for")
        parser.add_argument(
            "--every", type=float, default=0, help="look again every N seconds (default: once)"
        )
        parser.add_argument(
            "--settle", type=float, default=SETTLE_SECONDS, help="seconds a file must be unchanged"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"no municipality with the code {options['municipality']}")
        try:
            staff = scanner_clerk(municipality=municipality, email=options["clerk"])
            while True:
                for outcome in watch_once(
                    folder=options["folder"],
                    municipality=municipality,
                    staff=staff,
                    settle_seconds=options["settle"],
                ):
                    if outcome.received:
                        self.stdout.write(f"{outcome.name}: received as {outcome.batch}")
                    else:
                        self.stdout.write(f"{outcome.name}: refused ({outcome.refusal})")
                if not options["every"]:
                    return
                time.sleep(options["every"])
        except WatcherMisconfigured as problem:
            raise CommandError(str(problem)) from problem

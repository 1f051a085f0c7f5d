"""``idx budget_recount <municipality> <process>``: recount a budget vote from its ballot rows.

Prints the canonical list's SHA-256 and the result in rank order, compares them with what was kept
when staff counted, and exits 1 when anything differs (a ballot added, removed or changed since).
``--canonical`` also prints the canonical list itself, so that anyone can hash it again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.common.models import Municipality
from idx.participation import services
from idx.participation.models import Process


class Command(BaseCommand):
    help = "Recount a process's budget vote from its ballots; exit 1 when it differs from the kept count."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="the municipality's slug, e.g. iga")
        parser.add_argument("process", help="the process's slug, e.g. asobiba-yosan")
        parser.add_argument("--canonical", action="store_true", help="print the ballots' canonical list")

    def handle(self, *args: Any, **options: Any) -> None:
        process = (
            Process.objects.filter(
                municipality=Municipality.objects.filter(slug=options["municipality"]).first(),
                slug=options["process"],
            )
            .prefetch_related("phases")
            .first()
        )
        if process is None:
            raise CommandError("no such process")
        phase = services.budget_phase(process)
        if phase is None:
            raise CommandError("the process has no budgeting phase")
        if options["canonical"]:
            self.stdout.write(services.ballots_canonical(phase=phase), ending="")
        try:
            recount = services.budget_recount(phase=phase)
        except services.ParticipationRefused as exc:
            raise CommandError("not counted yet") from exc
        rows, ballots, used = services.budget_tally_rows(phase=phase)
        self.stdout.write(f"ballots: {ballots}  budget used: {used}")
        for row in rows:
            funded = "funded" if row["funded"] else "-"
            self.stdout.write(
                f"{row['rank']:>3}. #{row['number']} votes={row['votes']} cost={row['cost']} {funded}"
            )
        self.stdout.write(f"sha256 now:  {recount.digest}")
        self.stdout.write(f"sha256 kept: {recount.kept_digest}")
        if not recount.ok:
            raise CommandError("the recount differs from the kept count")
        self.stdout.write("the recount matches the kept count")

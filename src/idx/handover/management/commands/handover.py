"""``idx handover run [--target ID ...] [--enqueue]`` and ``idx handover acks [--target ID ...]``.

``run`` without ``--target`` runs every active target whose daily time has passed and that has not
run since (a failed run is tried again on the next call, a few times a day): call it every 5–15
minutes from cron or a systemd timer. ``--target`` runs the named targets now, whatever their
time. ``acks`` takes in the acknowledgements the core systems left (every few minutes).
docs/operations.md ("Hand-over to core systems") shows the cron lines.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.handover.destinations import DeliveryError
from idx.handover.models import HandoverTarget
from idx.handover.services import HandoverBusy, handover_acks_poll, handover_run, targets_due


class Command(BaseCommand):
    help = "Hand-over to core systems: 'run' the due (or named) targets, take in 'acks'."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{run,acks}")
        run = commands.add_parser("run", help="run the targets that are due, or those named")
        run.add_argument("--target", type=int, action="append", default=[], help="a target's number")
        run.add_argument(
            "--enqueue", action="store_true", help="leave each run to the worker instead of running it here"
        )
        acks = commands.add_parser("acks", help="take in the acknowledgements of the core systems")
        acks.add_argument("--target", type=int, action="append", default=[], help="a target's number")

    def _targets(self, ids: list[int]) -> list[HandoverTarget]:
        found = list(HandoverTarget.objects.filter(pk__in=ids).select_related("municipality", "procedure"))
        missing = sorted(set(ids) - {target.pk for target in found})
        if missing:
            raise CommandError(f"no hand-over target {', '.join(map(str, missing))}")
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "acks":
            targets = (
                self._targets(options["target"])
                if options["target"]
                else list(
                    HandoverTarget.objects.filter(active=True).select_related("municipality", "procedure")
                )
            )
            for target in targets:
                try:
                    outcome = handover_acks_poll(target=target)
                except DeliveryError as exc:
                    self.stderr.write(f"target {target.pk}: {exc}")
                    continue
                self.stdout.write(
                    f"target {target.pk}: {outcome.accepted} acknowledgements, {outcome.cases} cases taken in"
                )
                for problem in outcome.rejected:
                    self.stderr.write(f"target {target.pk}: rejected {problem}")
            return
        targets = self._targets(options["target"]) if options["target"] else targets_due()
        failed = 0
        for target in targets:
            if options["enqueue"]:
                from idx.handover.tasks import handover_target_run

                handover_target_run.enqueue(target.pk)
                self.stdout.write(f"target {target.pk}: enqueued")
                continue
            try:
                run = handover_run(target=target)
            except HandoverBusy:
                self.stdout.write(f"target {target.pk}: another run is in progress")
                continue
            line = f"target {target.pk}: {run.status}, {run.case_count} cases"
            if run.file_name:
                line += f", {run.file_name}"
            if run.error:
                failed += 1
                line += f" ({run.error})"
            self.stdout.write(line)
        if not targets:
            self.stdout.write("no target is due")
        if failed:
            raise CommandError(f"{failed} runs failed")

"""``idx audit verify | export | prune``: check, export and prune the hash-chained audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.audit.exports import audit_jsonl_lines
from idx.audit.selectors import audit_chain_verify, audit_entries_for_period
from idx.audit.services import audit_export_record, audit_prune
from idx.common.models import Municipality


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Audit log: 'verify' the hash chains, 'export' a period as JSON Lines, 'prune' past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,export,prune}")
        verify = commands.add_parser("verify", help="report the first altered, inserted or deleted entry")
        verify.add_argument("--municipality", help="全国地方公共団体コード; every municipality when left out")
        export = commands.add_parser(
            "export", help="stream one municipality's entries of a period as JSON Lines"
        )
        export.add_argument("--municipality", required=True, help="全国地方公共団体コード, e.g. 242161")
        export.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        export.add_argument("--to", dest="date_to", required=True, help="last day (inclusive), YYYY-MM-DD")
        prune = commands.add_parser("prune", help="delete entries older than IDX_AUDIT_RETENTION_DAYS")
        prune.add_argument("--municipality", help="全国地方公共団体コード; every municipality when left out")

    def _municipalities(self, code: str | None) -> list[Municipality]:
        if code is None:
            return list(Municipality.objects.order_by("code"))
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise CommandError(f"no municipality with code {code!r}")
        return [municipality]

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _verify(self, options: dict[str, Any]) -> None:
        total = 0
        for municipality in self._municipalities(options.get("municipality")):
            report = audit_chain_verify(municipality=municipality)
            if report.problem is not None:
                raise CommandError(
                    f"{municipality.code} {municipality.name}: {report.problem.kind} entry "
                    f"{report.problem.entry_id}: {report.problem.detail}",
                    returncode=1,
                )
            total += report.entries
            self.stdout.write(
                f"{municipality.code} {municipality.name}: {report.entries} entries, chain intact"
            )
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {total} entries verified"))

    def _export(self, options: dict[str, Any]) -> None:
        municipality = self._municipalities(options["municipality"])[0]
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        if date_to < date_from:
            raise CommandError("--to is before --from")
        audit_export_record(
            municipality=municipality, actor=None, date_from=date_from, date_to=date_to, output="jsonl"
        )
        entries = audit_entries_for_period(municipality=municipality, date_from=date_from, date_to=date_to)
        for line in audit_jsonl_lines(entries):
            self.stdout.write(line, ending="")

    def _prune(self, options: dict[str, Any]) -> None:
        for municipality in self._municipalities(options.get("municipality")):
            deleted = audit_prune(municipality=municipality)
            self.stdout.write(f"{municipality.code} {municipality.name}: {deleted} entries pruned")

"""``idx audit verify | export | prune``: check, export and prune the hash-chained audit log.

``verify`` exits 1 when a chain is broken, 3 when it is whole but entries wait longer than
``--max-lag`` seconds to be sealed (is a worker running the sealer?), 0 otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.audit.exports import audit_jsonl_lines
from idx.audit.selectors import ChainReport, audit_chain_verify, audit_entries_for_period
from idx.audit.services import audit_export_record, audit_prune
from idx.common.models import Municipality

BROKEN = 1
LAGGING = 3


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
        verify.add_argument(
            "--max-lag",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="entries waiting longer than this to be sealed are a problem (exit 3); default 60",
        )
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
        max_lag: float = options["max_lag"]
        if max_lag < 0:
            raise CommandError("--max-lag must be 0 seconds or more")
        sealed = unsealed = 0
        broken: list[str] = []
        lagging: list[str] = []
        for municipality in self._municipalities(options.get("municipality")):
            report = audit_chain_verify(municipality=municipality)
            name = f"{municipality.code} {municipality.name}"
            if report.problem is not None:
                what = f"{report.problem.kind} entry {report.problem.entry_id}"
                if report.problem.entry_id is None:
                    what = f"{report.problem.kind} entries"
                broken.append(f"{name}: {what}: {report.problem.detail}")
            else:
                self.stdout.write(f"{name}: {report.entries} entries sealed, chain intact{_backlog(report)}")
            if report.unsealed:
                self.stdout.write(f"  {name}: not yet sealed: {_listed(report)}")
            if report.lag > max_lag:
                lagging.append(
                    f"{name}: sealing lags {report.lag:.0f} s behind (more than {max_lag:g} s): "
                    f"{report.unsealed} entries not yet sealed; is a worker (the sealer) running?"
                )
            sealed += report.entries
            unsealed += report.unsealed
        if broken:
            raise CommandError("\n".join(broken + lagging), returncode=BROKEN)
        if lagging:
            raise CommandError("\n".join(lagging), returncode=LAGGING)
        waiting = f", {unsealed} not yet sealed" if unsealed else ""
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {sealed} entries verified{waiting}"))

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


def _backlog(report: ChainReport) -> str:
    if not report.unsealed:
        return ""
    return f"; {report.unsealed} not yet sealed (the oldest for {report.lag:.1f} s)"


def _listed(report: ChainReport) -> str:
    ids = ", ".join(str(entry_id) for entry_id in report.unsealed_ids)
    more = report.unsealed - len(report.unsealed_ids)
    return f"entries {ids}" + (f" and {more} more" if more > 0 else "")

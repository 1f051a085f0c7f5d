"""``idx manage audit_seal [--follow] [--every SECONDS]``: chain the audit entries not yet sealed."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.audit.sealer import run_sealer
from idx.audit.services import audit_seal_all
from idx.common.models import Municipality


class Command(BaseCommand):
    help = (
        "Seal the audit entries not yet chained (once, or with --follow every few seconds until "
        "stopped; `idx worker` already runs the sealer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep sealing until Ctrl-C or SIGTERM")
        parser.add_argument(
            "--every", type=float, default=1.0, metavar="SECONDS", help="pause between rounds (default 1)"
        )
        parser.add_argument(
            "--municipality",
            help="全国地方公共団体コード; every municipality when left out (not with --follow)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["every"] <= 0:
            raise CommandError("--every must be more than 0 seconds")
        if options["follow"]:
            if options["municipality"]:
                raise CommandError("--follow seals every municipality; leave out --municipality")
            self._follow(options["every"])
            return
        municipality = None
        if options["municipality"]:
            municipality = Municipality.objects.filter(code=options["municipality"]).first()
            if municipality is None:
                raise CommandError(f"no municipality with code {options['municipality']!r}")
        sealed = audit_seal_all(municipality=municipality)
        self.stdout.write(f"{sealed} audit entries sealed")

    def _follow(self, every: float) -> None:
        stop = threading.Event()

        def stop_on_signal(signum: int, frame: object) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, stop_on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.stdout.write(f"sealing the audit log every {every:g} s; stop with Ctrl-C")
            run_sealer(stop, every=every)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("sealer stopped")

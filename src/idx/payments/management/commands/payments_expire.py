"""``idx payments_expire``: pending payments past their time end as expired (run every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from idx.payments.services import payments_expire


class Command(BaseCommand):
    help = "Mark pending payments past their expiry as expired (a payment that still arrives is refunded)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{payments_expire()} payments expired")

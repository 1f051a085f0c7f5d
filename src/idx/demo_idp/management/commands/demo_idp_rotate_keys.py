"""Add a new signing key to the demo identity provider; older keys stay in the JWKS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from idx.demo_idp.models import DemoSigningKey
from idx.demo_idp.provider import new_signing_key


class Command(BaseCommand):
    help = "Add a new ES256 signing key to the demo identity provider (the old ones stay published)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--keep", type=int, default=3, help="how many keys stay published (newest first)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.IDX_DEMO_IDP:
            raise CommandError("the demo identity provider is not enabled (IDX_DEMO_IDP)")
        key = new_signing_key()
        keep = max(int(options["keep"]), 2)
        stale = list(DemoSigningKey.objects.values_list("pk", flat=True)[keep:])
        DemoSigningKey.objects.filter(pk__in=stale).delete()
        self.stdout.write(f"new signing key {key.kid}; {DemoSigningKey.objects.count()} published")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from idx.demo.loader import DEMO_PASSWORD, demo_totp_secret, load_demo


class Command(BaseCommand):
    help = "Load the demo municipalities, departments, staff, residents, procedures and applications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--applications", type=int, default=200)
        parser.add_argument("--no-serve", action="store_true", help="(used by `idx demo`)")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo(applications=options["applications"])
        out = self.stdout
        out.write("")
        out.write("IDX demo is ready.")
        for municipality in summary.municipalities:
            out.write(
                f"  {municipality.name} ({municipality.code}): portal {municipality.public_url}/  back office {municipality.public_url}/staff/"
            )
        out.write(f"  API: {summary.municipalities[0].public_url}/api/v1/docs")
        out.write(f"  Demo applications created now: {summary.applications}")
        out.write(f"  Every demo account's password: {DEMO_PASSWORD}")
        out.write(
            "  Fees (住民票の写し) are paid at the demo payment service: card 4242 4242 4242 4242 pays, "
            "4000 0000 0000 0002 is declined; no money is taken."
        )
        out.write("  Staff also enter a code from an authenticator app (TOTP) set up with the secret shown:")
        for municipality_name, email, what in summary.accounts:
            totp = "" if what == "resident" else f"  TOTP secret: {demo_totp_secret(email)}"
            out.write(f"    {municipality_name}  {email:45} {what}{totp}")

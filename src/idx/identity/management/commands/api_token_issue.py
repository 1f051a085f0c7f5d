from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.identity.models import User
from idx.identity.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for an account (a kiosk, a LINE bot, a core-system connector). Printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="全国地方公共団体コード, e.g. 242161")
        parser.add_argument("email", help="the account the token acts as")
        parser.add_argument("name", help="what the token is for, e.g. 'kiosk 1F'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(
            municipality__code=options["municipality"], email=options["email"].strip().lower(), is_active=True
        ).first()
        if user is None:
            raise CommandError("no active account with that e-mail address in that municipality")
        self.stdout.write(api_token_issue(user=user, name=options["name"][:60]))

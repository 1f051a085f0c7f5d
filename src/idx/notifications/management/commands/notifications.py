"""``idx notifications requeue | check``: operations of the notification service.

``requeue`` enqueues what is due and not final (retries whose time has come; messages a stopped
worker left ``sending``); run it every few minutes from cron or a systemd timer. ``check``
reports each channel's configuration problems.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idx.notifications.channels import channels
from idx.notifications.services import messages_requeue


class Command(BaseCommand):
    help = "Notification service: 'requeue' due and stuck messages, 'check' the channels' configuration."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{requeue,check,reminders,vapid}"
        )
        requeue = commands.add_parser("requeue", help="enqueue due retries and messages left 'sending'")
        requeue.add_argument("--stuck-minutes", type=int, default=10)
        requeue.add_argument(
            "--stuck-seconds", type=int, help="instead of --stuck-minutes (longer than any one send)"
        )
        commands.add_parser("check", help="list configuration problems of every channel")
        reminders = commands.add_parser("reminders", help="send today's deadline reminders (run daily)")
        reminders.add_argument("--date", help="the day to act as today, YYYY-MM-DD")
        commands.add_parser(
            "vapid", help="print a new VAPID key pair for Web Push (put it in the environment)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "requeue":
            from idx.common.taskqueue import tasks_relay

            # Tasks parked in the database while the queue (Redis) was away go to it first.
            relayed = tasks_relay(limit=None)
            stuck = (
                dt.timedelta(seconds=options["stuck_seconds"])
                if options["stuck_seconds"]
                else dt.timedelta(minutes=options["stuck_minutes"])
            )
            count = messages_requeue(older_than=stuck)
            self.stdout.write(f"{count} messages enqueued, {relayed} parked tasks relayed")
            return
        if options["subcommand"] == "reminders":
            from django.utils import timezone

            from idx.notifications.reminders import reminders_send

            today = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            self.stdout.write(f"{reminders_send(today)} reminders written")
            return
        if options["subcommand"] == "vapid":
            from idx.notifications.vapid import new_key_pair

            public, private = new_key_pair()
            self.stdout.write(f"IDX_VAPID_PUBLIC_KEY={public}\nIDX_VAPID_PRIVATE_KEY={private}")
            return
        problems = 0
        for name in channels:
            found = channels[name]().check_config()
            problems += len(found)
            self.stdout.write(f"{name}: {'; '.join(found) if found else 'ok'}")
        if problems:
            raise CommandError(f"{problems} configuration problems")

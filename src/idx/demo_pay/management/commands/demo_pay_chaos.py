"""Set the demo payment service's webhook chaos for a municipality, or replay a stored webhook."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from idx.common.models import Municipality
from idx.demo_pay import webhooks
from idx.demo_pay.models import DemoWebhook
from idx.demo_pay.services import merchant_for


class Command(BaseCommand):
    help = (
        "Make the demo payment service send webhooks twice, late or out of order (payment after refund), "
        "or replay a stored webhook exactly."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("municipality", help="municipality code or slug")
        parser.add_argument("--twice", action="store_true", help="send every webhook twice")
        parser.add_argument("--delay", type=int, default=0, help="send webhooks this many seconds late")
        parser.add_argument("--hold-paid", action="store_true", help="send payment.paid only after a refund")
        parser.add_argument(
            "--replay", metavar="EVENT_ID", help="send this stored event again, byte for byte"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.IDX_DEMO_PAY:
            raise CommandError("the demo payment service is not enabled (IDX_DEMO_PAY)")
        key = options["municipality"]
        municipality = Municipality.objects.filter(Q(code=key) | Q(slug=key)).first()
        if municipality is None:
            raise CommandError(f"no municipality {key!r}")
        if options["replay"]:
            webhook = DemoWebhook.objects.filter(
                event_id=options["replay"], checkout__merchant__municipality=municipality
            ).first()
            if webhook is None or not webhook.signature:
                raise CommandError("no such webhook has been sent")
            self.stdout.write(f"replayed {webhook.event_id}: HTTP {webhooks.replay(webhook)}")
            return
        if options["delay"] < 0:
            raise CommandError("--delay must not be negative")
        merchant = merchant_for(municipality)
        merchant.send_twice = options["twice"]
        merchant.delay_seconds = options["delay"]
        merchant.hold_paid_until_refund = options["hold_paid"]
        merchant.save(update_fields=["send_twice", "delay_seconds", "hold_paid_until_refund"])
        self.stdout.write(
            f"{municipality.name}: twice={merchant.send_twice} delay={merchant.delay_seconds}s "
            f"hold_paid={merchant.hold_paid_until_refund}"
        )

"""Delivering the demo service's webhooks: signed, sent after the response, with chaos on request.

Each event is stored first (``DemoWebhook``), then sent: from a thread after the transaction
commits (the demo), or right away on the same thread when back-channel HTTP is routed through
Django's test client (tests: the in-process transport must run on the test's own connection), or
only when a test calls ``deliver_due`` (``IDX_DEMO_PAY_DELIVERY = "manual"``).

Chaos, per merchant or per checkout: ``send_twice`` posts every event twice, ``delay_seconds``
holds it back, ``hold_paid_until_refund`` sends ``payment.paid`` only after a later refund. A
stored event can be replayed byte for byte (same body, same signature) with ``replay``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from idx.demo_pay.models import DemoWebhook
from idx.demo_pay.services import signing_secret
from idx.payments import signing
from idx.payments.contrib.hosted import http_session, transport_path

logger = logging.getLogger("idx.demo_pay")

MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10
LONGEST_WAIT_SECONDS = 600
USER_AGENT = "IDX-DemoPay/1.0"


def delivery_mode() -> str:
    mode = getattr(settings, "IDX_DEMO_PAY_DELIVERY", "")
    if mode in ("sync", "thread", "manual"):
        return str(mode)
    return "sync" if transport_path() else "thread"


def dispatch(*, checkout_id: int) -> None:
    """Send what is due for the checkout, as the configured delivery mode says."""
    mode = delivery_mode()
    if mode == "sync":
        deliver_due(checkout_id=checkout_id)
    elif mode == "thread":
        transaction.on_commit(lambda: _start_thread(checkout_id))


def _start_thread(checkout_id: int) -> None:
    threading.Thread(target=_deliver_in_background, args=(checkout_id,), daemon=True).start()


def _deliver_in_background(checkout_id: int) -> None:
    try:
        for _round in range(MAX_ATTEMPTS * 4):
            waiting = _queue(checkout_id=checkout_id).first()
            if waiting is None:
                return
            wait = (waiting.deliver_after - timezone.now()).total_seconds()
            time.sleep(min(max(wait, 0), LONGEST_WAIT_SECONDS))
            deliver_due(checkout_id=checkout_id)
    except Exception:  # a background thread has no caller to raise to
        logger.exception("demo payment webhooks of checkout %s could not be delivered", checkout_id)
    finally:
        connection.close()


def _queue(*, checkout_id: int | None = None) -> QuerySet[DemoWebhook]:
    queued = DemoWebhook.objects.select_related("checkout__merchant").filter(
        held=False, delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    )
    return queued if checkout_id is None else queued.filter(checkout_id=checkout_id)


def deliver_due(*, now: dt.datetime | None = None, checkout_id: int | None = None) -> list[int]:
    """Send every stored event that is due (all of them with a late ``now``); the HTTP statuses."""
    now = now or timezone.now()
    statuses: list[int] = []
    for webhook in _queue(checkout_id=checkout_id).filter(deliver_after__lte=now):
        statuses.extend(deliver(webhook))
    return statuses


def release_held(*, checkout_id: int) -> list[int]:
    """Send ``payment.paid`` events held for reordering although no later event came."""
    DemoWebhook.objects.filter(checkout_id=checkout_id, held=True).update(held=False, released=True)
    return deliver_due(checkout_id=checkout_id, now=timezone.now() + dt.timedelta(days=1))


def deliver(webhook: DemoWebhook) -> list[int]:
    """Sign and send one event (twice when the chaos says so); a failure is retried later."""
    # Claim the attempt, so two senders (threads) do not both count it.
    claimed = DemoWebhook.objects.filter(
        pk=webhook.pk, attempts=webhook.attempts, delivered_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return []
    checkout = webhook.checkout
    merchant = checkout.merchant
    twice = checkout.send_twice if checkout.send_twice is not None else merchant.send_twice
    body = bytes(webhook.body)
    statuses = []
    signature = ""
    for _copy in range(2 if twice else 1):
        signature = signing.sign(body, signing_secret(merchant))
        statuses.append(_post(checkout.webhook_url, body, signature))
    now = timezone.now()
    fields: dict[str, object] = {"signature": signature, "last_status": statuses[-1]}
    if any(200 <= status < 300 for status in statuses):
        fields["delivered_at"] = now
    else:
        # Back off like real services do: 2, 4, 8 … seconds.
        fields["deliver_after"] = now + dt.timedelta(seconds=2 ** (webhook.attempts + 1))
        logger.warning("demo payment webhook %s answered %s", webhook.event_id, statuses[-1])
    DemoWebhook.objects.filter(pk=webhook.pk).update(**fields)
    return statuses


def replay(webhook: DemoWebhook) -> int:
    """Post a stored event again exactly as it was last sent (same body, same signature)."""
    webhook.refresh_from_db()
    if not webhook.signature:
        raise ValueError("this webhook has not been sent yet")
    return _post(webhook.checkout.webhook_url, bytes(webhook.body), webhook.signature)


def _post(url: str, body: bytes, signature: str) -> int:
    try:
        response = http_session().post(
            url,
            data=body,
            headers={"Content-Type": "application/json", signing.HEADER: signature, "User-Agent": USER_AGENT},
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.warning("demo payment webhook could not be sent: %s", type(exc).__name__)
        return 0
    return response.status_code

"""The LINE official account's webhook: follow / unfollow and linking a resident's account.

LINE signs each webhook body with the channel secret (HMAC-SHA256, base64, header
``X-Line-Signature``); a request whose signature does not match is refused with 401 and logged.
A resident links LINE by sending the six-character code shown on their notification settings
page to the city's account; an unfollow unlinks it.

A correctly signed body can be captured and sent again, so each event must also be recent (its
``timestamp`` within ``EVENT_WINDOW_SECONDS`` of now, as payment webhooks are) and new (its
``webhookEventId`` not applied before: LINE redelivers with the same id). Anything else is
answered 200 (LINE must not retry it) and applies nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idx.identity.models import User
from idx.notifications.models import LineWebhookEvent, Subscription

logger = logging.getLogger("idx.notifications.line")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_MINUTES = 30
EVENT_WINDOW_SECONDS = 300


def signature_valid(body: bytes, signature: str, secret: str) -> bool:
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def _code_hash(municipality_id: int, code: str) -> str:
    return hashlib.sha256(f"{municipality_id}:{code.strip().upper()}".encode()).hexdigest()


def link_code_issue(*, user: User) -> str:
    """A fresh code for ``user`` to send to the city's LINE account (replaces any earlier one)."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    subscription, _made = Subscription.objects.get_or_create(user=user)
    subscription.line_link_code_hash = _code_hash(user.municipality_id, code)
    subscription.line_link_expires_at = timezone.now() + dt.timedelta(minutes=CODE_MINUTES)
    subscription.save(update_fields=["line_link_code_hash", "line_link_expires_at", "updated_at"])
    return code


def _link(municipality_id: int, code: str, line_user_id: str) -> bool:
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .filter(
                user__municipality_id=municipality_id,
                line_link_code_hash=_code_hash(municipality_id, code),
                line_link_expires_at__gt=timezone.now(),
            )
            .first()
        )
        if subscription is None:
            return False
        Subscription.objects.filter(user__municipality_id=municipality_id, line_user_id=line_user_id).exclude(
            pk=subscription.pk
        ).update(line_user_id="")
        subscription.line_user_id = line_user_id
        subscription.line_link_code_hash = ""
        subscription.line_link_expires_at = None
        if "line" not in subscription.channels:
            subscription.channels = sorted({*subscription.channels, "line"})
        subscription.save()
    return True


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    municipality = getattr(request, "municipality", None)
    body = request.body
    if municipality is None or not signature_valid(
        body, request.headers.get("X-Line-Signature", ""), settings.IDX_LINE_CHANNEL_SECRET
    ):
        logger.warning("line webhook refused: bad signature")
        return HttpResponse(status=401)
    try:
        events = json.loads(body).get("events", [])
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    now = timezone.now()
    # Ids older than any acceptable event are no longer needed: a replay of those fails on age.
    LineWebhookEvent.objects.filter(
        received_at__lt=now - dt.timedelta(seconds=3 * EVENT_WINDOW_SECONDS)
    ).delete()
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        source = event.get("source") or {}
        line_user_id = str(source.get("userId", ""))[:64] if isinstance(source, dict) else ""
        if not line_user_id:
            continue
        refused = _event_refused(event, now)
        if refused:
            logger.warning("line webhook event ignored municipality=%s reason=%s", municipality.code, refused)
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    LineWebhookEvent.objects.create(
                        municipality=municipality, webhook_event_id=event["webhookEventId"]
                    )
            except IntegrityError:
                logger.info("line webhook event ignored municipality=%s reason=seen", municipality.code)
                continue
            _apply(municipality.pk, municipality.code, event, line_user_id)
    return HttpResponse(status=200)


def _event_refused(event: dict[str, Any], now: dt.datetime) -> str:
    """Why ``event`` must not be applied ("" when it may): no id, no time, or outside the window."""
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return "no_event_id"
    stamp = event.get("timestamp")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return "no_timestamp"
    if abs(now.timestamp() - stamp / 1000) > EVENT_WINDOW_SECONDS:
        return "stale"
    return ""


def _apply(municipality_id: int, municipality_code: str, event: dict[str, Any], line_user_id: str) -> None:
    kind = event.get("type")
    if kind == "unfollow":
        Subscription.objects.filter(user__municipality_id=municipality_id, line_user_id=line_user_id).update(
            line_user_id=""
        )
    elif (
        kind == "message"
        and isinstance(event.get("message"), dict)
        and event["message"].get("type") == "text"
    ):
        text = str(event["message"].get("text", ""))[:20]
        if _link(municipality_id, text, line_user_id):
            logger.info("line account linked municipality=%s", municipality_code)

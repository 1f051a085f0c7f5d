"""A stand-in for LINE inside the demo (``IDX_DEMO_LINE``; demo and test settings only).

Two halves, as LINE has them:

- the Messaging API's push endpoint, ``POST /demo-line/v2/bot/message/push``, checked as LINE
  checks it (channel access token, JSON shape, ``X-Line-Retry-Key`` with 409 for a key already
  accepted), so the notification worker sends to it over HTTP exactly as to api.line.me;
- a page, ``/demo-line/``, that plays a LINE user's phone: add the city's account as a friend,
  send it a message (the six-character linking code from the notification settings), unfollow,
  and read the pushes received. Its events reach the city's real webhook view signed with the
  channel secret (``X-Line-Signature``), dispatched in process so that a single-worker demo server
  does not call itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.test import RequestFactory
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idx.demo_line.models import DemoLinePush
from idx.identity.http import IdxRequest

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
RETRY_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _bad(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


@csrf_exempt
@require_POST
def push(request: HttpRequest) -> HttpResponse:
    token = settings.IDX_LINE_CHANNEL_ACCESS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given, f"Bearer {token}"):
        return _bad(
            401, "Authentication failed. Confirm that the access token in the authorization header is valid."
        )
    if not (request.headers.get("Content-Type") or "").startswith("application/json"):
        return _bad(400, "The request body has 1 error(s)")
    retry_key = request.headers.get("X-Line-Retry-Key", "")
    if retry_key and not RETRY_KEY.match(retry_key):
        return _bad(400, "Invalid retry key")
    try:
        body = json.loads(request.body)
        to = body["to"]
        messages = body["messages"]
        if not isinstance(to, str) or not USER_ID.match(to) or not isinstance(messages, list):
            raise ValueError
        if not 1 <= len(messages) <= 5:
            raise ValueError
        texts = []
        for message in messages:
            if message.get("type") != "text" or not 0 < len(str(message.get("text", ""))) <= 5000:
                raise ValueError
            texts.append(str(message["text"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return _bad(400, "The request body has 1 error(s)")
    try:
        with transaction.atomic():
            DemoLinePush.objects.create(to=to, text="\n\n".join(texts), retry_key=retry_key or None)
    except IntegrityError:
        return _bad(409, "The retry key is already accepted")
    return JsonResponse({"sentMessages": [{"id": str(time.time_ns())}]})


def _webhook_event_id() -> str:
    """An id shaped like LINE's (a 26-character ULID: time, then randomness)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    return "".join(alphabet[(value >> shift) & 31] for shift in range(125, -1, -5))


def _signed_event(request: IdxRequest, user_id: str, event: dict[str, Any]) -> int:
    """Send one event to the city's webhook view the way LINE does (signed body), in process."""
    from idx.notifications.line import webhook

    event = {
        "source": {"type": "user", "userId": user_id},
        "timestamp": int(time.time() * 1000),
        "webhookEventId": _webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
        **event,
    }
    body = json.dumps({"destination": "Udemo", "events": [event]}).encode()
    signature = base64.b64encode(
        hmac.new(settings.IDX_LINE_CHANNEL_SECRET.encode(), body, hashlib.sha256).digest()
    ).decode()
    forwarded = RequestFactory().post(
        "/line/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Line-Signature": signature},
        HTTP_HOST=request.get_host(),
    )
    forwarded.municipality = request.municipality  # type: ignore[attr-defined]
    return webhook(forwarded).status_code


def phone(request: IdxRequest) -> HttpResponseBase:
    """The demo LINE user's phone: befriend the city's account, send the linking code, read pushes."""
    user_id = request.GET.get("user", "") or request.POST.get("user", "")
    if not USER_ID.match(user_id):
        user_id = "U" + secrets.token_hex(16)
        return redirect(f"{reverse('demo_line:phone')}?user={user_id}")
    status = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "follow":
            status = _signed_event(request, user_id, {"type": "follow", "replyToken": secrets.token_hex(16)})
        elif action == "unfollow":
            status = _signed_event(request, user_id, {"type": "unfollow"})
        elif action == "message":
            text = request.POST.get("text", "").strip()[:200]
            status = _signed_event(
                request,
                user_id,
                {
                    "type": "message",
                    "replyToken": secrets.token_hex(16),
                    "message": {"type": "text", "id": "1", "text": text},
                },
            )
        return redirect(f"{reverse('demo_line:phone')}?user={user_id}&sent={status or ''}")
    return render(
        request,
        "demo_line/phone.html",
        {
            "user_id": user_id,
            "pushes": DemoLinePush.objects.filter(to=user_id)[:50],
            "sent": request.GET.get("sent", ""),
        },
    )

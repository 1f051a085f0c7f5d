"""Delivery channels are plugins (e-mail, LINE, the portal inbox), like login methods.

A channel's ``send`` raises ``TemporaryFailure`` for what may work later (a server that does not
answer) and ``PermanentFailure`` for what never will (no address, a refused recipient); the
delivery task retries the first with backoff and gives up on the second at once.
``check_config`` lists what is missing before anything is sent. Each has a stand-in for the demo
and the tests: e-mail goes to a local SMTP server, LINE to ``IDX_LINE_API_BASE``.
"""

from __future__ import annotations

import json
import smtplib
import threading
from typing import TYPE_CHECKING, ClassVar

import requests
from django.conf import settings
from django.core.mail import EmailMessage

from idx.common.registry import Registry
from idx.notifications.unsubscribe import unsubscribe_token

if TYPE_CHECKING:
    from idx.notifications.models import Message


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class Channel:
    identifier: ClassVar[str] = ""
    external: ClassVar[bool] = True  # sent by the worker (the inbox is written at once)

    def check_config(self) -> list[str]:
        return []

    def send(self, message: Message) -> None:
        raise NotImplementedError


channels: Registry[Channel] = Registry()

_local = threading.local()


def _http() -> requests.Session:
    """One HTTP session per worker thread: connections to the API are kept alive between sends."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


@channels.register("inbox")
class InboxChannel(Channel):
    """The portal's inbox: the row is the delivery."""

    identifier = "inbox"
    external = False

    def send(self, message: Message) -> None:
        return None


@channels.register("email")
class EmailChannel(Channel):
    identifier = "email"

    def check_config(self) -> list[str]:
        problems = []
        if not settings.DEFAULT_FROM_EMAIL:
            problems.append("DEFAULT_FROM_EMAIL is empty")
        if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and not settings.EMAIL_HOST:
            problems.append("IDX_EMAIL_HOST is empty")
        return problems

    def send(self, message: Message) -> None:
        if not message.address:
            raise PermanentFailure("no e-mail address")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.address],
            headers={"Message-ID": f"<{message.idempotency_key.replace(':', '.')}@idx>"},
        )
        if message.topic and message.recipient_id and not message.emergency:
            # One-click unsubscribe from this topic in the mail program (RFC 2369, RFC 8058).
            base = message.municipality.public_url.rstrip("/")
            url = f"{base}/unsubscribe/{unsubscribe_token(message.recipient_id, message.topic)}/"
            email.extra_headers["List-Unsubscribe"] = f"<{url}>"
            email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if message.attachment_name:
            email.attach(
                message.attachment_name, message.attachment_text, message.attachment_type or "text/plain"
            )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure("recipient refused") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"smtp: {type(exc).__name__}") from exc


@channels.register("line")
class LineChannel(Channel):
    """LINE Messaging API push (``POST /v2/bot/message/push``) with the channel access token.

    ``X-Line-Retry-Key`` carries the message's id as a UUID, so LINE (and the stand-in) ignore a
    retry of a push that already went through: a worker restarted mid-send sends nothing twice.
    """

    identifier = "line"

    def check_config(self) -> list[str]:
        problems = []
        if not settings.IDX_LINE_CHANNEL_ACCESS_TOKEN:
            problems.append("IDX_LINE_CHANNEL_ACCESS_TOKEN is empty")
        if not settings.IDX_LINE_API_BASE.startswith(("https://", "http://")):
            problems.append("IDX_LINE_API_BASE is not an http(s) URL")
        return problems

    def send(self, message: Message) -> None:
        import uuid

        if not message.address:
            raise PermanentFailure("no LINE user id")
        retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"idx:{message.idempotency_key}"))
        text = f"{message.subject}\n\n{message.body}"[:5000]
        try:
            response = _http().post(
                f"{settings.IDX_LINE_API_BASE.rstrip('/')}/v2/bot/message/push",
                data=json.dumps({"to": message.address, "messages": [{"type": "text", "text": text}]}),
                headers={
                    "Authorization": f"Bearer {settings.IDX_LINE_CHANNEL_ACCESS_TOKEN}",
                    "Content-Type": "application/json",
                    "X-Line-Retry-Key": retry_key,
                },
                timeout=10,
            )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"line: {type(exc).__name__}") from exc
        if response.status_code == 409:
            return  # accepted earlier with the same retry key
        if response.status_code in (429,) or response.status_code >= 500:
            raise TemporaryFailure(f"line: http {response.status_code}")
        if response.status_code != 200:
            raise PermanentFailure(f"line: http {response.status_code}")


@channels.register("webpush")
class WebPushChannel(Channel):
    """Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291).

    ``message.address`` holds the subscription's id; a push service answering 404 or 410 means
    the browser unsubscribed: the subscription is removed and the message fails for good.
    """

    identifier = "webpush"

    def check_config(self) -> list[str]:
        problems = []
        if not settings.IDX_VAPID_PUBLIC_KEY or not settings.IDX_VAPID_PRIVATE_KEY:
            problems.append("IDX_VAPID_PUBLIC_KEY / IDX_VAPID_PRIVATE_KEY are not set")
        if not settings.IDX_VAPID_SUBJECT.startswith(("mailto:", "https://")):
            problems.append("IDX_VAPID_SUBJECT must be a mailto: or https: URL")
        return problems

    def send(self, message: Message) -> None:
        from pywebpush import WebPushException, webpush

        from idx.notifications.models import WebPushSubscription
        from idx.notifications.push_endpoints import (
            EndpointRefused,
            EndpointUnresolvable,
            endpoint_check,
            push_session,
        )

        subscription = WebPushSubscription.objects.filter(pk=message.address or 0).first()
        if subscription is None:
            raise PermanentFailure("the browser subscription is gone")
        try:  # again at send time: the host may resolve elsewhere now
            endpoint_check(subscription.endpoint)
        except EndpointUnresolvable as exc:
            raise TemporaryFailure(f"webpush: {exc}") from exc
        except EndpointRefused as exc:
            raise PermanentFailure(f"webpush: {exc}") from exc
        payload = json.dumps(
            {"title": message.subject, "body": message.body[:1000], "url": "/my/notifications/"}
        )
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=settings.IDX_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.IDX_VAPID_SUBJECT},
                ttl=24 * 3600 if not message.emergency else 3600,
                timeout=10,
                headers={"Urgency": "high" if message.emergency else "normal"},
                requests_session=push_session(subscription.endpoint),
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (404, 410):
                subscription.delete()
                raise PermanentFailure(f"webpush: http {status}, subscription removed") from exc
            if status == 429 or status >= 500 or status == 0:
                raise TemporaryFailure(f"webpush: http {status}") from exc
            raise PermanentFailure(f"webpush: http {status}") from exc
        except EndpointRefused as exc:  # the connection reached a non-public address
            raise PermanentFailure(f"webpush: {exc}") from exc
        except (requests.RequestException, OSError) as exc:
            raise TemporaryFailure(f"webpush: {type(exc).__name__}") from exc

"""Web Push with VAPID through a local push service that checks what a real one checks (the
VAPID JWT's signature, audience and expiry; aes128gcm; TTL) and decrypts the payload with the
subscriber's keys; a 410 removes the subscription."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command

from idx.notifications import services
from idx.notifications.models import Subscription, WebPushSubscription

pytestmark = pytest.mark.django_db


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, subscriber_key: ec.EllipticCurvePrivateKey, auth: bytes, subject: str) -> None:
        super().__init__(("127.0.0.1", 0), _PushHandler)
        self.subscriber_key = subscriber_key
        self.auth = auth
        self.subject = subject
        self.received: list[dict[str, Any]] = []
        self.problems: list[str] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _PushHandler(http.server.BaseHTTPRequestHandler):
    server: PushService

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.startswith("/gone/"):
            self.send_response(410)
            self.end_headers()
            return
        try:
            self._check(body)
        except Exception as exc:  # noqa: BLE001 - any problem is a refused push
            self.server.problems.append(repr(exc))
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(201)
        self.end_headers()

    def _check(self, body: bytes) -> None:
        server = self.server
        assert self.headers["Content-Encoding"] == "aes128gcm"
        assert int(self.headers["TTL"]) > 0
        scheme, _sep, params = self.headers["Authorization"].partition(" ")
        assert scheme == "vapid"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        token, public = fields["t"], unb64(fields["k"])
        header_b64, payload_b64, signature_b64 = token.split(".")
        claims = json.loads(unb64(payload_b64))
        assert json.loads(unb64(header_b64))["alg"] == "ES256"
        assert claims["aud"] == server.origin and claims["sub"] == server.subject
        assert claims["exp"] > time.time()
        signature = unb64(signature_b64)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        key.verify(
            encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            ),
            f"{header_b64}.{payload_b64}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
        plain = http_ece.decrypt(
            body, private_key=server.subscriber_key, auth_secret=server.auth, version="aes128gcm"
        )
        server.received.append(json.loads(plain))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def push_service(settings, capsys) -> Iterator[PushService]:
    call_command("notifications", "vapid")
    keys = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings.IDX_VAPID_PUBLIC_KEY = keys["IDX_VAPID_PUBLIC_KEY"]
    settings.IDX_VAPID_PRIVATE_KEY = keys["IDX_VAPID_PRIVATE_KEY"]
    settings.IDX_VAPID_SUBJECT = "mailto:bousai@city.iga.example.jp"
    server = PushService(
        ec.generate_private_key(ec.SECP256R1()), b"0123456789abcdef", settings.IDX_VAPID_SUBJECT
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def subscription_json(service: PushService, path: str) -> dict[str, Any]:
    public = service.subscriber_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"endpoint": service.origin + path, "keys": {"p256dh": b64(public), "auth": b64(service.auth)}}


def test_browser_subscribes_and_receives_an_encrypted_push(iga, resident, resident_client, push_service):
    response = resident_client.post(
        "/my/notifications/webpush/",
        json.dumps(subscription_json(push_service, "/push/1")),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert "webpush" in Subscription.objects.get(user=resident).channels
    channels = services.channels_of(resident)
    push = next(address for channel, address in channels if channel == "webpush")
    message, _made = services.message_create(
        municipality=iga,
        recipient=resident,
        channel="webpush",
        address=push,
        purpose="application_status",
        key="wp1",
        subject="申請を受け付けました",
        body="受付番号 IGA-2026-000001",
        language="ja",
    )
    assert services.message_deliver(message.pk) == "delivered", push_service.problems
    assert push_service.received == [
        {"title": "申請を受け付けました", "body": "受付番号 IGA-2026-000001", "url": "/my/notifications/"}
    ]


def test_a_gone_subscription_is_removed(iga, resident, resident_client, push_service):
    resident_client.post(
        "/my/notifications/webpush/",
        json.dumps(subscription_json(push_service, "/gone/1")),
        content_type="application/json",
    )
    subscription = WebPushSubscription.objects.get(user=resident)
    message, _made = services.message_create(
        municipality=iga,
        recipient=resident,
        channel="webpush",
        address=str(subscription.pk),
        purpose="application_status",
        key="wp2",
        subject="x",
        body="y",
        language="ja",
    )
    assert services.message_deliver(message.pk) == "failed"
    assert not WebPushSubscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", json.dumps({"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}}).encode()],
)
def test_bad_subscriptions_are_refused(resident_client, body):
    response = resident_client.post("/my/notifications/webpush/", body, content_type="application/json")
    assert response.status_code == 400
    assert not WebPushSubscription.objects.exists()


def test_service_worker_and_manifest_are_served(resident_client):
    worker = resident_client.get("/sw.js")
    assert worker.status_code == 200 and "showNotification" in worker.content.decode()
    manifest = resident_client.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"


def test_settings_page_offers_browser_notifications_only_with_keys(resident_client, settings):
    settings.IDX_VAPID_PUBLIC_KEY = ""
    assert 'id="webpush-enable"' not in resident_client.get("/my/notifications/settings/").content.decode()
    settings.IDX_VAPID_PUBLIC_KEY = "BEex"
    page = resident_client.get("/my/notifications/settings/").content.decode()
    assert 'id="webpush-enable"' in page and "webpush.js" in page

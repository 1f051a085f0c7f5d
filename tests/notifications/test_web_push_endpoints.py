"""Web Push endpoints are public push services only (no SSRF), checked when a browser subscribes
and again when a message is sent; a subscription stays with the resident who made it."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from idx.notifications import push_endpoints, services
from idx.notifications.models import Message, MessageStatus, WebPushSubscription

pytestmark = pytest.mark.django_db

KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}
FCM = "https://fcm.googleapis.com/fcm/send/dGVzdC1zdWJzY3JpcHRpb24"
PUBLIC = {"fcm.googleapis.com": ["142.250.196.106", "2404:6800:4004:80a::200a"]}


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A resolver the test controls (no network): host -> addresses."""
    table = dict(PUBLIC)

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(push_endpoints.socket, "getaddrinfo", getaddrinfo)
    return table


def subscribe(client, endpoint: str, keys: dict[str, str] = KEYS):
    return client.post(
        "/my/notifications/webpush/",
        json.dumps({"endpoint": endpoint, "keys": keys}),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "https://127.0.0.1:6379/",  # loopback, another port
        "https://127.0.0.1/push/1",
        "https://10.0.0.5/push/1",  # private
        "https://192.168.1.1/push/1",
        "https://100.64.0.1/push/1",  # shared address space
        "https://[::1]/push/1",
        "https://[fe80::1]/push/1",
        "https://[::ffff:169.254.169.254]/push/1",  # IPv4-mapped
        "https://[64:ff9b::a9fe:a9fe]/push/1",  # NAT64 of 169.254.169.254
        "https://0.0.0.0/push/1",
        "https://240.0.0.1/push/1",  # reserved
        "https://intranet.city.example/push/1",  # resolves to a private address
        "https://rebind.example/push/1",  # one public and one loopback address
        "https://no-such-host.example/push/1",
        "http://127.0.0.1@evil.example/push/1",  # user info, not the host
        "http://127.0.0.1.evil.example/push/1",
        "http://127.0.0.10/push/1",
        "http://fcm.googleapis.com/fcm/send/x",  # plain http to a public host
        "https://fcm.googleapis.com:8443/fcm/send/x",
        "https://user:pw@fcm.googleapis.com/fcm/send/x",
        "ftp://fcm.googleapis.com/x",
    ],
)
def test_non_public_push_endpoints_are_refused_at_subscribe(resident, resident_client, dns, endpoint):
    dns["intranet.city.example"] = ["10.20.30.40"]
    dns["rebind.example"] = ["142.250.196.106", "127.0.0.1"]
    dns["evil.example"] = ["142.250.196.106"]
    response = subscribe(resident_client, endpoint)
    assert response.status_code == 400
    assert not WebPushSubscription.objects.exists()


def test_a_public_push_service_is_accepted(resident, resident_client, dns):
    assert subscribe(resident_client, FCM).status_code == 201
    assert WebPushSubscription.objects.get().user == resident


def test_the_local_stand_in_is_only_for_demo_and_tests(resident_client, settings, dns):
    assert subscribe(resident_client, "http://127.0.0.1:8765/push/1").status_code == 201
    WebPushSubscription.objects.all().delete()
    settings.IDX_DEMO_IDP = False
    assert subscribe(resident_client, "http://127.0.0.1:8765/push/1").status_code == 400
    assert not WebPushSubscription.objects.exists()


def test_a_subscription_cannot_be_taken_over_by_its_endpoint(
    resident, other_resident, resident_client, other_resident_client, dns
):
    assert subscribe(resident_client, FCM).status_code == 201
    stolen = {"p256dh": "BOther" + KEYS["p256dh"][6:], "auth": "b3RoZXItYXV0aC1rZXk"}
    assert subscribe(other_resident_client, FCM, stolen).status_code == 409
    subscription = WebPushSubscription.objects.get(endpoint=FCM)
    assert subscription.user == resident and subscription.auth == KEYS["auth"]
    assert not services.channels_of(other_resident) or all(
        channel != "webpush" for channel, _address in services.channels_of(other_resident)
    )
    # Another account cannot remove it either; its owner refreshes its keys.
    other_resident_client.delete("/my/notifications/webpush/", json.dumps({"endpoint": FCM, "keys": KEYS}))
    assert WebPushSubscription.objects.filter(endpoint=FCM).exists()
    assert subscribe(resident_client, FCM, {**KEYS, "auth": "bmV3LWF1dGgta2V5"}).status_code == 201
    assert WebPushSubscription.objects.get(endpoint=FCM).auth == "bmV3LWF1dGgta2V5"


def test_the_endpoint_is_checked_again_when_sending(
    iga, resident, resident_client, dns, monkeypatch, settings
):
    settings.IDX_VAPID_PRIVATE_KEY = "x"
    assert subscribe(resident_client, FCM).status_code == 201
    dns["fcm.googleapis.com"] = ["169.254.169.254"]  # the name now points inside
    sent: list[str] = []
    monkeypatch.setattr(
        "pywebpush.webpush", lambda **kwargs: sent.append(kwargs["subscription_info"]["endpoint"])
    )
    push = WebPushSubscription.objects.get()
    message, _made = services.message_create(
        municipality=iga,
        recipient=resident,
        channel="webpush",
        address=str(push.pk),
        purpose="application_status",
        key="ssrf1",
        subject="申請を受け付けました",
        body="受付番号 IGA-2026-000001",
        language="ja",
    )
    assert services.message_deliver(message.pk) == "failed"
    assert sent == []
    stored = Message.objects.get(pk=message.pk)
    assert stored.status == MessageStatus.FAILED and "not a public address" in stored.last_error


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's hook
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def internal_service() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_sending_connection_refuses_a_non_public_peer(internal_service):
    """Even if DNS answered a public address to the check and a private one to the connection."""
    assert requests.get(internal_service, timeout=5).status_code == 200  # the service is there
    with pytest.raises(push_endpoints.EndpointRefused):
        push_endpoints.push_session(FCM).get(internal_service, timeout=5)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("142.250.196.106", True),
        ("2404:6800:4004:80a::200a", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("172.16.0.1", False),
        ("fc00::1", False),
        ("224.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("not an ip", False),
    ],
)
def test_address_is_public(address, public):
    assert push_endpoints.address_is_public(address) is public

"""CAP 1.2 import: through the API (crisis staff tokens) and by polling a feed on a local HTTP
server; malformed or unsafe documents rejected with the reason; duplicates ignored; re-broadcast."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client

from idx.identity.models import User
from idx.identity.services import api_token_issue
from idx.notifications.models import Alert, Area, ImportedAlert
from tests.conftest import IGA_HOST, signed_in

pytestmark = pytest.mark.django_db

CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>bousai@pref.mie.example</sender>
  <sent>2026-11-26T10:00:00+09:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>ja-JP</language>
    <category>Met</category>
    <event>大雨警報</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>伊賀市に大雨警報</headline>
    <description>大雨のおそれがあります。</description>
    <area><areaDesc>伊賀市</areaDesc></area>
  </info>
</alert>"""


@pytest.fixture
def crisis_api(iga) -> Client:
    staff = User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp")
    client = Client(
        HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=staff, name='feed')}"
    )
    return client


def post(client: Client, body: str | bytes):
    return client.post("/api/v1/staff/alerts/import", body, content_type="application/cap+xml")


def test_import_once_then_duplicate(crisis_api):
    first = post(crisis_api, CAP.format(identifier="MIE-001"))
    assert first.status_code == 201, first.content
    assert first.json()["headline"] == "伊賀市に大雨警報" and first.json()["created"] is True
    again = post(crisis_api, CAP.format(identifier="MIE-001"))
    assert again.status_code == 200 and again.json()["created"] is False
    assert ImportedAlert.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not xml", "well-formed"),
        ('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"><identifier>x</identifier></alert>', "CAP 1.2"),
        (CAP.format(identifier="").replace("<identifier></identifier>", ""), "identifier"),
        (CAP.format(identifier="A").replace("<status>Actual</status>", "<status>Real</status>"), "status"),
        (
            '<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x "boom">]>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>',
            "unsafe",
        ),
    ],
)
def test_bad_documents_are_rejected_with_a_reason(crisis_api, body, reason):
    response = post(crisis_api, body)
    assert response.status_code == 422
    assert response.json()["code"] == "cap_rejected" and reason in response.json()["message"]
    assert not ImportedAlert.objects.exists()


def test_only_crisis_staff_tokens(iga, clerk, resident):
    for user in (clerk, resident):
        client = Client(
            HTTP_HOST=IGA_HOST, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='x')}"
        )
        assert post(client, CAP.format(identifier="X")).status_code in (403, 404)
    assert not ImportedAlert.objects.exists()


class FeedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    files: dict[str, bytes]


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer(("127.0.0.1", 0), _FeedHandler)
    server.files = {}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_poll_an_atom_feed_and_rebroadcast(iga, feed_server, capsys):
    base = f"http://127.0.0.1:{feed_server.server_address[1]}"
    feed_server.files["/a.xml"] = CAP.format(identifier="MIE-A").encode()
    feed_server.files["/b.xml"] = b"<broken"
    feed_server.files["/feed.atom"] = f"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-11-26T10:00:00+09:00</updated>
<entry><id>1</id><title>a</title><updated>2026-11-26T10:00:00+09:00</updated><link href="{base}/a.xml" type="application/cap+xml"/></entry>
<entry><id>2</id><title>b</title><updated>2026-11-26T10:00:00+09:00</updated><link href="{base}/b.xml" type="application/cap+xml"/></entry>
</feed>""".encode()
    call_command("alerts_import", f"{base}/feed.atom", "--municipality", iga.code)
    assert "1 new, 0 already imported, 1 rejected" in capsys.readouterr().out
    call_command("alerts_import", f"{base}/feed.atom", "--municipality", iga.code)
    assert "0 new, 1 already imported" in capsys.readouterr().out
    imported = ImportedAlert.objects.get()
    staff = User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp")
    client = signed_in(staff)
    listing = client.get("/staff/alerts/").content.decode()
    assert f"?imported={imported.pk}" in listing
    form = client.get(f"/staff/alerts/new/?imported={imported.pk}").content.decode()
    assert "伊賀市に大雨警報" in form
    area = Area.objects.filter(municipality=iga).first()
    response = client.post(
        "/staff/alerts/new/",
        {
            "imported": str(imported.pk),
            "kind": "weather_warning",
            "mode": "actual",
            "areas": [str(area.pk)],
            "ja-headline": "伊賀市に大雨警報",
        },
    )
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    assert client.post("/staff/alerts/new/", {"token": token}).status_code == 302
    imported.refresh_from_db()
    assert imported.rebroadcast == Alert.objects.get(texts__ja__headline="伊賀市に大雨警報")
